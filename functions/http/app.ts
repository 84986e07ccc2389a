import { PatternRouter } from "hono/router/pattern-router";
import { tryDecodeURIComponent } from "hono/utils/url";
import type { Config } from "../config.ts";
import { toHttpError } from "../errors.ts";
import type { IndexView } from "../index/index.ts";
import type { Logger } from "../log.ts";
import { answers } from "./answers.ts";
import { type Answer, type HttpRequest, type Route, requestFrom, responseOf } from "./exchange.ts";
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

/** The HTTP surface: one function from request to answer, and its Fetch API forms. */
export interface App {
  /** Answers one request (the Lambda adapter calls this with no Fetch API objects). */
  answer(request: HttpRequest): Promise<Answer>;
  /** The same as a fetch handler (the local server, hono/aws-lambda in tests). */
  fetch(request: Request): Promise<Response>;
  /** Like hono's `app.request()`: a path (against http://localhost) or URL, and init. */
  request(input: string | URL | Request, init?: RequestInit): Promise<Response>;
}

/** Longest path answered at all; longer ones are refused before any work. */
const MAX_PATH = 1024;
const ALLOW = { allow: "GET, HEAD" };

/**
 * The whole HTTP surface as a route table over the article index (hono's PatternRouter
 * matches paths): the same object serves Lambda (http/lambda-adapter.ts) and the local server
 * (@hono/node-server), and tests call `app.request()` directly.
 */
export function createApp({
  config,
  index,
  log,
  now = Date.now,
  served,
  revalidateMs = 0,
  sync = async () => {},
}: AppDeps): App {
  const deps = {
    config,
    index,
    log,
    now,
    sync,
    reads: new FreshReads(revalidateMs, now, log),
    answers: answers(config, now, served),
  };
  const router = new PatternRouter<Route>();
  for (const route of [...scopeRoutes(deps), ...siteRoutes(deps)])
    router.add("GET", route.path, route);

  const dispatch = async (request: HttpRequest): Promise<Answer> => {
    const { path, method } = request;
    if (path.length > MAX_PATH) return plain(414, "URI too long");
    // No route ends in "/" but the home page (the router would match `/feed.xml/` too).
    if (path.length > 1 && path.endsWith("/")) return plain(404, "Not found");
    const [route, params] = router.match("GET", path)[0][0] ?? [];
    if (!route) return plain(404, "Not found");
    if (method !== "GET" && method !== "HEAD") return plain(405, "Method not allowed", ALLOW);
    return route.serve(request, decoded((params ?? {}) as Record<string, string>));
  };

  const answer = async (request: HttpRequest): Promise<Answer> => {
    let result: Answer;
    try {
      result = await dispatch(request);
    } catch (error) {
      const { status, message, retryAfter } = toHttpError(error);
      if (status >= 500)
        log.error("request failed", {
          reason: error instanceof Error ? error.message : String(error),
          stack: error instanceof Error ? error.stack : undefined,
        });
      result = plain(status, message, retryAfter ? { "retry-after": String(retryAfter) } : {});
    }
    return request.method === "HEAD" && result.body !== null ? { ...result, body: null } : result;
  };

  const fetch = async (request: Request) => responseOf(await answer(requestFrom(request)));
  return {
    answer,
    fetch,
    request: (input, init) => {
      if (input instanceof Request) return fetch(init ? new Request(input, init) : input);
      const text = String(input);
      const url = /^https?:\/\//.test(text)
        ? text
        : `http://localhost${text.startsWith("/") ? "" : "/"}${text}`;
      return fetch(new Request(url, init));
    },
  };
}

/** Path parameters percent-decoded as hono's `c.req.param()` decodes them. */
function decoded(params: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) out[name] = tryDecodeURIComponent(value);
  return out;
}
