/** A LocalIndex over a memory store with a hand-moved clock and an in-memory log. */
import type { ArticleMeta } from "../../functions/articles/article.ts";
import { LocalIndex } from "../../functions/index/local.ts";
import { memoryLogger } from "../../functions/log.ts";
import { articleFile, type MemoryStore, SITE } from "../fixtures/index.ts";

export const T0 = Date.parse("2024-06-01T00:00:00Z");
export const MINUTE = 60_000;

export function setup(store: MemoryStore, revalidateMs = MINUTE) {
  const clock = { now: T0 };
  const log = memoryLogger();
  const local = new LocalIndex(store, { siteUrl: SITE, revalidateMs, now: () => clock.now, log });
  return { local, log, clock };
}

export const article = (title: string, date: string, fields: Record<string, unknown> = {}) =>
  articleFile({ title, date, ...fields });

/** The live articles after a sync, newest first. */
export async function live(local: LocalIndex): Promise<ArticleMeta[]> {
  await local.sync();
  return local.articles();
}

export async function slugs(local: LocalIndex): Promise<string[]> {
  return (await live(local)).map((a) => a.slug);
}

/** The article page served under `slug` after a sync (what /articles/<slug> reads). */
export async function bySlug(local: LocalIndex, slug: string): Promise<ArticleMeta | undefined> {
  await local.sync();
  return (await local.index.article(slug))?.meta;
}
