import type { Config } from "../config.ts";

/** `/robots.txt`: everything may be crawled; both sitemaps are named (absolute URLs, as required). */
export function renderRobots(config: Config): string {
  return [
    "User-agent: *",
    "Allow: /",
    "",
    `Sitemap: ${config.siteUrl}/sitemap.xml`,
    `Sitemap: ${config.siteUrl}/news-sitemap.xml`,
    "",
  ].join("\n");
}
