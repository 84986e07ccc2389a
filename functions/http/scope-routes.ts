import type { ArticleMeta } from "../articles/article.ts";
import type { Config } from "../config.ts";
import { NotFoundError } from "../errors.ts";
import { renderAtom } from "../feeds/atom.ts";
import { buildFeed } from "../feeds/build.ts";
import { type Cursor, cursorAfter, formatCursor } from "../feeds/cursor.ts";
import { renderIsolated } from "../feeds/isolate.ts";
import { renderJson } from "../feeds/json.ts";
import { renderRss } from "../feeds/rss.ts";
import { type Scope, SITE_SCOPE, scopeKeyOf, scopeOf, scopesFrom } from "../feeds/scopes.ts";
import type { IndexView, ScopeSummary } from "../index/index.ts";
import type { Logger } from "../log.ts";
import { listPage } from "../pages/list.ts";
import { type Answers, latest } from "./answers.ts";
import type { Answer, HttpRequest, Route } from "./exchange.ts";
import { type FreshReads, unavailableAs503 } from "./fresh.ts";
import { NO_STORE } from "./headers.ts";
import { parseBefore, parseLimit } from "./query.ts";
import { respond } from "./respond.ts";

const FORMATS = {
  "feed.xml": { type: "application/rss+xml; charset=utf-8", render: renderRss },
  "atom.xml": { type: "application/atom+xml; charset=utf-8", render: renderAtom },
  "feed.json": { type: "application/feed+json; charset=utf-8", render: renderJson },
} as const;
type FormatName = keyof typeof FORMATS;

/**
 * What a browser opening RSS or Atom as a page gets instead: browsers apply the feeds' XSLT
 * (/feed.xsl) only to generic XML types (Chromium shows application/rss+xml as plain text,
 * Firefox downloads it). Same bytes under their own ETag; readers keep the registered types.
 */
const XML_FOR_BROWSERS = "application/xml; charset=utf-8";
/** RSS and Atom vary on Sec-Fetch-Dest as well as on Accept-Encoding (see isBrowserPage). */
const XML_FEED_VARY = { vary: "Accept-Encoding, Sec-Fetch-Dest" };

/**
 * A top-level browser navigation (not a feed reader or a script). Only Sec-Fetch-Dest decides:
 * it is one short header that CloudFront can put in its cache key, where keying on Accept
 * would split the cache per client.
 */
function isBrowserPage(request: HttpRequest): boolean {
  return request.header("sec-fetch-dest") === "document";
}

export interface ScopeRouteDeps {
  config: Config;
  index: IndexView;
  reads: FreshReads;
  answers: Answers;
  log: Logger;
  /** Runs before every request (the local runtime checks its folder here). */
  sync: () => Promise<void>;
}

/** A scope's current summary: its content version and newest dates (the site's may be empty). */
export interface Current {
  scope: Scope;
  summary: Pick<ScopeSummary, "revision" | "newest">;
  until: number;
}

const EMPTY = { revision: 0, newest: { date: 0, updated: 0 } };

/** Reads the scope a request names (cached for the revalidation interval); 404 if none. */
export async function currentScope(
  deps: Pick<ScopeRouteDeps, "index" | "reads">,
  kind: Scope["kind"],
  name?: string,
): Promise<Current> {
  if (kind === "site") {
    const { value, until } = await deps.reads.get("S|site", () => deps.index.summary("site"));
    return { scope: SITE_SCOPE, summary: value ?? EMPTY, until };
  }
  const key = scopeKeyOf(kind, name ?? "");
  const { value, until } = await deps.reads.get(`S|${key}`, () => deps.index.summary(key));
  const missing = kind === "tag" ? "No such tag" : "No such author";
  if (!value) throw new NotFoundError(missing);
  if (kind === "author") {
    // Author feeds exist only when more than one author writes (see feeds/scopes.ts).
    const all = await deps.reads.get("scopes", () => deps.index.scopes());
    if (!scopesFrom(all.value).authors.size) throw new NotFoundError(missing);
  }
  return { scope: scopeOf(value), summary: value, until };
}

/** Archive pages (with a cursor) hold PAGE_SIZE items unless the reader chose a limit. */
function paging(config: Config, url: URL) {
  const before = parseBefore(url.searchParams.getAll("before"));
  const explicitLimit = url.searchParams.has("limit");
  const fallback = before ? config.pageSize : config.feedLimit;
  const limit = parseLimit(url.searchParams.getAll("limit"), fallback);
  const cursor = before ? formatCursor(before) : "";
  return { limit, before, explicitLimit, cursor };
}

/**
 * A `before` cursor that names no article of the scope is redirected to the one that does
 * (same page): cache entries exist only for canonical cursors, so invented values cannot grow
 * memory or make each request render and compress a fresh page.
 */
async function nonCanonical(
  index: IndexView,
  scope: Scope,
  url: URL,
  before: Cursor | undefined,
): Promise<Answer | undefined> {
  if (!before) return undefined;
  const above = await unavailableAs503(index.above(scope.key, before));
  const canonical = above ? cursorAfter(above) : undefined;
  if (canonical === formatCursor(before)) return undefined;
  const target = new URLSearchParams(url.search);
  if (canonical) target.set("before", canonical);
  else target.delete("before");
  const query = target.toString();
  return {
    status: 302,
    headers: {
      location: `${url.pathname}${query ? `?${query}` : ""}`,
      "cache-control": NO_STORE,
    },
    body: null,
  };
}

/** The HTML page and the three feeds of every scope: the site, each tag, each author. */
export function scopeRoutes(deps: ScopeRouteDeps): Route[] {
  const { config, index, answers, log } = deps;
  const hubLinks = (self: string): Record<string, string> =>
    config.hubUrl ? { link: `<${config.hubUrl}>; rel="hub", <${self}>; rel="self"` } : {};

  const listRoute = async (request: HttpRequest, current: Current) => {
    const { url } = request;
    const { scope, summary, until } = current;
    const { limit, before, cursor } = paging(config, url);
    const redirect = await nonCanonical(index, scope, url, before);
    if (redirect) return redirect;
    return answers.page(
      request,
      `${scope.key}@${summary.revision}|page|${scope.path}|${limit}|${cursor}`,
      async () => {
        const shown = await unavailableAs503(index.metas(scope.key, limit, before));
        const last = shown.items[shown.items.length - 1];
        const next: { items: ArticleMeta[]; next?: ArticleMeta } = {
          items: shown.items,
          ...(shown.more && last ? { next: last } : {}),
        };
        return {
          text: listPage(config, scope, next, limit),
          lastModified: latest(shown.items),
        };
      },
      until,
    );
  };

  const feedRoute = async (request: HttpRequest, current: Current, format: FormatName) => {
    const { url } = request;
    const { scope, summary, until } = current;
    const { limit, before, explicitLimit, cursor } = paging(config, url);
    const redirect = await nonCanonical(index, scope, url, before);
    if (redirect) return redirect;
    const documentPath = `${scope.path}/${format}`;
    const key = `${scope.key}@${summary.revision}|${documentPath}|${limit}${explicitLimit ? "!" : ""}|${cursor}`;
    const rep = await answers.rendered(key, FORMATS[format].type, async () => {
      const page = await unavailableAs503(index.page(scope.key, limit, before));
      const doc = buildFeed(
        config,
        { scope, limit, explicitLimit, ...(before ? { before } : {}), documentPath },
        page,
        summary.newest.updated,
      );
      return {
        // Archive pages keep CACHE_MAX_AGE too: an edit to an older article shows on them, and
        // RSS <ttl> (one value for every page) must agree with the header.
        text: renderIsolated(doc, FORMATS[format].render, log),
        lastModified: latest(page.items.map((item) => item.meta)),
        headers: { ...hubLinks(doc.links.self), ...(format === "feed.json" ? {} : XML_FEED_VARY) },
      };
    });
    if (format === "feed.json" || !isBrowserPage(request))
      return answers.respond(request, rep, until);
    // Another content type is another representation: it gets its own strong ETag.
    return respond(request, {
      ...rep,
      contentType: XML_FOR_BROWSERS,
      etag: `${rep.etag.slice(0, -1)}-xml"`,
      freshUntil: until,
    });
  };

  type Serve = (request: HttpRequest, current: Current) => Promise<Answer>;
  const scopes = [
    { prefix: "", kind: "site" as const },
    { prefix: "/tags/:name", kind: "tag" as const },
    { prefix: "/authors/:name", kind: "author" as const },
  ];
  return scopes.flatMap(({ prefix, kind }) => {
    const route = (path: string, serve: Serve): Route => ({
      path,
      async serve(request, params) {
        await deps.sync();
        const current = await currentScope(deps, kind, params.name);
        return serve(request, current);
      },
    });
    return [
      route(prefix || "/", listRoute),
      ...(Object.keys(FORMATS) as FormatName[]).map((format) =>
        route(`${prefix}/${format}`, (r, c) => feedRoute(r, c, format)),
      ),
    ];
  });
}
