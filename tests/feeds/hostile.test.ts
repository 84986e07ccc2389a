import { describe, expect, it } from "vitest";
import { stripXmlIllegal } from "../../functions/articles/text.ts";
import { renderAtom } from "../../functions/feeds/atom.ts";
import { renderJson } from "../../functions/feeds/json.ts";
import type { FeedDocument } from "../../functions/feeds/model.ts";
import { renderRss } from "../../functions/feeds/rss.ts";
import {
  decodeHtmlText,
  feedDoc,
  feedEntry,
  parseAtomFeed,
  parseRssFeed,
  SITE,
  xmllintErrors,
} from "../fixtures/index.ts";

/** Text that breaks naive XML writers, one hazard at a time and all at once. */
const HOSTILE: Record<string, string> = {
  markup: `Tom & Jerry <b>bold</b> "quoted" 'single' a > b`,
  cdataEnd: "one ]]> two ]]> three ]]]]> four",
  entities: "&amp; &lt; &#x26; &#38; &nbsp; &bogus;",
  controls: "bell\u0007 null\u0000 esc\u001B vt\u000B ff\u000C end\u001F",
  surrogates: "lone high \uD800 lone low \uDC00 reversed \uDC00\uD800 end",
  nonCharacters: "fffe \uFFFE ffff \uFFFF end",
  korean: "서울 🚀 부산 축제 🎉 👩‍👩‍👧",
  all: `A & B < C > D "q" 'a' ]]> x\u0001 \uD800 서울 🚀 ]]> end`,
};

/** What a reader must see: the text minus the characters XML cannot carry. */
const expected = (text: string) => stripXmlIllegal(text).trim();

function hostileDoc(text: string): FeedDocument {
  return feedDoc({
    title: `Site ${text}`,
    description: `About ${text}`,
    author: { name: `Desk ${text}`, email: "desk@news.example.com" },
    entries: [
      feedEntry({
        title: `Title ${text}`,
        summary: `Summary ${text}`,
        tags: [`Tag ${text}`, "plain"],
        authors: [{ name: `Ann ${text}` }, { name: "Bob" }],
        contentHtml: `<p>${text.replace(/&/g, "&amp;").replace(/</g, "&lt;")} ]]> and ]]> again</p><p title="x ]]> y">${text.includes("]]>") ? "]]>]]>" : ""}</p>`,
      }),
    ],
  });
}

describe.each(Object.entries(HOSTILE))("hostile text: %s", (_name, text) => {
  const doc = hostileDoc(text);
  const entry = doc.entries[0];
  if (!entry) throw new Error("fixture has no entry");

  it("RSS is well-formed XML and every field reads back exactly", () => {
    const xml = renderRss(doc);
    expect(xmllintErrors(xml)).toBe("");
    const feed = parseRssFeed(xml);
    expect(feed.title).toBe(expected(doc.title));
    expect(feed.description).toBe(expected(doc.description));
    const item = feed.items?.[0];
    expect(item?.title).toBe(expected(entry.title));
    expect(decodeHtmlText(item?.description ?? "")).toBe(expected(entry.summary));
    expect(item?.content?.encoded).toBe(expected(entry.contentHtml));
    expect(item?.categories?.map((c) => c.name)).toEqual(entry.tags.map(expected));
    expect(item?.dc?.creators).toEqual([entry.authors.map((a) => expected(a.name)).join(", ")]);
  });

  it("Atom is well-formed XML and every field reads back exactly", () => {
    const xml = renderAtom(doc);
    expect(xmllintErrors(xml)).toBe("");
    const feed = parseAtomFeed(xml);
    expect(feed.title?.value).toBe(expected(doc.title));
    expect(feed.subtitle?.value).toBe(expected(doc.description));
    expect(feed.authors?.[0]?.name).toBe(expected(doc.author.name));
    const item = feed.entries?.[0];
    expect(item?.title).toEqual({ type: "text", value: expected(entry.title) });
    expect(item?.summary).toEqual({ type: "text", value: expected(entry.summary) });
    expect(item?.content?.value).toBe(expected(entry.contentHtml));
    expect(item?.categories?.map((c) => c.term)).toEqual(entry.tags.map(expected));
    expect(item?.authors?.map((a) => a.name)).toEqual(entry.authors.map((a) => expected(a.name)));
  });

  it("JSON Feed parses and carries the same text as the XML feeds", () => {
    const json = JSON.parse(renderJson(doc));
    expect(json.title).toBe(expected(doc.title));
    expect(json.items[0].title).toBe(expected(entry.title));
    expect(json.items[0].summary).toBe(expected(entry.summary));
    expect(json.items[0].content_html).toBe(expected(entry.contentHtml));
    expect(json.items[0].tags).toEqual(entry.tags.map(expected));
    expect(json.items[0].authors.map((a: { name: string }) => a.name)).toEqual(
      entry.authors.map((a) => expected(a.name)),
    );
  });
});

describe("hostile URLs and ids", () => {
  const doc = feedDoc({
    links: {
      self: `${SITE}/feed.xml?limit=5&before=1712345678-a`,
      alternate: `${SITE}/?a=1&b=2`,
      rss: `${SITE}/feed.xml`,
      atom: `${SITE}/atom.xml`,
      json: `${SITE}/feed.json`,
      first: `${SITE}/feed.xml?limit=5`,
      next: `${SITE}/feed.xml?limit=5&before=1712000000-b`,
      hub: `${SITE}/hub?x=1&y=2`,
    },
    author: { name: "Desk", url: `${SITE}/about?x=1&y="2"` },
    entries: [
      feedEntry({
        id: "tag:news.example.com,2024:a&b<c>",
        url: `${SITE}/articles/a?x=1&y=2`,
        image: `${SITE}/img/a.jpg?w=1&h=2`,
        authors: [{ name: "Ann", url: `${SITE}/ann?q=1&r=2` }],
        attachments: [
          { url: `${SITE}/ep.mp3?x=1&y=2`, type: "audio/mpeg", size: 10, title: "Ep & 1" },
        ],
      }),
    ],
  });

  it.each([
    ["RSS", renderRss],
    ["Atom", renderAtom],
  ])('%s stays well-formed with & < > " in URLs and ids', (_name, render) => {
    const xml = render(doc);
    expect(xmllintErrors(xml)).toBe("");
  });

  it("RSS reads back ids and URLs exactly", () => {
    const feed = parseRssFeed(renderRss(doc));
    const item = feed.items?.[0];
    expect(item?.guid?.value).toBe("tag:news.example.com,2024:a&b<c>");
    expect(item?.link).toBe(`${SITE}/articles/a?x=1&y=2`);
    expect(item?.enclosures?.[0]?.url).toBe(`${SITE}/ep.mp3?x=1&y=2`);
    const links = feed.atom?.links ?? [];
    expect(links.find((l) => l.rel === "self")?.href).toBe(doc.links.self);
    expect(links.find((l) => l.rel === "next")?.href).toBe(doc.links.next);
    expect(links.find((l) => l.rel === "first")?.href).toBe(doc.links.first);
  });

  it("Atom reads back ids and URLs exactly", () => {
    const feed = parseAtomFeed(renderAtom(doc));
    const entry = feed.entries?.[0];
    expect(entry?.id).toBe("tag:news.example.com,2024:a&b<c>");
    const links = entry?.links ?? [];
    expect(links.find((l) => l.rel === "alternate")?.href).toBe(`${SITE}/articles/a?x=1&y=2`);
    expect(links.filter((l) => l.rel === "enclosure").map((l) => l.href)).toEqual([
      `${SITE}/img/a.jpg?w=1&h=2`,
      `${SITE}/ep.mp3?x=1&y=2`,
    ]);
    expect(entry?.authors?.[0]?.uri).toBe(`${SITE}/ann?q=1&r=2`);
    const feedLinks = feed.links ?? [];
    expect(feedLinks.find((l) => l.rel === "self")?.href).toBe(doc.links.self);
    expect(feedLinks.find((l) => l.rel === "next")?.href).toBe(doc.links.next);
    expect(feedLinks.find((l) => l.rel === "first")?.href).toBe(doc.links.first);
    expect(feedLinks.find((l) => l.rel === "hub")?.href).toBe(doc.links.hub);
  });
});
