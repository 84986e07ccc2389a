import { Hono } from "hono";
import type { ArticleMeta } from "../articles/article.ts";
import type { Catalog, Snapshot } from "../articles/catalog.ts";
import { slugify } from "../articles/text.ts";
import type { Config } from "../config.ts";
import { NotFoundError, toHttpError } from "../errors.ts";
import { renderAtom } from "../feeds/atom.ts";
import { buildFeed, type Cursor, canonicalCursor, pageOf } from "../feeds/build.ts";
import { renderIsolated } from "../feeds/isolate.ts";
import { renderJson } from "../feeds/json.ts";
import { renderOpml } from "../feeds/opml.ts";
import { renderRss } from "../feeds/rss.ts";
import { type Scope, scopesOf } from "../feeds/scopes.ts";
import type { Logger } from "../log.ts";
import { articlePage } from "../pages/article.ts";
import { FEED_XSL, FEED_XSL_MODIFIED } from "../pages/feed-xsl.ts";
import { listPage } from "../pages/list.ts";
import { newsArticles, renderNewsSitemap } from "../sitemaps/news.ts";
import { renderRobots } from "../sitemaps/robots.ts";
import {
  changedAt,
  renderSitemapIndex,
  renderSitemapPage,
  sitemapEntries,
  sitemapPageNumber,
} from "../sitemaps/sitemap.ts";
import { parseBefore, parseLimit, parseOpmlFormat } from "./query.ts";
import {
  type Representation,
  represent,
  representationBytes,
  VersionedCache,
} from "./representation.ts";
import { plain, respond } from "./respond.ts";
import { lastModifiedFor, MemoryServedLog, type ServedLog } from "./served.ts";

export interface AppDeps {
  config: Config;
  catalog: Catalog;
  log: Logger;
  /** Injected clock (ms since epoch); tests pin it. */
  now?: () => number;
  /**
   * When each resource's bytes were first served (the adapters pass one; see lastModifiedFor).
   * Without it, Last-Modified is the content's own date: the same for any process.
   */
  served?: ServedLog;
}

const FORMATS = {
  "feed.xml": { type: "application/rss+xml; charset=utf-8", render: renderRss },
  "atom.xml": { type: "application/atom+xml; charset=utf-8", render: renderAtom },
  "feed.json": { type: "application/feed+json; charset=utf-8", render: renderJson },
} as const;
type FormatName = keyof typeof FORMATS;

const HTML = "text/html; charset=utf-8";
const SITEMAP_XML = "application/xml; charset=utf-8";
/**
 * What a browser opening RSS or Atom as a page gets instead: browsers apply the feeds' XSLT
 * (/feed.xsl) only to generic XML types (Chromium shows application/rss+xml as plain text,
 * Firefox downloads it). Same bytes under their own ETag; readers keep the registered types.
 */
const XML_FOR_BROWSERS = "application/xml; charset=utf-8";

/**
 * A top-level browser navigation (not a feed reader or a script). Only Sec-Fetch-Dest decides:
 * it is one short header that CloudFront can put in its cache key (see infra/stack.ts), where
 * keying on Accept would split the cache per client.
 */
function isBrowserPage(request: Request): boolean {
  return request.headers.get("sec-fetch-dest") === "document";
}
/** RSS and Atom vary on Sec-Fetch-Dest as well as on Accept-Encoding (see isBrowserPage). */
const XML_FEED_VARY = { vary: "Accept-Encoding, Sec-Fetch-Dest" };
/** The stylesheet changes only with a deploy. */
const STYLESHEET_MAX_AGE = 86_400;
/** Longest path answered at all; longer ones are refused before any work. */
const MAX_PATH = 1024;
/** Resources whose last answer is remembered so Last-Modified never goes backwards. */
const MAX_REMEMBERED = 2_000;

/**
 * The whole HTTP surface as one Hono app: the same object serves Lambda (http/lambda-adapter.ts) and
 * the local server (@hono/node-server), and tests call `app.request()` directly.
 */
export function createApp({ config, catalog, log, now = Date.now, served }: AppDeps): Hono {
  const reps = new VersionedCache<Representation>(representationBytes);
  // Bytes can change with no newer article date (an article deleted, a next link appearing, a
  // new SITE_URL or site title): Last-Modified must still move, or If-Modified-Since pollers
  // would be told "304" for new bytes (see lastModifiedFor).
  const answered = served ?? new MemoryServedLog(MAX_REMEMBERED);
  const monotonic = (key: string, rep: Representation): Representation => {
    const before = answered.get(key);
    const time = lastModifiedFor(before, rep.etag, rep.lastModified.getTime(), now(), !!served);
    rep.lastModified = new Date(time);
    if (before?.etag !== rep.etag || before.lastModified !== time)
      answered.set(key, { etag: rep.etag, lastModified: time });
    return rep;
  };
  const maxAge = config.cacheMaxAge;
  const cacheControl = (age: number) =>
    `public, max-age=${age}, stale-while-revalidate=${Math.max(age, 60)}, stale-if-error=86400`;
  const hubLinks = (self: string): Record<string, string> =>
    config.hubUrl ? { link: `<${config.hubUrl}>; rel="hub", <${self}>; rel="self"` } : {};

  // Archive pages (with a cursor) hold PAGE_SIZE items unless the reader chose a limit.
  const paging = (url: URL): { limit: number; before?: Cursor; explicitLimit: boolean } => {
    const before = parseBefore(url.searchParams.getAll("before"));
    const explicitLimit = url.searchParams.has("limit");
    const fallback = before ? config.pageSize : config.feedLimit;
    const limit = parseLimit(url.searchParams.getAll("limit"), fallback);
    return before ? { limit, before, explicitLimit } : { limit, explicitLimit };
  };

  /**
   * A `before` cursor that names no article of the scope is redirected to the one that does
   * (same page): cache entries exist only for canonical cursors, so invented values cannot grow
   * memory or make each request render and compress a fresh page.
   */
  const nonCanonical = (url: URL, articles: ArticleMeta[]): Response | undefined => {
    const { before } = paging(url);
    if (!before) return undefined;
    const canonical = canonicalCursor(articles, before);
    if (canonical === `${before.seconds}-${before.slug}`) return undefined;
    const target = new URLSearchParams(url.search);
    if (canonical) target.set("before", canonical);
    else target.delete("before");
    const query = target.toString();
    return new Response(null, {
      status: 302,
      headers: {
        location: `${url.pathname}${query ? `?${query}` : ""}`,
        "cache-control": "no-store",
      },
    });
  };

  const app = new Hono({ strict: true });

  app.use(async (c, next) => {
    if (c.req.path.length > MAX_PATH) return plain(414, "URI too long");
    await next();
  });

  const feed = async (
    request: Request,
    snapshot: Snapshot,
    scope: Scope,
    format: FormatName,
    url: URL,
  ) => {
    const redirect = nonCanonical(url, scope.articles);
    if (redirect) return redirect;
    const { limit, before, explicitLimit } = paging(url);
    const documentPath = `${scope.path}/${format}`;
    const key = `${documentPath}|${limit}${explicitLimit ? "!" : ""}|${before ? `${before.seconds}-${before.slug}` : ""}`;
    const rep = await reps.get(snapshot.version, key, async () => {
      const doc = await buildFeed(config, catalog, {
        scope,
        limit,
        explicitLimit,
        ...(before ? { before } : {}),
        documentPath,
      });
      const { type, render } = FORMATS[format];
      // Archive pages keep CACHE_MAX_AGE too: an edit to an older article shows on them, and
      // RSS <ttl> (one value for every page) must agree with the header.
      return monotonic(
        key,
        represent(
          renderIsolated(doc, render, log),
          type,
          // The page's own articles (a binary search), not a scan of the whole scope.
          latest(pageOf(scope.articles, limit, before).items, now()),
          cacheControl(maxAge),
          { ...hubLinks(doc.links.self), ...(format === "feed.json" ? {} : XML_FEED_VARY) },
        ),
      );
    });
    if (format === "feed.json" || !isBrowserPage(request)) return respond(request, rep);
    // Another content type is another representation: it gets its own strong ETag.
    return respond(request, {
      ...rep,
      contentType: XML_FOR_BROWSERS,
      etag: `${rep.etag.slice(0, -1)}-xml"`,
    });
  };

  const page = async (
    request: Request,
    snapshot: Snapshot,
    key: string,
    lastModified: Date,
    render: () => Promise<string>,
  ) => {
    const rep = await reps.get(snapshot.version, key, async () =>
      monotonic(
        key,
        represent(await render(), HTML, lastModified, cacheControl(maxAge), {
          "content-security-policy":
            "default-src 'none'; style-src 'unsafe-inline'; img-src http: https: data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
          "referrer-policy": "strict-origin-when-cross-origin",
        }),
      ),
    );
    return respond(request, rep);
  };

  const route = (
    path: string,
    handler: (
      request: Request,
      snapshot: Snapshot,
      params: Record<string, string>,
      url: URL,
    ) => Promise<Response>,
  ) => {
    app.get(path, async (c) => {
      const snapshot = await catalog.snapshot();
      return handler(
        c.req.raw,
        snapshot,
        c.req.param() as Record<string, string>,
        new URL(c.req.url),
      );
    });
    app.all(path, () => plain(405, "Method not allowed", { allow: "GET, HEAD" }));
  };

  const scopeRoutes = (
    prefix: string,
    find: (snapshot: Snapshot, param: string | undefined) => Scope,
  ) => {
    route(prefix || "/", (req, snap, params, url) => {
      const scope = find(snap, params.name);
      const redirect = nonCanonical(url, scope.articles);
      if (redirect) return Promise.resolve(redirect);
      // Same query rules as the feeds: the page lists what its feeds list, and pages the same way.
      const { limit, before } = paging(url);
      const shown = pageOf(scope.articles, limit, before);
      const cursor = before ? `${before.seconds}-${before.slug}` : "";
      return page(
        req,
        snap,
        `page|${scope.path}|${limit}|${cursor}`,
        latest(shown.items, now()),
        async () => listPage(config, scope, shown, limit),
      );
    });
    for (const format of Object.keys(FORMATS) as FormatName[]) {
      route(`${prefix}/${format}`, (req, snap, params, url) =>
        feed(req, snap, find(snap, params.name), format, url),
      );
    }
  };

  scopeRoutes("", (snapshot) => scopesOf(snapshot).site);
  scopeRoutes("/tags/:name", (snapshot, name) =>
    found(scopesOf(snapshot).tags.get(slugify(name ?? "")), "No such tag"),
  );
  scopeRoutes("/authors/:name", (snapshot, name) =>
    found(scopesOf(snapshot).authors.get(slugify(name ?? "")), "No such author"),
  );

  /** A document rendered once per content version (and key), answered like the feeds. */
  const cached = async (
    request: Request,
    snapshot: Snapshot,
    key: string,
    type: string,
    render: () => { text: string; lastModified: Date },
  ) => {
    const rep = await reps.get(snapshot.version, key, async () => {
      const { text, lastModified } = render();
      // Never in the future (a file's time can be ahead of the clock), as for the feeds.
      const second = Math.floor(Math.min(lastModified.getTime(), now()) / 1000) * 1000;
      return monotonic(key, represent(text, type, new Date(second), cacheControl(maxAge)));
    });
    return respond(request, rep);
  };

  // Subscription list of every feed (OPML 2.0), announced by rel="outline" on every page.
  route("/opml.xml", async (req, snap, _params, url) => {
    const format = parseOpmlFormat(url.searchParams.getAll("format"));
    const key = format === "rss" ? "opml" : `opml|${format}`;
    return cached(req, snap, key, "text/x-opml; charset=utf-8", () => ({
      text: renderOpml(config, scopesOf(snap), snap.lastModified, format),
      lastModified: snap.lastModified,
    }));
  });

  // Sitemaps for search engines and Google News, named by robots.txt (functions/sitemaps).
  route("/sitemap.xml", async (req, snap) =>
    cached(req, snap, "sitemap", SITEMAP_XML, () => {
      const { xml, lastModified } = renderSitemapIndex(config, sitemapEntries(config, snap));
      return { text: xml, lastModified };
    }),
  );
  route("/sitemaps/:file", async (req, snap, params) => {
    const page = sitemapPageNumber(params.file ?? "");
    const doc = found(
      page === undefined ? undefined : renderSitemapPage(sitemapEntries(config, snap), page),
      "No such sitemap",
    );
    return cached(req, snap, `sitemap|${page}`, SITEMAP_XML, () => ({
      text: doc.xml,
      lastModified: doc.lastModified,
    }));
  });
  route("/news-sitemap.xml", async (req, snap) => {
    // The clock decides which articles are recent: the key is how many are (a newest-first prefix).
    const recent = newsArticles(snap.articles, now());
    return cached(req, snap, `news-sitemap|${recent.length}`, SITEMAP_XML, () => {
      const { xml, lastModified } = renderNewsSitemap(config, recent);
      return { text: xml, lastModified: recent.length ? lastModified : snap.lastModified };
    });
  });
  route("/robots.txt", async (req, snap) =>
    cached(req, snap, "robots", "text/plain; charset=utf-8", () => ({
      text: renderRobots(config),
      lastModified: snap.lastModified,
    })),
  );

  // The XSLT named by the RSS and Atom documents: their readable browser view.
  const stylesheet = represent(
    FEED_XSL,
    "text/xsl; charset=utf-8",
    FEED_XSL_MODIFIED,
    cacheControl(STYLESHEET_MAX_AGE),
  );
  app.get("/feed.xsl", (c) => respond(c.req.raw, stylesheet));
  app.all("/feed.xsl", () => plain(405, "Method not allowed", { allow: "GET, HEAD" }));

  route("/articles/:slug", async (req, snap, params) => {
    const meta = found(snap.bySlug.get(params.slug ?? ""), "No such article");
    // A file that stopped compiling (or vanished) since the snapshot answers 404 until the next
    // check drops it; the rejected render is not cached.
    return page(req, snap, `article|${meta.slug}`, changedAt(meta), async () => {
      const served = found(await catalog.article(meta), "No such article");
      return articlePage(config, served.meta, served.html);
    });
  });

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

function found<T>(value: T | undefined, message: string): T {
  if (value === undefined) throw new NotFoundError(message);
  return value;
}

/** Newest change among articles, to the second (HTTP dates have no milliseconds), never future. */
function latest(articles: ArticleMeta[], now: number): Date {
  let max = 0;
  for (const a of articles) max = Math.max(max, a.updated.getTime(), a.modified.getTime());
  return new Date(Math.floor(Math.min(max, now) / 1000) * 1000);
}
