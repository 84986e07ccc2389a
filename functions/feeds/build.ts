import type { ArticleMeta } from "../articles/article.ts";
import { uuidV5 } from "../articles/ids.ts";
import { updatedOf } from "../articles/revisions.ts";
import { absoluteUrl, resolveFragments } from "../articles/urls.ts";
import type { Config } from "../config.ts";
import { type Cursor, cursorAfter, formatCursor } from "./cursor.ts";
import type { FeedDocument, FeedEntry } from "./model.ts";
import type { Scope } from "./scopes.ts";

/** A page of entries as the index returns it: newest first, and whether older ones follow. */
export interface EntryPage {
  items: { meta: ArticleMeta; html: string }[];
  more: boolean;
}

export interface FeedRequest {
  scope: Scope;
  limit: number;
  before?: Cursor;
  /** Base path of this format's document, e.g. `/tags/x/feed.xml` (for self and next links). */
  documentPath: string;
  /**
   * Whether the reader chose `limit` (`?limit=`). Links then keep it; otherwise each page gets
   * its default size: FEED_LIMIT for the subscription document, PAGE_SIZE for archive pages.
   * Default: true when `limit` differs from this page's default.
   */
  explicitLimit?: boolean;
}

/**
 * Builds the format-neutral feed model for one page of a scope. `scopeUpdated` (ms) dates a page
 * past the scope's last article (a stale cursor): an epoch date reads as implausible to
 * validators and readers.
 */
export function buildFeed(
  config: Config,
  request: FeedRequest,
  page: EntryPage,
  scopeUpdated: number,
): FeedDocument {
  const { scope, limit, before } = request;
  const site = config.siteUrl;
  const explicit = request.explicitLimit ?? limit !== (before ? config.pageSize : config.feedLimit);
  const query = (extra: Record<string, string>) => {
    const params = new URLSearchParams();
    // `before` makes the target an archive page; `limit` only when it is not the target's default.
    const targetDefault = extra.before ? config.pageSize : config.feedLimit;
    if (explicit && limit !== targetDefault) params.set("limit", String(limit));
    for (const [k, v] of Object.entries(extra)) params.set(k, v);
    const text = params.toString();
    return text ? `?${text}` : "";
  };
  const base = `${site}${scope.path}`;
  const self = `${site}${request.documentPath}${query(before ? { before: formatCursor(before) } : {})}`;
  const entries = page.items.map((item) => entryOf(config, item.meta, item.html));
  const last = page.items[page.items.length - 1];
  const next = page.more && last ? last.meta : undefined;
  const updated = page.items.length
    ? page.items.reduce((max, a) => Math.max(max, updatedOf(a.meta).getTime()), 0)
    : scopeUpdated;
  const label =
    scope.kind === "tag"
      ? `${config.site.title}: ${scope.name}`
      : scope.kind === "author"
        ? `${config.site.title}: articles by ${scope.name}`
        : config.site.title;
  return {
    id: `urn:uuid:${uuidV5(`feed:${scope.path || "/"}`)}`,
    title: label,
    description:
      scope.kind === "site" ? config.site.description : `${label}. ${config.site.description}`,
    language: config.site.language,
    author: config.site.author,
    ...(config.site.icon ? { icon: config.site.icon } : {}),
    ...(config.site.logo ? { logo: config.site.logo } : {}),
    updated: new Date(updated || 0),
    ttlMinutes: Math.ceil(config.cacheMaxAge / 60),
    links: {
      self,
      alternate: scope.path ? base : `${site}/`,
      rss: `${base}/feed.xml`,
      atom: `${base}/atom.xml`,
      json: `${base}/feed.json`,
      ...(before ? { first: `${site}${request.documentPath}${query({})}` } : {}),
      ...(next
        ? { next: `${site}${request.documentPath}${query({ before: cursorAfter(next) })}` }
        : {}),
      ...(config.hubUrl ? { hub: config.hubUrl } : {}),
      // Browsers that open an RSS or Atom document render it through this XSLT as a readable page.
      stylesheet: `${site}/feed.xsl`,
    },
    entries,
  };
}

function entryOf(config: Config, meta: ArticleMeta, html: string): FeedEntry {
  const site = config.siteUrl;
  const url = `${site}/articles/${encodeURIComponent(meta.slug)}`;
  // In a reader, `#notes` would resolve against the feed: point it at the article page.
  const contentHtml = resolveFragments(html, url);
  // Card views (Feedly, Inoreader, NetNewsWire) want an image per item: the body's first will do.
  const image = meta.image ? absoluteUrl(meta.image, site, "source") : firstImage(contentHtml);
  return {
    id: meta.id,
    url,
    title: meta.title,
    published: meta.date,
    updated: updatedOf(meta),
    authors: meta.authors.map((p) => {
      const url = p.url ? absoluteUrl(p.url, site) : undefined;
      return { name: p.name, ...(p.email ? { email: p.email } : {}), ...(url ? { url } : {}) };
    }),
    tags: meta.tags,
    summary: meta.summary,
    contentHtml,
    ...(image ? { image } : {}),
    attachments: meta.attachments.flatMap((a) => {
      const url = absoluteUrl(a.url, site, "source");
      return url ? [{ ...a, url }] : [];
    }),
    ...(meta.lang ? { lang: meta.lang } : {}),
  };
}

/** The first `<img src>` of sanitized, absolute-linked HTML, if it is an http(s) URL. */
export function firstImage(html: string): string | undefined {
  const src = /<img\b[^>]*?\ssrc="([^"]*)"/i.exec(html)?.[1];
  if (!src) return undefined;
  const url = src
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");
  return /^https?:\/\//i.test(url) ? url : undefined;
}
