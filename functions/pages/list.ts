import type { ArticleMeta } from "../articles/article.ts";
import { escapeHtml } from "../articles/urls.ts";
import type { Config } from "../config.ts";
import { cursorAfter } from "../feeds/cursor.ts";
import type { Scope } from "../feeds/scopes.ts";
import { tagSlug } from "../feeds/scopes.ts";
import { layout, timeTag } from "./layout.ts";

/**
 * The HTML index of a scope (the home page, a tag, an author): one page of its articles (as
 * `pageOf` cut it), a link to older ones, and its feeds.
 */
export function listPage(
  config: Config,
  scope: Scope,
  shown: { items: ArticleMeta[]; next?: ArticleMeta },
  limit: number,
): string {
  const site = config.siteUrl;
  const title =
    scope.kind === "site"
      ? config.site.title
      : scope.kind === "tag"
        ? `${config.site.title}: ${scope.name}`
        : `${config.site.title}: ${scope.name}`;
  const base = `${site}${scope.path}`;
  const items = shown.items.map((a) => item(site, a));
  const query = new URLSearchParams();
  if (limit !== config.feedLimit) query.set("limit", String(limit));
  if (shown.next) query.set("before", cursorAfter(shown.next));
  const older = shown.next
    ? `\n<p><a rel="next" href="${escapeHtml(scope.path ? base : `${site}/`)}?${escapeHtml(query.toString())}">Older articles</a></p>`
    : "";
  const heading =
    scope.kind === "site"
      ? escapeHtml(config.site.title)
      : scope.kind === "tag"
        ? `Articles tagged “${escapeHtml(scope.name ?? "")}”`
        : `Articles by ${escapeHtml(scope.name ?? "")}`;
  const body = `<h1>${heading}</h1>
<p>Subscribe: <a href="${escapeHtml(base)}/feed.xml">RSS</a> · <a href="${escapeHtml(base)}/atom.xml">Atom</a> · <a href="${escapeHtml(base)}/feed.json">JSON Feed</a></p>
${items.length ? `<ul class="articles">\n${items.join("\n")}\n</ul>` : "<p>No articles yet.</p>"}${older}`;
  return layout(config, {
    title,
    body,
    canonical: scope.path ? base : `${site}/`,
    feeds: [
      { title, rss: `${base}/feed.xml`, atom: `${base}/atom.xml`, json: `${base}/feed.json` },
    ],
  });
}

function item(site: string, a: ArticleMeta): string {
  const tags = a.tags
    .map(
      (t) =>
        `<a href="${escapeHtml(site)}/tags/${encodeURIComponent(tagSlug(t))}">#${escapeHtml(t)}</a>`,
    )
    .join(" ");
  return `<li><a href="${escapeHtml(site)}/articles/${encodeURIComponent(a.slug)}"${a.lang ? ` lang="${escapeHtml(a.lang)}"` : ""}>${escapeHtml(a.title)}</a><br>
<span class="meta">${timeTag(a.date)}${a.authors.length ? ` · ${escapeHtml(a.authors.map((p) => p.name).join(", "))}` : ""}</span>
<br><span${a.lang ? ` lang="${escapeHtml(a.lang)}"` : ""}>${escapeHtml(a.summary)}</span>${tags ? `<br><span class="tags">${tags}</span>` : ""}</li>`;
}
