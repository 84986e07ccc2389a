import type { ArticleMeta } from "../articles/article.ts";
import { updatedOf } from "../articles/revisions.ts";
import { absoluteUrl, escapeHtml } from "../articles/urls.ts";
import type { Config } from "../config.ts";
import { tagSlug } from "../feeds/scopes.ts";
import { layout, timeTag } from "./layout.ts";

/**
 * An article as a readable HTML page, with the site's feeds for autodiscovery. `html` is the
 * compiled (sanitized) body.
 */
export function articlePage(config: Config, article: ArticleMeta, html: string): string {
  const site = config.siteUrl;
  const url = `${site}/articles/${encodeURIComponent(article.slug)}`;
  const image = article.image ? absoluteUrl(article.image, site, "source") : undefined;
  const tags = article.tags
    .map(
      (t) =>
        `<a href="${escapeHtml(site)}/tags/${encodeURIComponent(tagSlug(t))}">#${escapeHtml(t)}</a>`,
    )
    .join(" ");
  const authors = article.authors.map((p) => escapeHtml(p.name)).join(", ");
  const changed = updatedOf(article);
  const updated =
    changed.getTime() !== article.date.getTime() ? ` · updated ${timeTag(changed)}` : "";
  const body = `<article>
<h1>${escapeHtml(article.title)}</h1>
<p class="meta">${timeTag(article.date)}${updated}${authors ? ` · ${authors}` : ""}</p>
${image ? `<p><img src="${escapeHtml(image)}" alt=""></p>\n` : ""}${html}
${tags ? `<p class="tags">${tags}</p>` : ""}
</article>`;
  return layout(config, {
    title: `${article.title} – ${config.site.title}`,
    ...(article.lang ? { lang: article.lang } : {}),
    body,
    canonical: url,
    feeds: [
      {
        title: config.site.title,
        rss: `${site}/feed.xml`,
        atom: `${site}/atom.xml`,
        json: `${site}/feed.json`,
      },
    ],
  });
}
