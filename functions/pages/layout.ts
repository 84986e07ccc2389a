import { escapeHtml } from "../articles/urls.ts";
import type { Config } from "../config.ts";

const STYLE = `body{font:17px/1.6 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b;background:#fff}
header,footer{color:#555;font-size:.9rem}header a{color:inherit}a{color:#0b57d0}h1{line-height:1.25}
ul.articles{list-style:none;padding:0}ul.articles li{margin:0 0 1.4rem}time,.meta{color:#666;font-size:.85rem}
.tags a{margin-right:.5rem}img{max-width:100%;height:auto}pre{overflow:auto;background:#f5f5f5;padding:.8rem}
blockquote{border-left:3px solid #ccc;margin-left:0;padding-left:1rem;color:#444}
@media (prefers-color-scheme:dark){body{background:#141414;color:#e6e6e6}a{color:#8ab4f8}pre{background:#222}}`;

export interface FeedTriple {
  title: string;
  rss: string;
  atom: string;
  json: string;
}

/** A complete HTML page: inline CSS only, autodiscovery links for each feed triple. */
export function layout(
  config: Config,
  opts: { title: string; lang?: string; body: string; feeds: FeedTriple[]; canonical: string },
): string {
  const discovery = opts.feeds
    .map(
      (f) =>
        `<link rel="alternate" type="application/rss+xml" title="${escapeHtml(f.title)} (RSS)" href="${escapeHtml(f.rss)}">\n` +
        `<link rel="alternate" type="application/atom+xml" title="${escapeHtml(f.title)} (Atom)" href="${escapeHtml(f.atom)}">\n` +
        `<link rel="alternate" type="application/feed+json" title="${escapeHtml(f.title)} (JSON Feed)" href="${escapeHtml(f.json)}">`,
    )
    .join("\n");
  // Every page offers the subscription list of all feeds (the OPML autodiscovery convention).
  const outline = `<link rel="outline" type="text/x-opml" title="${escapeHtml(config.site.title)}: all feeds (OPML)" href="${escapeHtml(config.siteUrl)}/opml.xml">`;
  return `<!doctype html>
<html lang="${escapeHtml(opts.lang ?? config.site.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(opts.title)}</title>
<link rel="canonical" href="${escapeHtml(opts.canonical)}">${config.site.icon ? `\n<link rel="icon" href="${escapeHtml(config.site.icon)}">` : ""}
${discovery}
${outline}
<style>${STYLE}</style>
</head>
<body>
<header><a href="${escapeHtml(config.siteUrl)}/">${escapeHtml(config.site.title)}</a> · <a href="${escapeHtml(config.siteUrl)}/feed.xml">RSS</a> · <a href="${escapeHtml(config.siteUrl)}/atom.xml">Atom</a> · <a href="${escapeHtml(config.siteUrl)}/feed.json">JSON Feed</a></header>
<main>
${opts.body}
</main>
<footer>${escapeHtml(config.site.description)}</footer>
</body>
</html>
`;
}

/** `<time>` element for a date, readable and machine-readable. */
export function timeTag(date: Date): string {
  return `<time datetime="${date.toISOString()}">${date.toISOString().slice(0, 10)}</time>`;
}
