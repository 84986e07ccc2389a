import type { ArticleMeta } from "../articles/article.ts";
import type { Config } from "../config.ts";
import { groupByScope, scopeOf } from "../feeds/scopes.ts";
import { xmlEscape } from "../feeds/xml-safe.ts";

/** The sitemaps.org limit of URLs in one sitemap file. */
export const MAX_URLS_PER_SITEMAP = 50_000;
const SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9";

/** One page URL of the site and when it last changed. */
export interface SitemapEntry {
  loc: string;
  lastmod: Date;
}

/** A rendered document and the Last-Modified it answers with. */
export interface SitemapDocument {
  xml: string;
  lastModified: Date;
}

/**
 * Every page the site serves, as search engines should crawl it: the home page, each article
 * page (newest first), then each tag and author page (by slug). `lastmod` is the newest change
 * of the articles a page shows (front matter `updated` or the stored file's time). `articles`:
 * the site's, newest first.
 */
export function sitemapEntries(config: Config, articles: ArticleMeta[]): SitemapEntry[] {
  const site = config.siteUrl;
  const known = built.get(articles);
  if (known?.site === site) return known.entries;
  const entries: SitemapEntry[] = [{ loc: `${site}/`, lastmod: newest(articles) }];
  for (const article of articles) {
    entries.push({
      loc: `${site}/articles/${encodeURIComponent(article.slug)}`,
      lastmod: changedAt(article),
    });
  }
  // Tags, then authors, each by slug.
  const rank = (key: string) => `${key.startsWith("tag#") ? 0 : 1}${key.slice(key.indexOf("#"))}`;
  const groups = [...groupByScope(articles)].sort(([a], [b]) =>
    rank(a) < rank(b) ? -1 : rank(a) > rank(b) ? 1 : 0,
  );
  const authors = groups.filter(([key]) => key.startsWith("author#")).length;
  for (const [key, members] of groups) {
    // Author pages exist only when more than one author writes (see feeds/scopes.ts).
    if (key.startsWith("author#") && authors < 2) continue;
    entries.push({ loc: `${site}${scopeOf({ key, name: "" }).path}`, lastmod: newest(members) });
  }
  built.set(articles, { site, entries });
  return entries;
}

const built = new WeakMap<ArticleMeta[], { site: string; entries: SitemapEntry[] }>();

/** How many sitemap pages `entries` need (at least one: the home page is always listed). */
export function sitemapPageCount(entries: SitemapEntry[]): number {
  return Math.max(1, Math.ceil(entries.length / MAX_URLS_PER_SITEMAP));
}

/** `/sitemap.xml`: the sitemap index naming `/sitemaps/1.xml` … with each page's newest lastmod. */
export function renderSitemapIndex(config: Config, entries: SitemapEntry[]): SitemapDocument {
  const pages = Array.from({ length: sitemapPageCount(entries) }, (_, i) => {
    const slice = pageSlice(entries, i + 1);
    return { loc: `${config.siteUrl}/sitemaps/${i + 1}.xml`, lastmod: latest(slice) };
  });
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<sitemapindex xmlns="${SITEMAP_NS}">`,
    ...pages.map(
      (p) =>
        `  <sitemap><loc>${xmlEscape(p.loc)}</loc><lastmod>${w3cDate(p.lastmod)}</lastmod></sitemap>`,
    ),
    "</sitemapindex>",
    "",
  ];
  return { xml: lines.join("\n"), lastModified: latest(pages) };
}

/** `/sitemaps/N.xml` (1-based); undefined past the last page. */
export function renderSitemapPage(
  entries: SitemapEntry[],
  page: number,
): SitemapDocument | undefined {
  if (!Number.isInteger(page) || page < 1 || page > sitemapPageCount(entries)) return undefined;
  const slice = pageSlice(entries, page);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<urlset xmlns="${SITEMAP_NS}">`,
    ...slice.map(
      (e) => `  <url><loc>${xmlEscape(e.loc)}</loc><lastmod>${w3cDate(e.lastmod)}</lastmod></url>`,
    ),
    "</urlset>",
    "",
  ];
  return { xml: lines.join("\n"), lastModified: latest(slice) };
}

/** `1.xml` → 1; undefined for anything else (`01.xml`, `1.xml.gz`, `x.xml`). */
export function sitemapPageNumber(file: string): number | undefined {
  const m = /^([1-9]\d{0,5})\.xml$/.exec(file);
  return m ? Number(m[1]) : undefined;
}

function pageSlice(entries: SitemapEntry[], page: number): SitemapEntry[] {
  return entries.slice((page - 1) * MAX_URLS_PER_SITEMAP, page * MAX_URLS_PER_SITEMAP);
}

/** When an article last changed: its `updated` date or its stored file's time. */
export function changedAt(meta: ArticleMeta): Date {
  return new Date(Math.max(meta.updated.getTime(), meta.modified.getTime()));
}

function newest(articles: ArticleMeta[]): Date {
  let max = 0;
  for (const a of articles) max = Math.max(max, changedAt(a).getTime());
  return new Date(max);
}

function latest(entries: { lastmod: Date }[]): Date {
  let max = 0;
  for (const e of entries) max = Math.max(max, e.lastmod.getTime());
  return new Date(Math.floor(max / 1000) * 1000);
}

/** W3C Datetime (what sitemaps and news sitemaps take), to the second, in UTC. */
export function w3cDate(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
