import { describe, expect, it } from "vitest";
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
} from "../fixtures/index.ts";

interface Seen {
  id: string;
  title: string;
  published: number;
  url: string;
}

/** What each format says about its entries, read back with a feed parser. */
function readAll(doc: FeedDocument): Record<"rss" | "atom" | "json", Seen[]> {
  const rss = parseRssFeed(renderRss(doc)).items ?? [];
  const atom = parseAtomFeed(renderAtom(doc)).entries ?? [];
  const json = JSON.parse(renderJson(doc)).items as {
    id: string;
    title: string;
    date_published: string;
    url: string;
  }[];
  return {
    rss: rss.map((i) => ({
      id: i.guid?.value ?? "",
      title: i.title ?? "",
      published: Date.parse(i.pubDate ?? ""),
      url: i.link ?? "",
    })),
    atom: atom.map((e) => ({
      id: e.id ?? "",
      title: decodeHtmlText(e.title?.value ?? ""),
      published: Date.parse(e.published ?? ""),
      url: e.links?.find((l) => l.rel === "alternate")?.href ?? "",
    })),
    json: json.map((i) => ({
      id: i.id,
      title: i.title,
      published: Date.parse(i.date_published),
      url: i.url,
    })),
  };
}

describe("RSS, Atom and JSON Feed agree", () => {
  it("on each entry's id, title, publication date and URL, in the same order", () => {
    const doc = feedDoc({
      entries: [
        feedEntry({
          id: "urn:uuid:1",
          title: "Fish & <chips>",
          published: new Date("2024-03-05T09:30:00+09:00"),
        }),
        feedEntry({
          id: "https://News.Example.com",
          url: `${SITE}/articles/%EC%84%9C%EC%9A%B8`,
          title: "서울 🚀",
          published: new Date("2024-03-04T00:00:00Z"),
        }),
        feedEntry({
          id: "tag:news.example.com,2024:A&B",
          title: "Three",
          published: new Date("2024-03-03T23:59:59Z"),
        }),
      ],
    });
    const seen = readAll(doc);
    const expected = doc.entries.map((e) => ({
      id: e.id,
      title: e.title,
      // RSS dates carry whole seconds.
      published: Math.floor(e.published.getTime() / 1000) * 1000,
      url: e.url,
    }));
    expect(seen.rss).toEqual(expected);
    expect(seen.atom).toEqual(expected);
    expect(seen.json).toEqual(expected);
  });

  it("render deterministically: two renders are byte-identical in every format", () => {
    const doc = feedDoc({
      entries: [
        feedEntry({
          tags: ["b", "a"],
          attachments: [{ url: `${SITE}/a.mp3`, type: "audio/mpeg", size: 1 }],
        }),
      ],
    });
    for (const render of [renderRss, renderAtom, renderJson]) {
      const first = render(doc);
      expect(render(structuredClone(doc))).toBe(first);
      // Nothing in the output depends on the wall clock.
      expect(first).not.toContain(String(new Date().getUTCFullYear() + 1));
    }
  });

  it("resolve relative entry, image, attachment and author URLs against the site page", () => {
    const doc = feedDoc({
      entries: [
        feedEntry({
          url: "/articles/harbour",
          image: "/img/ferry.jpg",
          attachments: [{ url: "audio/ep1.mp3", type: "audio/mpeg", size: 5 }],
          authors: [{ name: "Kim", url: "/people/kim" }],
        }),
      ],
    });
    const rss = parseRssFeed(renderRss(doc)).items?.[0];
    expect(rss?.link).toBe(`${SITE}/articles/harbour`);
    expect(rss?.enclosures?.[0]?.url).toBe(`${SITE}/audio/ep1.mp3`);
    const atom = parseAtomFeed(renderAtom(doc)).entries?.[0];
    expect(atom?.links?.map((l) => l.href)).toEqual([
      `${SITE}/articles/harbour`,
      `${SITE}/img/ferry.jpg`,
      `${SITE}/audio/ep1.mp3`,
    ]);
    expect(atom?.authors?.[0]?.uri).toBe(`${SITE}/people/kim`);
    const json = JSON.parse(renderJson(doc)).items[0];
    expect(json.url).toBe(`${SITE}/articles/harbour`);
    expect(json.image).toBe(`${SITE}/img/ferry.jpg`);
    expect(json.attachments[0].url).toBe(`${SITE}/audio/ep1.mp3`);
    expect(json.authors[0].url).toBe(`${SITE}/people/kim`);
    const rssOnlyImage = renderRss(feedDoc({ entries: [feedEntry({ image: "img/a.png" })] }));
    expect(parseRssFeed(rssOnlyImage).items?.[0]?.enclosures?.[0]?.url).toBe(`${SITE}/img/a.png`);
  });
});
