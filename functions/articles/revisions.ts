import type { ArticleMeta } from "./article.ts";

/**
 * When readers should see the article as last updated: the later of `updated` and `revised`
 * (the index dates an edit made without a newer `updated:`, see index/record.ts revisedOf).
 */
export function updatedOf(meta: Pick<ArticleMeta, "updated" | "revised">): Date {
  return meta.revised && meta.revised > meta.updated ? meta.revised : meta.updated;
}
