import { createHash } from "node:crypto";
import type { ArticleMeta } from "../articles/article.ts";
import type { Config } from "../config.ts";
import { NotFoundError } from "../errors.ts";
import { renderOpml } from "../feeds/opml.ts";
import { scopesFrom } from "../feeds/scopes.ts";
import type { IndexView, ScopeSummary } from "../index/index.ts";
import { articlePage } from "../pages/article.ts";
import { FEED_XSL, FEED_XSL_MODIFIED } from "../pages/feed-xsl.ts";
import { MAX_NEWS_URLS, newsArticles, renderNewsSitemap } from "../sitemaps/news.ts";
import { renderRobots } from "../sitemaps/robots.ts";
import {
  changedAt,
  renderSitemapIndex,
  renderSitemapPage,
  sitemapEntries,
  sitemapPageCount,
  sitemapPageNumber,
} from "../sitemaps/sitemap.ts";
import type { Answers } from "./answers.ts";
import type { Route } from "./exchange.ts";
import { type FreshReads, unavailableAs503 } from "./fresh.ts";
import { parseOpmlFormat } from "./query.ts";
import { represent } from "./representation.ts";
import { respond } from "./respond.ts";
import { currentScope } from "./scope-routes.ts";

const SITEMAP_XML = "application/xml; charset=utf-8";
/** The stylesheet changes only with a deploy. */
const STYLESHEET_MAX_AGE = 86_400;
/** Every article of the site in one read (sitemaps); far above any archive served here. */
const ALL = 10_000_000;

export interface SiteRouteDeps {
  config: Config;
  index: IndexView;
  reads: FreshReads;
  answers: Answers;
  now: () => number;
  sync: () => Promise<void>;
}

/** When the set of scopes last changed as readers see it: the newest `updated` of any scope. */
function newestOf(summaries: ScopeSummary[]): Date {
  let max = 0;
  for (const s of summaries) max = Math.max(max, s.newest.updated);
  return new Date(max);
}

/** The site-wide documents: OPML, sitemaps, robots.txt, the feeds' XSLT and article pages. */
export function siteRoutes(deps: SiteRouteDeps): Route[] {
  const { config, index, reads, answers, now } = deps;
  const routes: Route[] = [];
  const route = (path: string, serve: Route["serve"]) =>
    routes.push({
      path,
      async serve(request, params) {
        await deps.sync();
        return serve(request, params);
      },
    });
  const site = () => currentScope(deps, "site");
  // Each sitemap page of one site version needs the same list: read once per version.
  let everything: { revision: number; articles: Promise<ArticleMeta[]> } | undefined;
  const allArticles = (revision: number) => {
    if (everything?.revision !== revision) {
      const articles = unavailableAs503(index.metas("site", ALL)).then((page) => page.items);
      everything = { revision, articles };
      articles.catch(() => {
        if (everything?.articles === articles) everything = undefined;
      });
    }
    return everything.articles;
  };

  // Subscription list of every feed (OPML 2.0), announced by rel="outline" on every page.
  route("/opml.xml", async (request) => {
    const format = parseOpmlFormat(request.url.searchParams.getAll("format"));
    const { value: summaries, until } = await reads.get("scopes", () => index.scopes());
    const version = summaries
      .map((s) => `${s.key}\u0000${s.name}\u0000${s.newest.updated}`)
      .join("\n");
    const key = `${hash(version)}|${format === "rss" ? "opml" : `opml|${format}`}`;
    return answers.text(
      request,
      key,
      "text/x-opml; charset=utf-8",
      async () => {
        const modified = new Date(Math.floor(newestOf(summaries).getTime() / 1000) * 1000);
        return {
          text: renderOpml(config, scopesFrom(summaries), modified, format),
          lastModified: modified,
        };
      },
      until,
    );
  });

  // Sitemaps for search engines and Google News, named by robots.txt (functions/sitemaps).
  route("/sitemap.xml", async (request) => {
    const { summary, until } = await site();
    return answers.text(
      request,
      `${summary.revision}|sitemap`,
      SITEMAP_XML,
      async () => {
        const entries = sitemapEntries(config, await allArticles(summary.revision));
        const { xml, lastModified } = renderSitemapIndex(config, entries);
        return { text: xml, lastModified };
      },
      until,
    );
  });
  route("/sitemaps/:file", async (request, params) => {
    const { summary, until } = await site();
    const page = sitemapPageNumber(params.file ?? "");
    const entries = sitemapEntries(config, await allArticles(summary.revision));
    // Only the page count is checked per request: the page itself renders once per version.
    if (page === undefined || page > sitemapPageCount(entries))
      throw new NotFoundError("No such sitemap");
    return answers.text(
      request,
      `${summary.revision}|sitemap|${page}`,
      SITEMAP_XML,
      async () => {
        const doc = renderSitemapPage(entries, page);
        if (!doc) throw new NotFoundError("No such sitemap");
        return { text: doc.xml, lastModified: doc.lastModified };
      },
      until,
    );
  });
  route("/news-sitemap.xml", async (request) => {
    const { summary, until } = await site();
    const { value: recentPage } = await reads.get(`news|${summary.revision}`, () =>
      index.metas("site", MAX_NEWS_URLS),
    );
    // The clock decides which articles are recent: the key is how many are (a newest-first prefix).
    const recent = newsArticles(recentPage.items, now());
    return answers.text(
      request,
      `${summary.revision}|news-sitemap|${recent.length}`,
      SITEMAP_XML,
      async () => {
        const { xml, lastModified } = renderNewsSitemap(config, recent);
        return {
          text: xml,
          lastModified: recent.length ? lastModified : new Date(summary.newest.updated),
        };
      },
      until,
    );
  });
  route("/robots.txt", async (request) => {
    const { summary, until } = await site();
    return answers.text(
      request,
      `${summary.revision}|robots`,
      "text/plain; charset=utf-8",
      async () => ({ text: renderRobots(config), lastModified: new Date(summary.newest.updated) }),
      until,
    );
  });

  // The XSLT named by the RSS and Atom documents: their readable browser view.
  const stylesheet = represent(
    FEED_XSL,
    "text/xsl; charset=utf-8",
    FEED_XSL_MODIFIED,
    answers.cacheControl(STYLESHEET_MAX_AGE),
  );
  // Fixed for the life of the deployment: an adapter may keep its answers for good.
  stylesheet.freshUntil = Number.POSITIVE_INFINITY;
  routes.push({ path: "/feed.xsl", serve: (request) => respond(request, stylesheet) });

  route("/articles/:slug", async (request, params) => {
    const slug = params.slug ?? "";
    const { value: article, until } = await reads.get(`P|${slug}`, () => index.article(slug));
    if (!article) throw new NotFoundError("No such article");
    const { meta } = article;
    const version = hash(
      `${meta.key}\u0000${meta.version}\u0000${meta.modified.getTime()}\u0000${meta.revised?.getTime() ?? ""}\u0000${meta.id}`,
    );
    return answers.page(
      request,
      `${version}|article|${meta.slug}`,
      async () => ({
        text: articlePage(config, meta, article.html),
        lastModified: changedAt(meta),
      }),
      until,
    );
  });
  return routes;
}

/** A short digest of a content version for cache keys. */
function hash(text: string): string {
  return createHash("sha256").update(text).digest("base64url").slice(0, 16);
}
