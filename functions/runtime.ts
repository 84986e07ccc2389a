import type { Config } from "./config.ts";
import type { App } from "./http/app.ts";
import { createApp } from "./http/app.ts";
import type { ServedLog } from "./http/served.ts";
import type { BlobStore } from "./index/keys.ts";
import { LocalIndex, type LocalIndexOptions } from "./index/local.ts";
import type { MemoryTable } from "./index/table.ts";
import type { Logger } from "./log.ts";
import type { ArticleStore } from "./storage/store.ts";

/** The app over a store, indexed in memory: what the local server (and most tests) run. */
export interface Runtime {
  app: App;
  local: LocalIndex;
}

/**
 * Wires config, store and logger into the local index and the HTTP app. `background`: timed
 * store checks run behind the current index (the local server, whose watcher reports changes);
 * `forcedWaitMs`: how long a request waits for a check the watcher forced. `served`: what the
 * adapter remembers of earlier answers (see http/served.ts). `table` and `blobs`: a saved index
 * to start from (see index/table-cache.ts); `loaded`: they hold one, served while the first check
 * runs (`firstCheckAfterMs` after the start at the earliest). `parallel`: worker threads for a
 * check that compiles many files.
 */
export function createRuntime(
  config: Config,
  store: ArticleStore,
  log: Logger,
  now: () => number = Date.now,
  {
    background = false,
    served,
    forcedWaitMs,
    table,
    blobs,
    loaded,
    firstCheckAfterMs,
    parallel,
  }: {
    background?: boolean;
    served?: ServedLog;
    forcedWaitMs?: number;
    table?: MemoryTable;
    blobs?: BlobStore;
    loaded?: boolean;
    firstCheckAfterMs?: number;
    parallel?: LocalIndexOptions["parallel"];
  } = {},
): Runtime {
  const local = new LocalIndex(store, {
    siteUrl: config.siteUrl,
    revalidateMs: config.revalidateSeconds * 1000,
    log,
    now,
    background,
    preview: config.previewDrafts,
    ...(forcedWaitMs !== undefined ? { forcedWaitMs } : {}),
    ...(table ? { table } : {}),
    ...(blobs ? { blobs } : {}),
    ...(loaded ? { loaded } : {}),
    ...(firstCheckAfterMs !== undefined ? { firstCheckAfterMs } : {}),
    ...(parallel ? { parallel } : {}),
  });
  const app = createApp({
    config,
    index: local.index,
    log,
    now,
    ...(served ? { served } : {}),
    sync: () => local.sync(),
  });
  return { app, local };
}
