import type { Snapshot } from "../articles/catalog.ts";
import { type Scope, scopesOf } from "../feeds/scopes.ts";

/** The subscription documents of a scope (first pages at the default limit): what hubs watch. */
export function feedUrlsOf(siteUrl: string, scopePath: string): string[] {
  const base = `${siteUrl}${scopePath}`;
  return [`${base}/feed.xml`, `${base}/atom.xml`, `${base}/feed.json`];
}

/**
 * The feed URLs whose content changed between two snapshots: the site's three feeds when
 * anything changed, plus the three feeds of every tag and author whose articles (the set, an
 * article's stored version, its slug, or the scope's display name) differ. Scopes that vanished
 * are left out (their feeds now answer 404: nothing to distribute). Archive pages are not
 * listed: hubs are told about subscription documents. Sorted: site, tags, authors, by slug.
 */
export function changedFeedUrls(
  siteUrl: string,
  previous: Snapshot | undefined,
  next: Snapshot,
): string[] {
  if (previous && previous.version === next.version) return [];
  const urls = feedUrlsOf(siteUrl, "");
  const before = previous ? scopesOf(previous) : undefined;
  const after = scopesOf(next);
  for (const kind of ["tags", "authors"] as const) {
    for (const [slug, scope] of after[kind]) {
      const old = before?.[kind].get(slug);
      if (!old || signature(old) !== signature(scope))
        urls.push(...feedUrlsOf(siteUrl, scope.path));
    }
  }
  return urls;
}

function signature(scope: Scope): string {
  return [
    scope.name ?? "",
    ...scope.articles.map((a) => `${a.key}\u0000${a.version}\u0000${a.slug}`),
  ].join("\n");
}
