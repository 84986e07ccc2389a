import { Feed } from "feed";
import type { FeedDocument } from "./model.ts";
import { patch } from "./patch.ts";
import { imageType, mediaType, SafeStrings, withAbsoluteUrls } from "./xml-safe.ts";

const ROOT =
  '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/">';

/** Renders RSS 2.0 with `feed`, behind the SafeStrings layer. Valid for the W3C validator. */
export function renderRss(input: FeedDocument): string {
  const doc = withAbsoluteUrls(input);
  const s = new SafeStrings();
  const feed = new Feed({
    title: s.rssText(doc.title),
    description: s.rssText(doc.description),
    id: s.text(doc.id),
    link: s.url(doc.links.alternate),
    language: doc.language,
    updated: doc.updated,
    generator: "Dateline",
    // RSS has one channel image (at most 144 px wide): the logo, else the icon.
    ...(doc.logo || doc.icon ? { image: s.url((doc.logo ?? doc.icon) as string) } : {}),
    ...(doc.ttlMinutes > 0 ? { ttl: doc.ttlMinutes } : {}),
    ...(doc.links.stylesheet ? { stylesheet: s.text(doc.links.stylesheet) } : {}),
    // Setting the self link makes `feed` declare the atom namespace; the links themselves are
    // replaced below so next/first/hub can join self.
    feedLinks: { rss: s.url(doc.links.self) },
  });
  const atomLinks: Record<string, string>[] = [
    { rel: "self", href: doc.links.self, type: "application/rss+xml" },
    ...(doc.links.first
      ? [{ rel: "first", href: doc.links.first, type: "application/rss+xml" }]
      : []),
    ...(doc.links.next ? [{ rel: "next", href: doc.links.next, type: "application/rss+xml" }] : []),
    ...(doc.links.hub ? [{ rel: "hub", href: doc.links.hub }] : []),
  ];
  feed.addExtension({
    name: "atom:link",
    objects: atomLinks.map((attributes) => ({ _attributes: mapValues(attributes, s) })) as never,
  });
  feed.addExtension({ name: "dc:creator", objects: { _text: s.text(doc.author.name) } });

  for (const entry of doc.entries) {
    const enclosure = entry.attachments[0] ?? imageEnclosure(entry.image);
    const imageMedia = entry.image ? imageType(entry.image) : undefined;
    feed.addItem({
      title: s.rssText(entry.title),
      id: s.text(entry.id),
      link: s.url(entry.url),
      date: entry.updated,
      published: entry.published,
      description: s.textAsHtml(entry.summary),
      content: s.html(entry.contentHtml),
      category: entry.tags.map((tag) => ({ name: s.text(tag) })),
      ...(enclosure
        ? {
            enclosure: {
              url: s.url(enclosure.url),
              type: s.text(mediaType(enclosure.type)),
              length: enclosure.size ?? 0,
            },
          }
        : {}),
      extensions: [
        // One dc:creator naming everyone: with one element per person, newsboat and rss-parser
        // show only the last and rss2email only the first.
        ...(entry.authors.length > 0
          ? [{ name: "dc:creator", objects: { _text: s.text(bylineOf(entry.authors)) } }]
          : []),
        // RSS has no element for the last update; readers (feedparser among them) take Atom's.
        { name: "atom:updated", objects: { _text: entry.updated.toISOString() } },
        // Media RSS, where card-view readers (Feedly, Inoreader) look for an item's picture.
        ...(entry.image
          ? [
              {
                name: "media:content",
                objects: {
                  _attributes: {
                    url: s.url(entry.image),
                    medium: "image",
                    ...(imageMedia ? { type: imageMedia } : {}),
                  },
                },
              },
              { name: "media:thumbnail", objects: { _attributes: { url: s.url(entry.image) } } },
            ]
          : []),
      ],
    });
  }
  return patch(s.resolve(feed.rss2()), "the RSS root", /<rss [^>]*>/, ROOT);
}

/** Every author's name in one line, in order: `Ana Müller, Kim Seo-yeon`. */
export function bylineOf(authors: { name: string }[]): string {
  return authors.map((a) => a.name).join(", ");
}

function imageEnclosure(
  image: string | undefined,
): { url: string; type: string; size?: number } | undefined {
  const type = image ? imageType(image) : undefined;
  return image && type ? { url: image, type } : undefined;
}

function mapValues(record: Record<string, string>, s: SafeStrings): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, s.text(value)]));
}
