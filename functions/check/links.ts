import { markdownToHtml } from "../articles/markdown.ts";
import { absoluteUrl } from "../articles/urls.ts";

/** A URL the HTML sanitizer would drop, and where it is in the body. */
export interface DroppedUrl {
  /** Offset in the body (where the URL is written, or 0 when it cannot be found). */
  offset: number;
  url: string;
  reason: string;
}

/** Elements whose URL attributes the sanitizer keeps only when they are safe (html.ts). */
const TAG = /<(a|img|video|audio|source|blockquote|q|del|ins)\b([^>]*)>/gi;
const URL_ATTRIBUTE = /\s(href|src|poster|cite)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))/gi;

/**
 * Every link and image URL of a Markdown body (Markdown syntax and raw HTML alike, as the
 * server's Markdown engine renders them) that the sanitizer cannot keep: an unsafe scheme
 * (javascript:, data:, …) or a URL that cannot be resolved against the site. Such a URL is
 * silently removed from feeds and pages.
 */
export function droppedUrls(body: string, siteUrl: string): DroppedUrl[] {
  const found: DroppedUrl[] = [];
  let cursor = 0;
  for (const tag of markdownToHtml(body).matchAll(TAG)) {
    for (const attribute of (tag[2] ?? "").matchAll(URL_ATTRIBUTE)) {
      const name = (attribute[1] as string).toLowerCase();
      const url = decodeEntities(attribute[2] ?? attribute[3] ?? attribute[4] ?? "");
      const reason = whyDropped(url, siteUrl, name === "href" ? "link" : "source");
      if (!reason) continue;
      // Found in the source from the last one on: URLs render in the order they are written.
      let at = body.indexOf(url, cursor);
      if (at === -1) at = body.indexOf(url);
      if (at !== -1) cursor = at + 1;
      found.push({ offset: Math.max(at, 0), url, reason });
    }
  }
  return found;
}

/** Why the renderer would drop this URL, or undefined when it keeps it. */
export function whyDropped(
  url: string,
  siteUrl: string,
  kind: "link" | "source",
): string | undefined {
  const trimmed = url.trim();
  if (trimmed === "" || trimmed.startsWith("#")) return undefined;
  if (absoluteUrl(trimmed, siteUrl, kind)) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(trimmed, `${siteUrl}/`);
  } catch {
    return `${shorten(trimmed)} cannot be resolved to a URL`;
  }
  const allowed = kind === "link" ? "http, https or mailto" : "http or https";
  return `${shorten(trimmed)} is a ${parsed.protocol.slice(0, -1)}: URL (only ${allowed} are kept)`;
}

function shorten(url: string): string {
  return JSON.stringify(url.length > 80 ? `${url.slice(0, 77)}...` : url);
}

function decodeEntities(value: string): string {
  return value
    .replace(/&#x([0-9a-f]{1,6});?/gi, (_, hex: string) => codePoint(Number.parseInt(hex, 16)))
    .replace(/&#(\d{1,7});?/g, (_, dec: string) => codePoint(Number(dec)))
    .replace(/&colon;/gi, ":")
    .replace(/&quot;/gi, '"')
    .replace(/&lt;/gi, "<")
    .replace(/&gt;/gi, ">")
    .replace(/&amp;/gi, "&");
}

function codePoint(code: number): string {
  return code > 0 && code < 0x110000 ? String.fromCodePoint(code) : "";
}
