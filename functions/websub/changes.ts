const FEED_FILES = ["feed.xml", "atom.xml", "feed.json"] as const;

/** The subscription documents of a scope (first pages at the default limit): what hubs watch. */
export function feedUrlsOf(siteUrl: string, scopePath: string): string[] {
  return feedPathsOf(scopePath).map((path) => `${siteUrl}${path}`);
}

/** The cached paths of a scope's subscription documents, e.g. `/tags/x/feed.xml`. */
export function feedPathsOf(scopePath: string): string[] {
  return FEED_FILES.map((file) => `${scopePath}/${file}`);
}

/** An index scope's path ("" for the site, `/tags/<slug>`, `/authors/<slug>`), as announced. */
export function scopePathOf(scope: string): string {
  if (scope === "site") return "";
  const at = scope.indexOf("#");
  const kind = scope.slice(0, at) === "tag" ? "tags" : "authors";
  return `/${kind}/${encodeURIComponent(scope.slice(at + 1))}`;
}
