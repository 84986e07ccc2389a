import type { Person } from "../articles/article.ts";
import { stripXmlIllegal } from "../articles/text.ts";
import type { FeedDocument } from "./model.ts";
import { mediaType, withAbsoluteUrls } from "./xml-safe.ts";

/** JSON Feed 1.1 as https://www.jsonfeed.org/version/1.1/ defines it. */
export interface JsonFeed {
  version: "https://jsonfeed.org/version/1.1";
  title: string;
  home_page_url: string;
  feed_url: string;
  description: string;
  language: string;
  authors: JsonAuthor[];
  /** Both square: `icon` large (an avatar in timelines), `favicon` small. */
  icon?: string;
  favicon?: string;
  next_url?: string;
  hubs?: { type: string; url: string }[];
  items: JsonItem[];
}

interface JsonAuthor {
  name: string;
  url?: string;
}

interface JsonItem {
  id: string;
  url: string;
  title: string;
  content_html: string;
  summary: string;
  date_published: string;
  date_modified: string;
  authors?: JsonAuthor[];
  tags?: string[];
  image?: string;
  banner_image?: string;
  language?: string;
  attachments?: {
    url: string;
    mime_type: string;
    title?: string;
    size_in_bytes?: number;
    duration_in_seconds?: number;
  }[];
}

/** Renders JSON Feed 1.1 from the feed model (not `feed`'s json1(), which writes version 1.0). */
export function renderJson(input: FeedDocument): string {
  const doc = withAbsoluteUrls(input);
  const feed: JsonFeed = {
    version: "https://jsonfeed.org/version/1.1",
    title: doc.title,
    home_page_url: doc.links.alternate,
    feed_url: doc.links.self,
    description: doc.description,
    language: doc.language,
    authors: [author(doc.author)],
    ...(doc.icon ? { icon: doc.icon, favicon: doc.icon } : {}),
    ...(doc.links.next ? { next_url: doc.links.next } : {}),
    ...(doc.links.hub ? { hubs: [{ type: "WebSub", url: doc.links.hub }] } : {}),
    items: doc.entries.map((entry) => ({
      id: entry.id,
      url: entry.url,
      title: entry.title,
      content_html: entry.contentHtml,
      summary: entry.summary,
      date_published: entry.published.toISOString(),
      date_modified: entry.updated.toISOString(),
      ...(entry.authors.length > 0 ? { authors: entry.authors.map(author) } : {}),
      ...(entry.tags.length > 0 ? { tags: entry.tags } : {}),
      ...(entry.image ? { image: entry.image, banner_image: entry.image } : {}),
      ...(entry.lang ? { language: entry.lang } : {}),
      ...(entry.attachments.length > 0
        ? {
            attachments: entry.attachments.map((a) => ({
              url: a.url,
              mime_type: mediaType(a.type),
              ...(a.title ? { title: a.title } : {}),
              ...(a.size !== undefined ? { size_in_bytes: a.size } : {}),
              ...(a.durationSeconds !== undefined
                ? { duration_in_seconds: a.durationSeconds }
                : {}),
            })),
          }
        : {}),
    })),
  };
  // The same characters the XML feeds cannot carry are dropped here, so all three formats agree.
  const clean = (_key: string, value: unknown) =>
    typeof value === "string" ? stripXmlIllegal(value) : value;
  return `${JSON.stringify(feed, clean, 2)}\n`;
}

// JSON Feed authors have no e-mail field; a URL is kept when there is one.
function author(p: Person): JsonAuthor {
  return { name: p.name, ...(p.url ? { url: p.url } : {}) };
}
