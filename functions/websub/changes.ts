import type { ArticleMeta } from "../articles/article.ts";
import { slugify } from "../articles/text.ts";

const FEED_FILES = ["feed.xml", "atom.xml", "feed.json"] as const;

/** The subscription documents of a scope (first pages at the default limit): what hubs watch. */
export function feedUrlsOf(siteUrl: string, scopePath: string): string[] {
  return feedPathsOf(scopePath).map((path) => `${siteUrl}${path}`);
}

/** What an index records for one key: parsed metadata (for the scopes), or an unusable file. */
type IndexedMeta = { version: string; meta?: Pick<ArticleMeta, "tags" | "authors" | "draft"> };

/**
 * The scope paths ("" for the site, `/tags/x`, `/authors/y`) whose feeds an index change may have
 * changed: the site whenever a servable article was added, changed or removed, plus every tag and
 * author of the changed articles' old and new versions (so a deleted article, or a tag an edit
 * removed, is announced too). Drafts on both sides change nothing. Sorted, site first.
 *
 * Author scopes are listed for every author named, also on a single-author site where they have
 * no feeds (the hub's fetch then gets a 404 and does nothing).
 */
export function changedScopePaths(
  before: ReadonlyMap<string, IndexedMeta>,
  after: ReadonlyMap<string, IndexedMeta>,
): string[] {
  const scopes = new Set<string>();
  let site = false;
  const visit = (entry: IndexedMeta | undefined) => {
    const meta = entry?.meta;
    if (!meta || meta.draft) return;
    site = true;
    for (const tag of meta.tags) {
      const slug = slugify(tag);
      if (slug) scopes.add(`/tags/${encodeURIComponent(slug)}`);
    }
    for (const author of meta.authors) {
      const slug = slugify(author.name);
      if (slug) scopes.add(`/authors/${encodeURIComponent(slug)}`);
    }
  };
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const old = before.get(key);
    const next = after.get(key);
    if (old === next || (old && next && old.version === next.version)) continue;
    visit(old);
    visit(next);
  }
  return site ? ["", ...[...scopes].sort()] : [];
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
