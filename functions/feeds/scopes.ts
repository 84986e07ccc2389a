import type { ArticleMeta } from "../articles/article.ts";
import type { Snapshot } from "../articles/catalog.ts";
import { slugify } from "../articles/text.ts";

/** A set of articles that has its own feeds and page: the whole site, one tag or one author. */
export interface Scope {
  kind: "site" | "tag" | "author";
  /** URL path of the scope's HTML page without a trailing slash: "" for the site, `/tags/x`. */
  path: string;
  /** Display name of the tag or author; undefined for the site. */
  name?: string;
  slug?: string;
  /** Newest first. */
  articles: ArticleMeta[];
}

/** Every scope of a snapshot: the site, each tag and each author (when more than one writes). */
export interface Scopes {
  site: Scope;
  tags: Map<string, Scope>;
  authors: Map<string, Scope>;
}

const cache = new WeakMap<Snapshot, Scopes>();

/**
 * Groups a snapshot's articles by tag and by author. Tags that differ only in case or
 * punctuation share one slug; the spelling used by the most articles (then the first seen) names it.
 */
export function scopesOf(snapshot: Snapshot): Scopes {
  let scopes = cache.get(snapshot);
  if (scopes) return scopes;
  const tags = group(snapshot.articles, "tag", (a) => a.tags);
  const authors = group(snapshot.articles, "author", (a) => a.authors.map((p) => p.name));
  scopes = {
    site: { kind: "site", path: "", articles: snapshot.articles },
    tags,
    authors: authors.size > 1 ? authors : new Map(),
  };
  cache.set(snapshot, scopes);
  return scopes;
}

function group(
  articles: ArticleMeta[],
  kind: "tag" | "author",
  names: (a: ArticleMeta) => string[],
): Map<string, Scope> {
  const groups = new Map<string, { spellings: Map<string, number>; articles: ArticleMeta[] }>();
  // The same names recur across thousands of articles: slugify each spelling once.
  const slugs = new Map<string, string>();
  for (const article of articles) {
    const seen = new Set<string>();
    for (const name of names(article)) {
      let slug = slugs.get(name);
      if (slug === undefined) {
        slug = slugify(name);
        slugs.set(name, slug);
      }
      if (!slug || seen.has(slug)) continue;
      seen.add(slug);
      let g = groups.get(slug);
      if (!g) {
        g = { spellings: new Map(), articles: [] };
        groups.set(slug, g);
      }
      g.spellings.set(name, (g.spellings.get(name) ?? 0) + 1);
      g.articles.push(article);
    }
  }
  const base = kind === "tag" ? "/tags" : "/authors";
  const out = new Map<string, Scope>();
  for (const slug of [...groups.keys()].sort()) {
    const g = groups.get(slug);
    if (!g) continue;
    let name = "";
    let best = 0;
    for (const [spelling, count] of g.spellings) {
      if (count > best) [name, best] = [spelling, count];
    }
    out.set(slug, {
      kind,
      path: `${base}/${encodeURIComponent(slug)}`,
      name,
      slug,
      articles: g.articles,
    });
  }
  return out;
}

/** The canonical spelling of a tag for display in an article's tag list. */
export function tagSlug(name: string): string {
  return slugify(name);
}
