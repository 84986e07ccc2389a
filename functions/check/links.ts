import { Marked, type Token } from "marked";
import { absoluteUrl } from "../articles/html.ts";

/** A URL the HTML sanitizer would drop, and where it is in the body. */
export interface DroppedUrl {
  /** Offset in the body. */
  offset: number;
  url: string;
  reason: string;
}

// The same Markdown options as the renderer (functions/articles/html.ts), for the same tokens.
const markdown = new Marked({ gfm: true, breaks: false, async: false });
/** URL attributes the sanitizer resolves in raw HTML (see URL_ATTRIBUTES in html.ts). */
const HTML_URL = /\s(href|src|poster|cite)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))/gi;

/**
 * Every link and image URL of a Markdown body (Markdown syntax and raw HTML attributes) that
 * the renderer cannot keep: an unsafe scheme (javascript:, data:, …) or a URL that cannot be
 * resolved against the site. Such a URL is silently removed from feeds and pages.
 */
export function droppedUrls(body: string, siteUrl: string): DroppedUrl[] {
  const found: DroppedUrl[] = [];
  let cursor = 0;
  const locate = (raw: string, fallback: string) => {
    let at = body.indexOf(raw, cursor);
    if (at === -1) at = body.indexOf(fallback, cursor);
    if (at === -1) at = body.indexOf(fallback);
    if (at !== -1) cursor = at;
    return Math.max(at, 0);
  };
  const check = (url: string, kind: "link" | "source", offset: number) => {
    const reason = whyDropped(url, siteUrl, kind);
    if (reason) found.push({ offset, url, reason });
  };
  const tokens = markdown.lexer(body);
  markdown.walkTokens(tokens, (token: Token) => {
    if (token.type === "link" || token.type === "image") {
      const at = locate(token.raw, token.href);
      check(token.href, token.type === "link" ? "link" : "source", at);
    } else if (token.type === "html") {
      const at = locate(token.raw, token.raw);
      for (const m of token.raw.matchAll(HTML_URL)) {
        const name = (m[1] as string).toLowerCase();
        const value = decodeEntities(m[2] ?? m[3] ?? m[4] ?? "");
        check(value, name === "href" ? "link" : "source", at + (m.index ?? 0));
      }
    }
  });
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
    .replace(/&amp;/gi, "&")
    .replace(/&quot;/gi, '"');
}

function codePoint(code: number): string {
  return code > 0 && code < 0x110000 ? String.fromCodePoint(code) : "";
}
