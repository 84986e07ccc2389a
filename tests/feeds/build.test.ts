import { describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config.ts";
import { renderAtom } from "../../functions/feeds/atom.ts";
import { type Cursor, parseCursor } from "../../functions/feeds/cursor.ts";
import { renderJson } from "../../functions/feeds/json.ts";
import { renderRss } from "../../functions/feeds/rss.ts";
import { type Scope, scopesFrom } from "../../functions/feeds/scopes.ts";
import {
  articleFile,
  memoryStore,
  parseAtomFeed,
  parseRssFeed,
  wireFile,
  xmllintErrors,
} from "../fixtures/index.ts";
import { feedOf, loadedIndex } from "../support/index-feed.ts";

const NOW = Date.parse("2024-07-01T00:00:00Z");

function configFor(env: Record<string, string> = {}) {
  return loadConfig({
    SITE_URL: "https://news.example.com",
    SITE_TITLE: "Dateline",
    SITE_AUTHOR: "Dateline Desk",
    FEED_LIMIT: "20",
    PAGE_SIZE: "20",
    CACHE_MAX_AGE: "300",
    ...env,
  });
}

/** The local index over `files`, loaded. */
function indexOf(files: Record<string, string>, siteUrl = configFor().siteUrl) {
  return loadedIndex(memoryStore(files), { siteUrl, now: () => NOW });
}

async function siteFeed(files: Record<string, string>, env: Record<string, string> = {}) {
  const config = configFor(env);
  return feedOf(await indexOf(files, config.siteUrl), config);
}

describe("buildFeed: entries", () => {
  it("makes relative image, attachment, author and body URLs absolute against SITE_URL", async () => {
    const doc = await siteFeed({
      "a.md": articleFile(
        {
          image: "img/ferry.jpg",
          author: { name: "Kim", url: "/people/kim" },
          attachments: [{ url: "../audio/ep1.mp3", type: "audio/mpeg", size: 10 }],
        },
        "[Map](/map) ![Pier](pier.png) [Notes](#notes) [CDN](//cdn.example/x.js)\n",
      ),
    });
    const entry = doc.entries[0];
    expect(entry?.image).toBe("https://news.example.com/img/ferry.jpg");
    expect(entry?.attachments).toEqual([
      { url: "https://news.example.com/audio/ep1.mp3", type: "audio/mpeg", size: 10 },
    ]);
    expect(entry?.authors).toEqual([{ name: "Kim", url: "https://news.example.com/people/kim" }]);
    expect(entry?.contentHtml).toContain('href="https://news.example.com/map"');
    expect(entry?.contentHtml).toContain('src="https://news.example.com/pier.png"');
    expect(entry?.contentHtml).toContain('href="https://news.example.com/articles/a#notes"');
    expect(entry?.contentHtml).toContain('href="https://cdn.example/x.js"');
    expect(entry?.contentHtml).not.toMatch(/(href|src)="(?!https?:)/);
  });

  it("carries the article's id, url, title, dates, tags and plain summary", async () => {
    const doc = await siteFeed({
      "2024/ferry.md": articleFile({
        title: "Fish & <chips>",
        date: "2024-03-05T09:30:00+09:00",
        updated: "2024-03-06T08:00:00Z",
        summary: "Short & sweet.",
        tags: ["Transport", "transport", "Busan"],
      }),
    });
    const entry = doc.entries[0];
    expect(entry).toMatchObject({
      url: "https://news.example.com/articles/ferry",
      title: "Fish & <chips>",
      summary: "Short & sweet.",
      tags: ["Transport", "Busan"],
    });
    expect(entry?.id).toMatch(/^urn:uuid:/);
    expect(entry?.published.toISOString()).toBe("2024-03-05T00:30:00.000Z");
    expect(entry?.updated.toISOString()).toBe("2024-03-06T08:00:00.000Z");
    expect(doc.updated.toISOString()).toBe("2024-03-06T08:00:00.000Z");
  });

  it("shows a wire article's dateline before its first paragraph", async () => {
    const doc = await siteFeed({ "wire/lagos.txt": wireFile() });
    expect(doc.entries[0]?.contentHtml).toMatch(
      /^<p><strong>LAGOS \(DATELINE NEWS\)<\/strong> – Lagos opened/,
    );
    expect(doc.entries[0]?.authors).toEqual([{ name: "Dateline News" }]);
  });

  it("keeps entry and feed ids when SITE_URL changes", async () => {
    const files = { "a.md": articleFile({ title: "A" }), "b.md": articleFile({ title: "B" }) };
    const one = await siteFeed(files, { SITE_URL: "https://news.example.com" });
    const two = await siteFeed(files, { SITE_URL: "https://mirror.example.org/news" });
    expect(two.entries.map((e) => e.id)).toEqual(one.entries.map((e) => e.id));
    expect(two.id).toBe(one.id);
    expect(two.entries[0]?.url).toMatch(/^https:\/\/mirror\.example\.org\/news\/articles\//);
  });

  it("uses the newest entry update as the feed's updated date, never the clock", async () => {
    const files = {
      "a.md": articleFile({ date: "2024-01-01", updated: "2024-02-01" }),
      "b.md": articleFile({ date: "2024-01-15" }),
    };
    const doc = await siteFeed(files);
    expect(doc.updated.toISOString()).toBe("2024-02-01T00:00:00.000Z");
    expect(renderRss(await siteFeed(files))).toBe(renderRss(doc));
  });

  it("sets ttl from CACHE_MAX_AGE and the links of all three formats", async () => {
    const doc = await siteFeed({ "a.md": articleFile() }, { CACHE_MAX_AGE: "90" });
    expect(doc.ttlMinutes).toBe(2);
    expect(doc.links).toMatchObject({
      self: "https://news.example.com/feed.xml",
      alternate: "https://news.example.com/",
      rss: "https://news.example.com/feed.xml",
      atom: "https://news.example.com/atom.xml",
      json: "https://news.example.com/feed.json",
    });
    expect(doc.links.next).toBeUndefined();
    expect(doc.links.first).toBeUndefined();
  });
});

describe("buildFeed: paging", () => {
  const files = Object.fromEntries(
    Array.from({ length: 7 }, (_, i) => [
      `p${i}.md`,
      articleFile({ title: `Post ${i}`, date: `2024-05-0${i + 1}T12:00:00Z` }),
    ]),
  );

  it("walks every article exactly once by following next links, newest first", async () => {
    const index = await indexOf(files);
    const config = configFor();
    const seen: string[] = [];
    let before: Cursor | undefined;
    for (let page = 0; page < 10; page++) {
      const doc = await feedOf(index, config, { limit: 3, ...(before ? { before } : {}) });
      seen.push(...doc.entries.map((e) => e.title));
      if (before) {
        expect(doc.links.first).toMatch(/^https:\/\/news\.example\.com\/feed\.xml(\?|$)/);
        expect(doc.links.first).not.toContain("before=");
        expect(doc.links.self).toContain(`before=${before.seconds}-${before.slug}`);
      }
      if (!doc.links.next) break;
      const cursor = new URL(doc.links.next).searchParams.get("before") ?? "";
      before = parseCursor(cursor);
      expect(before).toBeDefined();
    }
    expect(seen).toEqual(["Post 6", "Post 5", "Post 4", "Post 3", "Post 2", "Post 1", "Post 0"]);
  });

  it("keeps older pages stable when a newer article arrives", async () => {
    const posts = (days: number[]) =>
      Object.fromEntries(
        days.map((d) => [`s${d}.md`, articleFile({ title: `S${d}`, date: `2024-05-0${d}` })]),
      );
    const config = configFor();
    const first = await feedOf(await indexOf(posts([5, 4, 3, 2, 1])), config, { limit: 2 });
    const next = new URL(first.links.next ?? "").searchParams.get("before") ?? "";
    expect(next).toBe(`${Date.UTC(2024, 4, 4) / 1000}-s4`);
    const before = parseCursor(next);
    const withNew = await indexOf(posts([6, 5, 4, 3, 2, 1]));
    const page = await feedOf(withNew, config, { limit: 2, ...(before ? { before } : {}) });
    expect(page.entries.map((e) => e.title)).toEqual(["S3", "S2"]);
  });

  it("dates a page past the last article by its scope, not 1970", async () => {
    const doc = await feedOf(await indexOf(files), configFor(), {
      limit: 3,
      before: { seconds: Math.floor(Date.parse("2024-01-01T00:00:00Z") / 1000), slug: "zzz" },
    });
    expect(doc.entries).toEqual([]);
    expect(doc.updated.toISOString()).toBe("2024-05-07T12:00:00.000Z");
  });

  it.each(["", "abc", "12-", "-slug", "12-a b", "1234567890123-a"])(
    "refuses the malformed cursor %j",
    (value) => {
      expect(parseCursor(value)).toBeUndefined();
    },
  );

  it("reads a cursor with a Unicode slug", () => {
    expect(parseCursor("1714564800-서울-축제")).toEqual({ seconds: 1714564800, slug: "서울-축제" });
  });
});

describe("buildFeed: scopes", () => {
  it("groups tags that differ in case or punctuation into one feed with its own id and title", async () => {
    const index = await indexOf({
      "a.md": articleFile({ title: "A", tags: ["Climate Change"] }),
      "b.md": articleFile({ title: "B", tags: ["climate-change"], date: "2024-03-06" }),
      "c.md": articleFile({ title: "C", tags: ["Other"] }),
    });
    const scopes = scopesFrom(await index.scopes());
    const tag = scopes.tags.get("climate-change") as Scope;
    expect((await index.metas(tag.key, 20)).items.map((a) => a.title)).toEqual(["B", "A"]);
    const config = configFor();
    const doc = await feedOf(index, config, {
      scope: tag,
      documentPath: "/tags/climate-change/feed.xml",
    });
    const site = await feedOf(index, config);
    expect(doc.id).not.toBe(site.id);
    expect(doc.title).toMatch(/^Dateline: (Climate Change|climate-change)$/);
    expect(doc.links.self).toBe("https://news.example.com/tags/climate-change/feed.xml");
    expect(doc.links.alternate).toBe("https://news.example.com/tags/climate-change");
  });

  it("has author scopes only when more than one author writes", async () => {
    const one = await indexOf({
      "a.md": articleFile({ author: "Kim" }),
      "b.md": articleFile({ author: "Kim" }),
    });
    expect(scopesFrom(await one.scopes()).authors.size).toBe(0);
    const two = await indexOf({
      "a.md": articleFile({ author: "Kim" }),
      "b.md": articleFile({ author: "Lee" }),
    });
    expect([...scopesFrom(await two.scopes()).authors.keys()]).toEqual(["kim", "lee"]);
  });
});

describe("buildFeed → renderers, end to end with hostile articles", () => {
  const hostile = `A & B < C > "q" 'a' ]]> ]]> x\u0001 서울 🚀`;
  const files = {
    "hostile.md": articleFile(
      {
        title: hostile,
        summary: hostile,
        tags: [hostile, "K&R <tag>"],
        authors: [{ name: hostile, email: "ann@example.com" }, "Bob & Co"],
        image: "/img/a b.jpg?w=1&h=2",
      },
      `Body ${hostile}\n\n<p title="]]>">raw ]]> html &amp; stray & amp</p>\n\n<script>alert(1)</script>\n`,
    ),
    "wire.txt": wireFile({ paragraphs: [`First ${hostile}. More.`, "Second ]]> para."] }),
  };

  it("renders well-formed RSS and Atom and valid JSON that keep the text", async () => {
    const doc = await siteFeed(files);
    const rss = renderRss(doc);
    const atom = renderAtom(doc);
    expect(xmllintErrors(rss)).toBe("");
    expect(xmllintErrors(atom)).toBe("");
    const json = JSON.parse(renderJson(doc));
    const clean = `A & B < C > "q" 'a' ]]> ]]> x 서울 🚀`;
    const rssItem = parseRssFeed(rss).items?.find((i) => i.link?.endsWith("/hostile"));
    expect(rssItem?.title).toBe(clean);
    expect(rssItem?.content?.encoded).not.toContain("<script");
    const atomEntry = parseAtomFeed(atom).entries?.find((e) =>
      e.links?.[0]?.href?.endsWith("/hostile"),
    );
    expect(atomEntry?.categories?.map((c) => c.term)).toEqual([clean, "K&R <tag>"]);
    expect(json.items.find((i: { url: string }) => i.url.endsWith("/hostile")).title).toBe(clean);
  });
});
