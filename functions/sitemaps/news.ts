import type { ArticleMeta } from "../articles/article.ts";
import type { Config } from "../config.ts";
import { xmlEscape } from "../feeds/xml-safe.ts";
import { changedAt, type SitemapDocument, w3cDate } from "./sitemap.ts";

/** Google News lists articles of the last two days, at most 1,000 per news sitemap. */
export const NEWS_WINDOW_MS = 48 * 3600 * 1000;
export const MAX_NEWS_URLS = 1_000;

/**
 * The articles a news sitemap lists at `now`: published in the last 48 hours, newest first, at
 * most 1,000. `articles` is a snapshot's newest-first list, so they are a prefix of it.
 */
export function newsArticles(articles: ArticleMeta[], now: number): ArticleMeta[] {
  const cutoff = now - NEWS_WINDOW_MS;
  const recent: ArticleMeta[] = [];
  for (const article of articles) {
    if (article.date.getTime() < cutoff || recent.length >= MAX_NEWS_URLS) break;
    recent.push(article);
  }
  return recent;
}

/**
 * `/news-sitemap.xml` (Google News sitemap): each recent article with the publication's name and
 * language, its publication date and title. With no recent article the urlset is empty (the
 * sitemaps.org schema wants one url at least; Google reads an empty one as "nothing new").
 */
export function renderNewsSitemap(config: Config, articles: ArticleMeta[]): SitemapDocument {
  const site = config.siteUrl;
  const name = xmlEscape(config.site.title);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">',
  ];
  let lastModified = 0;
  for (const article of articles) {
    lastModified = Math.max(lastModified, changedAt(article).getTime());
    lines.push(
      "  <url>",
      `    <loc>${xmlEscape(`${site}/articles/${encodeURIComponent(article.slug)}`)}</loc>`,
      "    <news:news>",
      `      <news:publication><news:name>${name}</news:name><news:language>${newsLanguage(article.lang ?? config.site.language)}</news:language></news:publication>`,
      `      <news:publication_date>${w3cDate(article.date)}</news:publication_date>`,
      `      <news:title>${xmlEscape(article.title)}</news:title>`,
      "    </news:news>",
      "  </url>",
    );
  }
  lines.push("</urlset>", "");
  return { xml: lines.join("\n"), lastModified: new Date(Math.floor(lastModified / 1000) * 1000) };
}

/**
 * A language tag as Google News takes it: an ISO 639 code in lower case (`en-GB` → `en`), except
 * Chinese, which is `zh-cn` (Simplified) or `zh-tw` (Traditional).
 */
export function newsLanguage(tag: string): string {
  const lower = tag.toLowerCase();
  const [primary = "en", ...rest] = lower.split("-");
  if (primary === "zh") {
    return rest.some((part) => ["tw", "hk", "mo", "hant"].includes(part)) ? "zh-tw" : "zh-cn";
  }
  return /^[a-z]{2,3}$/.test(primary) ? primary : "en";
}
