/** What each scope of a site lists, worked out from its articles, for tests that walk every feed. */
import type { ArticleMeta } from "../../functions/articles/article.ts";
import { groupByScope, scopeOf } from "../../functions/feeds/scopes.ts";
import type { LocalIndex } from "../../functions/index/local.ts";

export interface ListedScope {
  /** "" for the site, `/tags/<slug>`, `/authors/<slug>`. */
  path: string;
  /** Newest first. */
  articles: ArticleMeta[];
}

/** The site, each tag and each author (when more than one writes), with their articles. */
export async function listedScopes(local: LocalIndex): Promise<ListedScope[]> {
  await local.sync();
  const articles = await local.articles();
  const groups = [...groupByScope(articles)];
  const authors = groups.filter(([key]) => key.startsWith("author#"));
  const tags = groups.filter(([key]) => key.startsWith("tag#"));
  const scopes = [...tags, ...(authors.length > 1 ? authors : [])].sort(([a], [b]) =>
    a < b ? -1 : 1,
  );
  return [
    { path: "", articles },
    ...scopes.map(([key, members]) => ({
      path: scopeOf({ key, name: "" }).path,
      articles: members,
    })),
  ];
}
