/**
 * /sitemap.xml, /sitemaps/N.xml, /news-sitemap.xml and /robots.txt over a real content folder:
 * valid against the sitemaps.org and Google News XSDs (xmllint --schema, schemas in
 * tests/sitemaps/schemas), listing exactly the served pages, cached and revalidated as the feeds.
 */
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ArticleMeta } from "../../functions/articles/article.ts";
import {
  MAX_NEWS_URLS,
  newsArticles,
  newsLanguage,
  renderNewsSitemap,
} from "../../functions/sitemaps/news.ts";
import {
  MAX_URLS_PER_SITEMAP,
  renderSitemapIndex,
  renderSitemapPage,
  type SitemapEntry,
  sitemapPageNumber,
} from "../../functions/sitemaps/sitemap.ts";
import { meta, xmllintErrors } from "../fixtures/index.ts";
import { article, type FolderSite, folderSite, NOW, SITE_URL } from "../support/folder-site.ts";

const schema = (name: string) => fileURLToPath(new URL(`./schemas/${name}`, import.meta.url));
const SITEMAP_XSD = schema("sitemap.xsd");
const SITEINDEX_XSD = schema("siteindex.xsd");
const NEWS_XSD = schema("news-urlset.xsd");
const HOUR = 3600_000;

const iso = (ms: number) => new Date(ms).toISOString();
const FILES = {
  "recent-a.md": article({
    title: "Ferries & trams <late>",
    date: iso(NOW - 4 * HOUR),
    tags: ["Harbour & Port", "Transport"],
  }),
  "recent-b.md": article({ title: "Night buses", date: iso(NOW - 42 * HOUR), lang: "en-GB" }),
  "edge.md": article({ title: "Just too old", date: iso(NOW - 49 * HOUR), tags: ["Transport"] }),
  "old.md": article({ title: "Old news", date: "2026-01-01", author: "Ana", tags: ["Transport"] }),
  "korean.md": article({ title: "부산 소식", date: "2025-03-01", tags: ["한국어"], lang: "ko" }),
  "draft.md": article({ title: "Draft", date: iso(NOW - HOUR), draft: true }),
  "future.md": article({ title: "Tomorrow", date: iso(NOW + 24 * HOUR) }),
};

/** The text of every `<tag>` element, in order. */
const all = (xml: string, tag: string) =>
  [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, "g"))].map((m) => m[1] as string);
const decodeXml = (s: string) =>
  s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

let clock = NOW;
let site: FolderSite;
beforeAll(async () => {
  site = await folderSite({ files: FILES, now: () => clock });
});
afterAll(() => site.dispose());

describe("robots.txt", () => {
  it("allows crawling and names both sitemaps with absolute URLs", async () => {
    const res = await site.get("/robots.txt");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    const text = await res.text();
    expect(text.split("\n")).toEqual([
      "User-agent: *",
      "Allow: /",
      "",
      `Sitemap: ${SITE_URL}/sitemap.xml`,
      `Sitemap: ${SITE_URL}/news-sitemap.xml`,
      "",
    ]);
  });
});

describe("sitemap index and pages", () => {
  it("the index is valid (siteindex.xsd) and names the one page, dated by its newest entry", async () => {
    const res = await site.get("/sitemap.xml");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/xml; charset=utf-8");
    const xml = await res.text();
    expect(xmllintErrors(xml, SITEINDEX_XSD)).toBe("");
    expect(all(xml, "loc")).toEqual([`${SITE_URL}/sitemaps/1.xml`]);
    // The newest change of a served article: recent-a (the draft and the future one do not count).
    const served = await site.local.articles();
    const newest = Math.max(
      ...served.map((a) => Math.max(a.updated.getTime(), a.modified.getTime())),
    );
    expect(all(xml, "lastmod")).toEqual([
      iso(Math.floor(newest / 1000) * 1000).replace(".000Z", "Z"),
    ]);
  });

  it("page 1 is valid (sitemap.xsd) and lists exactly the served article, tag and author pages", async () => {
    const xml = await (await site.get("/sitemaps/1.xml")).text();
    expect(xmllintErrors(xml, SITEMAP_XSD)).toBe("");
    const locs = all(xml, "loc").map(decodeXml);
    const snapshot = { articles: await site.local.articles() };
    const articlePages = locs.filter((loc) => loc.includes("/articles/"));
    expect(articlePages).toEqual(
      snapshot.articles.map((a) => `${SITE_URL}/articles/${encodeURIComponent(a.slug)}`),
    );
    expect(articlePages.map((loc) => loc.split("/").pop())).toEqual([
      "recent-a",
      "recent-b",
      "edge",
      "old",
      "korean",
    ]);
    expect(locs.filter((loc) => !loc.includes("/articles/"))).toEqual([
      `${SITE_URL}/`,
      `${SITE_URL}/tags/harbour-port`,
      `${SITE_URL}/tags/transport`,
      `${SITE_URL}/tags/${encodeURIComponent("한국어")}`,
      `${SITE_URL}/authors/ana`,
      `${SITE_URL}/authors/desk`,
    ]);
    // Every listed URL is a page the app serves.
    for (const loc of locs) expect((await site.get(loc.slice(SITE_URL.length))).status).toBe(200);
  });

  it("each lastmod is the page's newest article change", async () => {
    const xml = await (await site.get("/sitemaps/1.xml")).text();
    const rows = [...xml.matchAll(/<loc>([^<]*)<\/loc><lastmod>([^<]*)<\/lastmod>/g)];
    const byLoc = new Map(rows.map((m) => [decodeXml(m[1] as string), m[2] as string]));
    const snapshot = { articles: await site.local.articles() };
    const changed = (a: ArticleMeta) => Math.max(a.updated.getTime(), a.modified.getTime());
    for (const a of snapshot.articles) {
      expect(byLoc.get(`${SITE_URL}/articles/${a.slug}`)).toBe(
        iso(Math.floor(changed(a) / 1000) * 1000).replace(".000Z", "Z"),
      );
    }
    const transport = snapshot.articles.filter((a) => a.tags.includes("Transport"));
    expect(byLoc.get(`${SITE_URL}/tags/transport`)).toBe(
      iso(Math.floor(Math.max(...transport.map(changed)) / 1000) * 1000).replace(".000Z", "Z"),
    );
  });

  it("answers 404 past the last page and for other names", async () => {
    for (const path of [
      "/sitemaps/2.xml",
      "/sitemaps/0.xml",
      "/sitemaps/01.xml",
      "/sitemaps/1.xml.gz",
      "/sitemaps/x",
    ]) {
      expect((await site.get(path)).status, path).toBe(404);
    }
  });

  it("splits at 50,000 URLs: 120,001 entries make three valid pages and an index of three", () => {
    const base = Date.parse("2025-01-01T00:00:00Z");
    const entries: SitemapEntry[] = Array.from({ length: 120_001 }, (_, i) => ({
      loc: `${SITE_URL}/articles/a-${i}`,
      lastmod: new Date(base + i * 1000),
    }));
    const index = renderSitemapIndex(site.config, entries);
    expect(xmllintErrors(index.xml, SITEINDEX_XSD)).toBe("");
    expect(all(index.xml, "loc")).toEqual([1, 2, 3].map((n) => `${SITE_URL}/sitemaps/${n}.xml`));
    const sizes = [1, 2, 3].map((n) => all(renderSitemapPage(entries, n)?.xml ?? "", "loc").length);
    expect(sizes).toEqual([MAX_URLS_PER_SITEMAP, MAX_URLS_PER_SITEMAP, 20_001]);
    expect(all(index.xml, "lastmod")[2]).toBe(iso(base + 120_000 * 1000).replace(".000Z", "Z"));
    const last = renderSitemapPage(entries, 3)?.xml ?? "";
    expect(xmllintErrors(last, SITEMAP_XSD)).toBe("");
    expect(renderSitemapPage(entries, 4)).toBeUndefined();
    expect(sitemapPageNumber("3.xml")).toBe(3);
  });
});

describe("news sitemap", () => {
  it("lists the articles of the last 48 hours, newest first, valid against Google's news XSD", async () => {
    clock = NOW;
    const res = await site.get("/news-sitemap.xml");
    expect(res.status).toBe(200);
    const xml = await res.text();
    expect(xmllintErrors(xml, NEWS_XSD)).toBe("");
    expect(all(xml, "loc")).toEqual([
      `${SITE_URL}/articles/recent-a`,
      `${SITE_URL}/articles/recent-b`,
    ]);
    expect(all(xml, "news:title").map(decodeXml)).toEqual([
      "Ferries & trams <late>",
      "Night buses",
    ]);
    expect(all(xml, "news:name")).toEqual(["Dateline", "Dateline"]);
    // recent-b is written in en-GB: Google News takes the ISO 639 code.
    expect(all(xml, "news:language")).toEqual(["en", "en"]);
    expect(all(xml, "news:publication_date")).toEqual([
      iso(NOW - 4 * HOUR).replace(".000Z", "Z"),
      iso(NOW - 42 * HOUR).replace(".000Z", "Z"),
    ]);
  });

  it("follows the injected clock: an article 48 h old drops out, and Last-Modified moves forward", async () => {
    clock = NOW;
    const before = await site.get("/news-sitemap.xml");
    const etag = before.headers.get("etag") as string;
    const lastModified = before.headers.get("last-modified") as string;
    clock = NOW + 7 * HOUR; // recent-b is now 49 hours old
    const after = await site.get("/news-sitemap.xml", { "if-none-match": etag });
    expect(after.status).toBe(200);
    const xml = await after.text();
    expect(all(xml, "loc")).toEqual([`${SITE_URL}/articles/recent-a`]);
    expect(Date.parse(after.headers.get("last-modified") as string)).toBeGreaterThan(
      Date.parse(lastModified),
    );
    clock = NOW + 60 * HOUR; // the future-dated article (NOW + 24 h) is live and recent now
    const later = await (await site.get("/news-sitemap.xml")).text();
    expect(all(later, "loc")).toEqual([`${SITE_URL}/articles/future`]);
    clock = NOW + 80 * HOUR; // nothing recent: an empty urlset, still well-formed
    const empty = await (await site.get("/news-sitemap.xml")).text();
    expect(xmllintErrors(empty)).toBe("");
    expect(all(empty, "loc")).toEqual([]);
    clock = NOW;
  });

  it("holds at most 1,000 articles, and maps language tags as Google News wants them", () => {
    const many = Array.from({ length: 1_200 }, (_, i) =>
      meta({ slug: `a-${i}`, date: new Date(NOW - i * 60_000) }),
    );
    const recent = newsArticles(many, NOW);
    expect(recent).toHaveLength(MAX_NEWS_URLS);
    expect(xmllintErrors(renderNewsSitemap(site.config, recent).xml, NEWS_XSD)).toBe("");
    expect(["en-GB", "ko", "zh-Hant-TW", "zh-CN", "pt-BR", "fil"].map(newsLanguage)).toEqual([
      "en",
      "ko",
      "zh-tw",
      "zh-cn",
      "pt",
      "fil",
    ]);
  });
});

describe("conditional GET and caching, as for the feeds", () => {
  for (const path of ["/sitemap.xml", "/sitemaps/1.xml", "/news-sitemap.xml", "/robots.txt"]) {
    it(`${path}: strong ETag and Last-Modified, 304 on either, the feeds' Cache-Control, gzip`, async () => {
      clock = NOW;
      const feed = await site.get("/feed.xml");
      const first = await site.get(path);
      const etag = first.headers.get("etag") as string;
      expect(etag).toMatch(/^"[\w-]{27}"$/);
      expect(first.headers.get("cache-control")).toBe(feed.headers.get("cache-control"));
      expect((await site.get(path, { "if-none-match": etag })).status).toBe(304);
      const since = first.headers.get("last-modified") as string;
      expect((await site.get(path, { "if-modified-since": since })).status).toBe(304);
      const gzip = await site.get(path, { "accept-encoding": "gzip" });
      expect(gzip.headers.get("content-encoding")).toBe("gzip");
      expect(
        (await site.get(path, { "if-none-match": gzip.headers.get("etag") as string })).status,
      ).toBe(304);
      // The same bytes for the same content (the representation cache, not a re-render).
      expect((await site.get(path)).headers.get("etag")).toBe(etag);
    });
  }

  it("a new article changes the sitemap (new ETag, listed) on the next request", async () => {
    clock = NOW;
    const etag = (await site.get("/sitemaps/1.xml")).headers.get("etag") as string;
    await site.write("added.md", article({ title: "Added", date: iso(NOW - 2 * HOUR) }));
    site.local.invalidate(); // as the local watcher does (earlier tests moved the clock back)
    const res = await site.get("/sitemaps/1.xml", { "if-none-match": etag });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(`${SITE_URL}/articles/added`);
    expect(all(await (await site.get("/news-sitemap.xml")).text(), "loc")).toContain(
      `${SITE_URL}/articles/added`,
    );
    await site.remove("added.md");
    site.local.invalidate();
  });
});
