/** The feed model built from a loaded local index, as the app builds it, for renderer tests. */
import type { Config } from "../../functions/config.ts";
import { buildFeed } from "../../functions/feeds/build.ts";
import type { Cursor } from "../../functions/feeds/cursor.ts";
import type { FeedDocument } from "../../functions/feeds/model.ts";
import { type Scope, SITE_SCOPE } from "../../functions/feeds/scopes.ts";
import type { IndexView } from "../../functions/index/index.ts";
import { LocalIndex } from "../../functions/index/local.ts";
import { memoryLogger } from "../../functions/log.ts";
import type { ArticleStore } from "../../functions/storage/store.ts";

/** The local index over `store`, loaded (clock pinned at `now`). */
export async function loadedIndex(
  store: ArticleStore,
  {
    siteUrl,
    now = Date.now,
    log = memoryLogger(),
  }: { siteUrl: string; now?: () => number; log?: ReturnType<typeof memoryLogger> },
): Promise<IndexView> {
  const local = new LocalIndex(store, { siteUrl, revalidateMs: 60_000, now, log });
  await local.sync();
  return local.index;
}

/** One feed page of a scope (the site by default), as the app builds it from the index. */
export async function feedOf(
  index: IndexView,
  config: Config,
  {
    scope = SITE_SCOPE,
    limit = config.feedLimit,
    before,
    documentPath = `${scope.path}/feed.xml`,
  }: { scope?: Scope; limit?: number; before?: Cursor; documentPath?: string } = {},
): Promise<FeedDocument> {
  const page = await index.page(scope.key, limit, before);
  const summary = await index.summary(scope.key);
  return buildFeed(
    config,
    { scope, limit, documentPath, ...(before ? { before } : {}) },
    page,
    summary?.newest.updated ?? 0,
  );
}
