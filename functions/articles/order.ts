import type { Article, ArticleMeta } from "./article.ts";

/**
 * Who keeps a slug or an id that several files claim: the oldest article, then the first by
 * path (never listing order). The index (index/plan.ts) and `npm run check-content` both decide
 * with this rule.
 */
export function claimOrder(
  a: Pick<ArticleMeta, "date" | "key">,
  b: Pick<ArticleMeta, "date" | "key">,
): number {
  return a.date.getTime() - b.date.getTime() || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/**
 * An article's metadata (no body), as a copy: fields sliced from the source text would otherwise
 * keep all of it alive (V8 substrings share their parent), for every article held.
 */
export function metaOf(article: Article): ArticleMeta {
  const { body: _body, dateline: _dateline, ...meta } = article;
  return structuredClone(meta);
}

/** Runs `fn` over `items`, at most `limit` at a time. */
export async function forEachLimit<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  });
  await Promise.all(workers);
}
