/**
 * URL and text helpers the serving path needs (feeds, pages): no Markdown engine and no
 * sanitizer here, so the feed function's bundle carries neither (those run in the indexer).
 */

/** Schemes a link may keep after resolution; everything else (javascript:, data:, vbscript:) is dropped. */
const SAFE_LINK = new Set(["http:", "https:", "mailto:"]);
const SAFE_SOURCE = new Set(["http:", "https:"]);

/**
 * Resolves a link or source URL against the site and keeps it only if its scheme is safe.
 * Returns undefined for anything that should be removed.
 */
export function absoluteUrl(
  value: string,
  siteUrl: string,
  kind: "link" | "source" = "link",
): string | undefined {
  const trimmed = value.trim();
  if (trimmed === "") return undefined;
  let url: URL;
  try {
    url = new URL(trimmed, `${siteUrl}/`);
  } catch {
    return undefined;
  }
  return (kind === "link" ? SAFE_LINK : SAFE_SOURCE).has(url.protocol) ? url.href : undefined;
}

/**
 * Points fragment-only links (`href="#notes"`) at `pageUrl`, for sanitized HTML read away from
 * its page (a feed reader resolves `#notes` against the feed, not the article).
 */
export function resolveFragments(html: string, pageUrl: string): string {
  return html.replace(
    /(<a\b[^>]*?\shref=")#/g,
    (_match, head: string) => `${head}${escapeHtml(pageUrl)}#`,
  );
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}
