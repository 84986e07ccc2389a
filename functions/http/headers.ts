/**
 * The response headers Dateline sets by policy, in one place: how long caches may keep what,
 * and the security headers of its HTML pages.
 */

/** `Cache-Control` for a document caches may keep `age` seconds, then serve stale while revalidating. */
export function cacheControl(age: number): string {
  return `public, max-age=${age}, stale-while-revalidate=${Math.max(age, 60)}, stale-if-error=86400`;
}

/** `Cache-Control` of a short error answer: a 404 briefly (probing bots), anything else never. */
export function errorCacheControl(status: number): string {
  return status === 404 ? "public, max-age=60" : NO_STORE;
}

/** Answers no cache may keep: redirects to canonical cursors, refusals, failed cold starts. */
export const NO_STORE = "no-store";

/** A short plain-text answer's own headers. */
export const PLAIN_TEXT = {
  "content-type": "text/plain; charset=utf-8",
  "x-content-type-options": "nosniff",
} as const;

/**
 * The HTML pages' security headers: nothing loads but inline styles and images, nothing frames
 * or posts anywhere.
 */
export const PAGE_HEADERS = {
  "content-security-policy":
    "default-src 'none'; style-src 'unsafe-inline'; img-src http: https: data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "referrer-policy": "strict-origin-when-cross-origin",
} as const;
