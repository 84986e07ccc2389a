import type { Attachment, Person } from "../articles/article.ts";

/** Links a feed document carries: where it lives, its site page, its siblings and its pages. */
export interface FeedLinks {
  /** This document's own URL (the `self` link). */
  self: string;
  /** The HTML page the feed describes. */
  alternate: string;
  rss: string;
  atom: string;
  json: string;
  /** The subscription document (RFC 5005 `first`), set on archive pages. */
  first?: string;
  /** The next, older page (RFC 5005 `next`). */
  next?: string;
  /** WebSub hub. */
  hub?: string;
  /** XSL stylesheet that makes the XML readable in a browser. */
  stylesheet?: string;
}

/** One article as every feed format sees it: URLs absolute, HTML safe, text plain. */
export interface FeedEntry {
  id: string;
  url: string;
  title: string;
  published: Date;
  updated: Date;
  authors: Person[];
  tags: string[];
  /** Plain text. */
  summary: string;
  /** Sanitized HTML with absolute links. */
  contentHtml: string;
  /** Absolute image URL: front matter `image:`, else the first image of the body. */
  image?: string;
  /** Absolute URLs. */
  attachments: Attachment[];
  lang?: string;
}

/** A format-neutral feed: what the three renderers turn into RSS, Atom and JSON Feed. */
export interface FeedDocument {
  /** Permanent feed id (Atom `<id>`). */
  id: string;
  title: string;
  description: string;
  language: string;
  author: Person;
  /** Absolute URL of the site's small square icon (SITE_ICON). */
  icon?: string;
  /** Absolute URL of the site's wider logo (SITE_LOGO). */
  logo?: string;
  /** Newest `updated` of the entries (never "now", so output is deterministic). */
  updated: Date;
  /** RSS `<ttl>` in minutes, consistent with Cache-Control max-age. */
  ttlMinutes: number;
  links: FeedLinks;
  entries: FeedEntry[];
}
