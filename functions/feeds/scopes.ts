import type { ArticleMeta } from "../articles/article.ts";
import { slugify } from "../articles/text.ts";
import type { ScopeKey, ScopeSummary } from "../index/index.ts";

/** A set of articles that has its own feeds and page: the whole site, one tag or one author. */
export interface Scope {
  kind: "site" | "tag" | "author";
  /** The index's key for it: `site`, `tag#<slug>`, `author#<slug>`. */
  key: ScopeKey;
  /** URL path of the scope's HTML page without a trailing slash: "" for the site, `/tags/x`. */
  path: string;
  /** Display name of the tag or author; undefined for the site. */
  name?: string;
  slug?: string;
}

/** The site's scope. */
export const SITE_SCOPE: Scope = { kind: "site", key: "site", path: "" };

/** The index key of a tag or author named `name` in a URL (any spelling of it). */
export function scopeKeyOf(kind: "tag" | "author", name: string): ScopeKey {
  return `${kind}#${slugify(name)}`;
}

/** The scope an index summary describes. */
export function scopeOf(summary: Pick<ScopeSummary, "key" | "name">): Scope {
  if (summary.key === "site") return SITE_SCOPE;
  const at = summary.key.indexOf("#");
  const kind = summary.key.slice(0, at) === "tag" ? "tag" : "author";
  const slug = summary.key.slice(at + 1);
  const base = kind === "tag" ? "/tags" : "/authors";
  return {
    kind,
    key: summary.key,
    path: `${base}/${encodeURIComponent(slug)}`,
    name: summary.name,
    slug,
  };
}

/** Every scope with feeds: the site, each tag and each author (when more than one writes). */
export interface Scopes {
  site: Scope;
  tags: Map<string, Scope>;
  authors: Map<string, Scope>;
}

/**
 * The scopes of the index's summaries, by slug. Author feeds exist only when more than one
 * author writes: a one-author site's author feed would repeat the site's.
 */
export function scopesFrom(summaries: Pick<ScopeSummary, "key" | "name">[]): Scopes {
  const tags = new Map<string, Scope>();
  const authors = new Map<string, Scope>();
  for (const summary of [...summaries].sort((a, b) =>
    a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
  )) {
    const scope = scopeOf(summary);
    if (scope.kind === "tag" && scope.slug) tags.set(scope.slug, scope);
    if (scope.kind === "author" && scope.slug) authors.set(scope.slug, scope);
  }
  return { site: SITE_SCOPE, tags, authors: authors.size > 1 ? authors : new Map() };
}

/**
 * Newest-first articles grouped by tag slug and by author slug (sitemaps list every scope's
 * page with its newest change, from one read of the site's entries).
 */
export function groupByScope(articles: ArticleMeta[]): Map<ScopeKey, ArticleMeta[]> {
  const groups = new Map<ScopeKey, ArticleMeta[]>();
  // The same names recur across thousands of articles: slugify each spelling once.
  const slugs = new Map<string, string>();
  const slugOf = (name: string) => {
    let slug = slugs.get(name);
    if (slug === undefined) {
      slug = slugify(name);
      slugs.set(name, slug);
    }
    return slug;
  };
  for (const article of articles) {
    const keys = new Set<ScopeKey>();
    for (const tag of article.tags) if (slugOf(tag)) keys.add(`tag#${slugOf(tag)}`);
    for (const person of article.authors)
      if (slugOf(person.name)) keys.add(`author#${slugOf(person.name)}`);
    for (const key of keys) {
      const group = groups.get(key);
      if (group) group.push(article);
      else groups.set(key, [article]);
    }
  }
  return groups;
}

/** The canonical spelling of a tag for display in an article's tag list. */
export function tagSlug(name: string): string {
  return slugify(name);
}
