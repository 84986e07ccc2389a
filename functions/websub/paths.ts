/**
 * Which cached documents a change made stale: the paths the publisher invalidates in CloudFront
 * (pure). Every document the feed function serves carries `Cache-Control: max-age=<cacheMaxAge>`
 * (functions/http/headers.ts), so each one that shows a changed article must be invalidated, or
 * it serves the old version until its TTL.
 */
import { feedPathsOf } from "./changes.ts";

/** What a change touched, as the WebSub queue carries it. */
export interface Change {
  /** Scope paths: "" (the site), `/tags/<slug>`, `/authors/<slug>` (as scopePathOf gives). */
  scopes: string[];
  /** Slugs of article pages that changed: added, edited, removed, released or renamed. */
  pages: string[];
}

/**
 * What one invalidation may hold. CloudFront allows 3,000 exact paths and 15 wildcard paths in
 * progress per distribution at once, and up to PUBLISHERS invalidations run at once (the
 * publisher's SQS maximum concurrency): each gets its share, so two never refuse each other.
 */
export const PUBLISHERS = 2;
export const MAX_EXACT_PATHS = 3_000 / PUBLISHERS;
export const MAX_WILDCARD_PATHS = Math.floor(15 / PUBLISHERS);

/**
 * The site-wide documents that change with the site scope: its list page and feeds, the OPML
 * list (its dateModified is the newest change of any scope; a scope appearing or vanishing
 * changes its outlines), the sitemap index (each page's lastmod), the news sitemap, and the
 * sitemap pages. Which sitemap page holds an article, and which later ones an insertion or a
 * removal shifts, depends on the article's place among every entry of the site, which neither
 * the change nor the publisher knows: one wildcard covers them, for the cost of one path.
 * `/robots.txt` is not listed: its bytes never change (only its Last-Modified does).
 */
const SITE_DOCUMENTS = [
  "/",
  ...feedPathsOf(""),
  "/opml.xml",
  "/sitemap.xml",
  "/news-sitemap.xml",
  "/sitemaps/*",
];

/** An article page's path, encoded as its links are (slugs are letters, digits and `-`). */
export function articlePathOf(slug: string): string {
  return `/articles/${encodeURIComponent(slug)}`;
}

/**
 * The exact cached paths a change made stale: the site's documents when the site scope changed;
 * each other scope's list page and three feeds; each changed article's page (a new one too: its
 * 404 may be cached). Not listed: `?limit=` and `?before=` variants (archive pages), which are
 * cached under their query string (CloudFront invalidates those only by their exact query or a
 * wildcard): their number is unbounded and one cursor exists per article, so they keep their TTL.
 */
export function changedPaths(change: Change): string[] {
  const scopes = [...new Set(change.scopes)].sort();
  const paths: string[] = [];
  for (const scope of scopes) {
    if (scope === "") paths.push(...SITE_DOCUMENTS);
    else paths.push(scope, ...feedPathsOf(scope));
  }
  for (const slug of [...new Set(change.pages)].sort()) paths.push(articlePathOf(slug));
  return paths;
}

/** The path prefixes a group of exact paths collapses into when a change is too large. */
const WIDE = ["/articles/", "/tags/", "/authors/"] as const;

/**
 * The paths to invalidate for `change`: its exact paths while they fit one invalidation
 * (`limit`, default MAX_EXACT_PATHS). Past that, the largest group of article pages, tag
 * documents or author documents becomes one wildcard (`/articles/*`, `/tags/*`, `/authors/*`),
 * then the next, until the rest fits: a rebuild that touched thousands of articles costs a few
 * paths instead of failing CloudFront's limit. At most four wildcards (with `/sitemaps/*`), within
 * MAX_WILDCARD_PATHS.
 */
export function invalidationPaths(change: Change, limit = MAX_EXACT_PATHS): string[] {
  const paths = changedPaths(change);
  const exact = (list: string[]) => list.filter((p) => !p.endsWith("*")).length;
  const groups = WIDE.map((prefix) => ({
    prefix,
    size: paths.filter((p) => p.startsWith(prefix)).length,
  })).sort((a, b) => b.size - a.size);
  let result = paths;
  for (const group of groups) {
    if (exact(result) <= limit || group.size === 0) break;
    result = [...result.filter((p) => !p.startsWith(group.prefix)), `${group.prefix}*`];
  }
  return result;
}
