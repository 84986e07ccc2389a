import { Feed } from "feed";
import type { Person } from "../articles/article.ts";
import type { FeedDocument, FeedEntry } from "./model.ts";
import { patch } from "./patch.ts";
import { imageType, mediaType, SafeStrings, withAbsoluteUrls, xmlEscape } from "./xml-safe.ts";

/** Renders Atom 1.0 with `feed`, behind the SafeStrings layer. Valid for the W3C validator. */
export function renderAtom(input: FeedDocument): string {
  const doc = withAbsoluteUrls(input);
  const s = new SafeStrings();
  const feed = new Feed({
    title: s.text(doc.title),
    description: s.text(doc.description),
    id: s.text(doc.id),
    link: s.url(doc.links.alternate),
    language: doc.language,
    updated: doc.updated,
    generator: "Dateline",
    author: person(doc.author, s),
    // Atom's icon is small and square, its logo twice as wide as tall.
    ...(doc.icon ? { favicon: s.url(doc.icon) } : {}),
    ...(doc.logo ? { image: s.url(doc.logo) } : {}),
    ...(doc.links.stylesheet ? { stylesheet: s.text(doc.links.stylesheet) } : {}),
    ...(doc.links.hub ? { hub: s.url(doc.links.hub) } : {}),
    feedLinks: { atom: s.url(doc.links.self) },
  });
  const extraLinks = new Map<string, string>();
  for (const entry of doc.entries) {
    const summary = summaryOf(entry);
    feed.addItem({
      title: s.text(entry.title),
      id: s.url(entry.id),
      link: s.url(entry.url),
      date: entry.updated,
      published: entry.published,
      ...(summary ? { description: s.text(summary) } : {}),
      ...(entry.contentHtml.trim() ? { content: s.html(entry.contentHtml) } : {}),
      author: entry.authors.map((author) => person(author, s)),
      category: entry.tags.map((tag) => ({ term: s.text(tag) })),
    });
    // `feed` guesses enclosure types from file extensions and drops lengths; write them here.
    const enclosures = [
      // The image once: an attachment with the same URL carries more (length, title).
      ...(entry.image &&
      imageType(entry.image) &&
      !entry.attachments.some((a) => a.url === entry.image)
        ? [{ url: entry.image, type: imageType(entry.image) as string }]
        : []),
      ...entry.attachments,
    ].map(
      (a) =>
        `<link rel="enclosure" href="${xmlEscape(a.url)}" type="${xmlEscape(mediaType(a.type))}"${"size" in a && a.size !== undefined ? ` length="${a.size}"` : ""}${"title" in a && a.title ? ` title="${xmlEscape(a.title)}"` : ""}/>`,
    );
    extraLinks.set(entry.url, enclosures.join(""));
  }
  const feedLinks = [
    doc.links.first
      ? `<link rel="first" type="application/atom+xml" href="${xmlEscape(doc.links.first)}"/>`
      : "",
    doc.links.next
      ? `<link rel="next" type="application/atom+xml" href="${xmlEscape(doc.links.next)}"/>`
      : "",
  ].join("");
  const self = `<link rel="self" href="${xmlEscape(doc.links.self)}"/>`;
  let xml = s.resolve(asPlainText(feed.atom1(), doc));
  xml = patch(
    xml,
    "the Atom root",
    '<feed xmlns="http://www.w3.org/2005/Atom">',
    `<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="${xmlEscape(doc.language)}">`,
  );
  xml = patch(
    xml,
    "the self link",
    self,
    `<link rel="self" type="application/atom+xml" href="${xmlEscape(doc.links.self)}"/>${feedLinks}`,
  );
  // One per entry (the feed's own alternate link has its rel already).
  return patch(
    xml,
    "the alternate links",
    /<link href="([^"]*)"\/>/,
    (_m, href = "") => {
      const url = href.replace(/&amp;/g, "&");
      return `<link rel="alternate" type="text/html" href="${href}"/>${extraLinks.get(url) ?? ""}`;
    },
    doc.entries.length,
  );
}

function person(p: Person, s: SafeStrings) {
  return {
    name: s.text(p.name),
    ...(p.email ? { email: s.text(p.email) } : {}),
    ...(p.url ? { link: s.url(p.url) } : {}),
  };
}

/**
 * `feed` writes every entry title and summary as `type="html"` CDATA. Ours are plain text: as
 * HTML, a title such as `Q&A <b>` shows as `Q&amp;A &lt;b&gt;` in readers that trust the type
 * (feedparser, rss-parser, elfeed). They become `type="text"` character data (escaped on resolve).
 */
function asPlainText(xml: string, doc: FeedDocument): string {
  const summaries = doc.entries.filter((e) => summaryOf(e)).length;
  return patch(
    xml,
    "the html titles and summaries",
    /<(title|summary) type="html"><!\[CDATA\[(\uE000\d+\uE001)\]\]><\/\1>/,
    '<$1 type="text">$2</$1>',
    doc.entries.length + summaries,
  );
}

/**
 * An entry's Atom summary. Blank summary or content elements are flagged (NotBlank); an entry
 * with neither is flagged too (MissingTextualContent), so a title-only article repeats its
 * title as the summary.
 */
function summaryOf(entry: FeedEntry): string {
  return entry.summary.trim() || (entry.contentHtml.trim() ? "" : entry.title);
}
