import type { Hono } from "hono";
import { Catalog } from "./articles/catalog.ts";
import type { RevisionLog } from "./articles/revisions.ts";
import type { Config } from "./config.ts";
import { createApp } from "./http/app.ts";
import type { ServedLog } from "./http/served.ts";
import type { Logger } from "./log.ts";
import type { ArticleStore } from "./storage/store.ts";

/** The app wired to a store: what both adapters (Lambda and the local server) run. */
export interface Runtime {
  app: Hono;
  catalog: Catalog;
}

/**
 * Wires config, store and logger into the catalog and the HTTP app. `background`: timed store
 * checks run behind the current snapshot (the local server, whose watcher reports changes).
 * `served` and `revisions`: what the adapter remembers of earlier answers and article contents
 * (see http/served.ts and articles/revisions.ts).
 * `forcedWaitMs`: how long a request waits for a check the watcher forced.
 */
export function createRuntime(
  config: Config,
  store: ArticleStore,
  log: Logger,
  now: () => number = Date.now,
  {
    background = false,
    served,
    revisions,
    forcedWaitMs,
  }: {
    background?: boolean;
    served?: ServedLog;
    revisions?: RevisionLog;
    forcedWaitMs?: number;
  } = {},
): Runtime {
  const catalog = new Catalog(store, {
    siteUrl: config.siteUrl,
    revalidateMs: config.revalidateSeconds * 1000,
    log,
    now,
    background,
    ...(revisions ? { revisions } : {}),
    preview: config.previewDrafts,
    ...(forcedWaitMs !== undefined ? { forcedWaitMs } : {}),
  });
  return { app: createApp({ config, catalog, log, now, ...(served ? { served } : {}) }), catalog };
}
