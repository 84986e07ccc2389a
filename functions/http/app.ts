import { Hono } from "hono/tiny";
import type { Config } from "../config.ts";
import { toHttpError } from "../errors.ts";
import type { IndexView } from "../index/index.ts";
import type { Logger } from "../log.ts";
import { answers } from "./answers.ts";
import { FreshReads } from "./fresh.ts";
import { plain } from "./respond.ts";
import { scopeRoutes } from "./scope-routes.ts";
import type { ServedLog } from "./served.ts";
import { siteRoutes } from "./site-routes.ts";

export interface AppDeps {
  config: Config;
  /** The article index the app reads (in memory locally, DynamoDB on AWS). */
  index: IndexView;
  log: Logger;
  /** Injected clock (ms since epoch); tests pin it. */
  now?: () => number;
  /**
   * When each resource's bytes were first served (the adapters pass one; see lastModifiedFor).
   * Without it, Last-Modified is the content's own date: the same for any process.
   */
  served?: ServedLog;
  /**
   * How long (ms) an index read is reused before the index is asked again (default 0: every
   * request asks, as locally where the index is in memory; on Lambda the revalidation interval).
   */
  revalidateMs?: number;
  /** Runs before each request is answered (the local runtime checks its folder here). */
  sync?: () => Promise<void>;
}

/** Longest path answered at all; longer ones are refused before any work. */
const MAX_PATH = 1024;

/**
 * The whole HTTP surface as one Hono app over the article index: the same object serves Lambda
 * (http/lambda-adapter.ts) and the local server (@hono/node-server), and tests call
 * `app.request()` directly.
 */
export function createApp({
  config,
  index,
  log,
  now = Date.now,
  served,
  revalidateMs = 0,
  sync = async () => {},
}: AppDeps): Hono {
  const deps = {
    config,
    index,
    log,
    now,
    sync,
    reads: new FreshReads(revalidateMs, now, log),
    answers: answers(config, now, served),
  };
  const app = new Hono({ strict: true });
  app.use(async (c, next) => {
    if (c.req.path.length > MAX_PATH) return plain(414, "URI too long");
    // No route ends in "/" but the home page (hono/tiny's router would match `/feed.xml/` too).
    if (c.req.path.length > 1 && c.req.path.endsWith("/")) return plain(404, "Not found");
    await next();
  });
  scopeRoutes(app, deps);
  siteRoutes(app, deps);
  app.notFound(() => plain(404, "Not found"));
  app.onError((error) => {
    const { status, message, retryAfter } = toHttpError(error);
    if (status >= 500)
      log.error("request failed", {
        reason: error instanceof Error ? error.message : String(error),
        stack: error instanceof Error ? error.stack : undefined,
      });
    return plain(status, message, retryAfter ? { "retry-after": String(retryAfter) } : {});
  });
  return app;
}
