import { afterEach, describe, expect, it } from "vitest";
import { FolderStore } from "../../functions/storage/folder.ts";
import {
  type AppSite,
  appFor,
  type ContentDir,
  contentDir,
  FORMATS,
  HARD_CASES,
  manyArticles,
  md,
  SITE,
} from "../support/server.ts";

const dirs: ContentDir[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => d.dispose()));
});

async function siteWith(
  files: Record<string, string>,
  env: Record<string, string> = {},
): Promise<{ site: AppSite; content: ContentDir }> {
  const content = await contentDir({ sample: false, files });
  dirs.push(content);
  return { site: appFor(new FolderStore(content.dir), { env }), content };
}

interface JsonPage {
  items: { id: string; url: string; date_published: string }[];
  next_url?: string;
  feed_url: string;
}

/** The JSON page at `path`, following a redirect to a canonical cursor as readers do. */
async function json(site: AppSite, path: string): Promise<JsonPage> {
  let res = await site.get(path);
  if (res.status === 302) res = await site.get(res.headers.get("location") ?? "");
  expect(res.status, path).toBe(200);
  return (await res.json()) as JsonPage;
}

/** Item ids of one page of any format, in document order, and its next link. */
async function page(site: AppSite, path: string): Promise<{ ids: string[]; next?: string }> {
  const res = await site.get(path);
  expect(res.status, path).toBe(200);
  const text = await res.text();
  if (path.includes(".json")) {
    const doc = JSON.parse(text) as JsonPage;
    return { ids: doc.items.map((i) => i.id), ...(doc.next_url ? { next: doc.next_url } : {}) };
  }
  const ids = text
    .split(/<(?:item|entry)(?:\s[^>]*)?>/)
    .slice(1)
    .map((entry) => /<(?:guid[^>]*|id)>([^<]+)<\/(?:guid|id)>/.exec(entry)?.[1] as string);
  const next = /<(?:atom:)?link rel="next"[^>]*href="([^"]+)"/
    .exec(text)?.[1]
    ?.replace(/&amp;/g, "&");
  return { ids, ...(next ? { next } : {}) };
}

/** Follows next links from `start`; fails on a loop. */
async function walk(site: AppSite, start: string, between?: (n: number) => Promise<void>) {
  const ids: string[] = [];
  const seen = new Set<string>();
  let path: string | undefined = start;
  for (let n = 0; path; n++) {
    expect(seen.has(path), `next link loops back to ${path}`).toBe(false);
    seen.add(path);
    const p = await page(site, path);
    ids.push(...p.ids);
    await between?.(n);
    path = p.next ? p.next.replace(SITE, "") : undefined;
    expect(n).toBeLessThan(200);
  }
  return ids;
}

describe("limit", () => {
  it("feeds hold the 20 newest articles by default, newest first", async () => {
    const { site } = await siteWith(manyArticles(25));
    const doc = await json(site, "/feed.json");
    expect(doc.items).toHaveLength(20);
    const dates = doc.items.map((i) => i.date_published);
    expect(dates).toEqual([...dates].sort().reverse());
    expect(doc.items[0]?.url).toBe(`${SITE}/articles/a-25`);
    expect(doc.items[19]?.url).toBe(`${SITE}/articles/a-06`);
  });

  it("FEED_LIMIT sets the default size", async () => {
    const { site } = await siteWith(manyArticles(12), { FEED_LIMIT: "7" });
    for (const f of FORMATS) expect((await page(site, `/${f}`)).ids).toHaveLength(7);
    const html = await (await site.get("/")).text();
    expect(html.match(/<li>/g)).toHaveLength(7);
  });

  it.each([
    ["1", 1],
    ["5", 5],
    ["25", 25],
    ["100", 30],
  ])(
    "?limit=%s gives that many (or all there are)",
    async (limit, count) => {
      const { site } = await siteWith(manyArticles(30));
      for (const f of FORMATS)
        expect((await page(site, `/${f}?limit=${limit}`)).ids).toHaveLength(count);
    },
    30_000,
  );

  it.each([
    ["limit=0"],
    ["limit=101"],
    ["limit=-1"],
    ["limit=1.5"],
    ["limit=abc"],
    ["limit="],
    ["limit"],
    ["limit=1e1"],
    ["limit=+5"],
    ["limit=%205"],
    ["limit=0x10"],
    ["limit=99999999999999999999"],
    ["limit=5&limit=5"],
    ["limit=5&limit=6"],
    ["before="],
    ["before=abc"],
    ["before=123"],
    ["before=-slug"],
    ["before=1700000000-"],
    ["before=1700000000-a%2Fb"],
    ["before=1700000000-a%00"],
    ["before=1700000000-a&before=1700000000-b"],
    ["before=9999999999999-a"],
  ])("?%s is a 400 with a short reason on every list route", async (query) => {
    const { site } = await siteWith({ ...manyArticles(3, { tags: ["x"] }) });
    for (const path of [
      "/feed.xml",
      "/atom.xml",
      "/feed.json",
      "/tags/x/feed.json",
      "/",
      "/tags/x",
    ]) {
      const res = await site.get(`${path}?${query}`);
      expect(res.status, `${path}?${query}`).toBe(400);
      expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
      expect(res.headers.get("cache-control")).toBe("no-store");
      const body = await res.text();
      expect(body).toMatch(/^(limit|before) [^\n]{5,80}\n$/);
    }
  });

  it("ignores unknown query parameters", async () => {
    const { site } = await siteWith(manyArticles(3));
    const plain = await (await site.get("/feed.xml")).text();
    expect(await (await site.get("/feed.xml?utm_source=x&page=2")).text()).toBe(plain);
  });
});

describe("paging", () => {
  it.each(FORMATS)(
    "following %s next links visits every article once, newest first",
    async (f) => {
      const { site } = await siteWith({ ...manyArticles(23), ...HARD_CASES });
      const all = (await json(site, "/feed.json?limit=100")).items.map((i) => i.id);
      expect(all).toHaveLength(23 + 6);
      for (const limit of [1, 2, 5, 20]) {
        expect(await walk(site, `/${f}?limit=${limit}`)).toEqual(all);
      }
      expect(await walk(site, `/${f}`)).toEqual(all);
    },
    60_000,
  );

  it("pages tag feeds with tag-scoped next links", async () => {
    const { site } = await siteWith(manyArticles(9, { tags: ["Harbour News"] }));
    const first = await json(site, "/tags/harbour-news/feed.json?limit=4");
    expect(first.next_url).toMatch(
      new RegExp(`^${SITE}/tags/harbour-news/feed\\.json\\?limit=4&before=\\d+-a-06$`),
    );
    const ids = await walk(site, "/tags/harbour-news/atom.xml?limit=4");
    expect(ids).toHaveLength(9);
  });

  it("pages across articles published in the same second and slugs with modifier letters", async () => {
    const { site } = await siteWith(HARD_CASES);
    const all = (await json(site, "/feed.json")).items.map((i) =>
      i.url.replace(`${SITE}/articles/`, ""),
    );
    expect(all).toEqual([
      "markup",
      "%E3%82%B3%E3%83%BC%E3%83%92%E3%83%BC",
      "same-second-a",
      "same-second-b",
      "wire-2026-01-03",
      "podcast",
    ]);
    for (const f of FORMATS) expect(await walk(site, `/${f}?limit=1`)).toHaveLength(6);
  });

  it("an article added between page fetches is neither duplicated nor makes others skip", async () => {
    const { site, content } = await siteWith(manyArticles(10));
    const before = (await json(site, "/feed.json?limit=100")).items.map((i) => i.id);
    let added = 0;
    const seen = await walk(site, "/feed.json?limit=3", async (n) => {
      // A newer article after the first page, an older one (in the unread part) after the second.
      if (n === 0 || n === 1) {
        const date = n === 0 ? "2026-06-01T00:00:00Z" : "2024-06-01T00:00:00Z";
        await content.write(`new-${n}.md`, md({ title: `New ${n}`, date, author: "Desk" }));
        site.local.invalidate();
        added++;
      }
    });
    expect(added).toBe(2);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of before) expect(seen).toContain(id);
    // The older newcomer sits in the part not read yet, so it is found too; the newer is not.
    const after = (await json(site, "/feed.json?limit=100")).items;
    expect(seen).toContain(after.find((i) => i.url.endsWith("/new-1"))?.id);
    expect(seen).not.toContain(after.find((i) => i.url.endsWith("/new-0"))?.id);
  });

  it("a page whose cursor article was deleted still continues after that point", async () => {
    const { site, content } = await siteWith(manyArticles(6));
    const first = await json(site, "/feed.json?limit=2");
    expect(first.next_url).toMatch(/before=\d+-a-05$/);
    await content.remove("a-05.md");
    site.local.invalidate();
    // The cursor names no article any more: redirected to the one that names the same page.
    const stale = await site.get((first.next_url as string).replace(SITE, ""));
    expect(stale.status).toBe(302);
    expect(stale.headers.get("cache-control")).toBe("no-store");
    expect(stale.headers.get("location")).toMatch(/^\/feed\.json\?limit=2&before=\d+-a-06$/);
    const second = await json(site, (first.next_url as string).replace(SITE, ""));
    expect(second.items.map((i) => i.url.replace(`${SITE}/articles/`, ""))).toEqual([
      "a-04",
      "a-03",
    ]);
  });

  it("self links carry the page's own query; archive pages link back to the first page", async () => {
    const { site } = await siteWith(manyArticles(5));
    const first = await json(site, "/feed.json?limit=2");
    expect(first.feed_url).toBe(`${SITE}/feed.json?limit=2`);
    const second = await json(site, (first.next_url as string).replace(SITE, ""));
    expect(second.feed_url).toBe(first.next_url);
    expect(second.next_url).not.toBe(second.feed_url);
    const atom = await (
      await site.get((first.next_url as string).replace(SITE, "").replace("feed.json", "atom.xml"))
    ).text();
    expect(atom).toContain(
      `<link rel="first" type="application/atom+xml" href="${SITE}/atom.xml?limit=2"/>`,
    );
  });

  it("the last page has no next link; a cursor past the end gives an empty page", async () => {
    const { site } = await siteWith(manyArticles(4));
    const all = await json(site, "/feed.json?limit=4");
    expect(all.next_url).toBeUndefined();
    const past = await site.get("/feed.json?before=1000000-a-01");
    expect(past.headers.get("location")).toMatch(/^\/feed\.json\?before=\d+-a-01$/);
    const empty = await json(site, "/feed.json?before=1000000-a-01");
    expect(empty.items).toEqual([]);
    expect(empty.next_url).toBeUndefined();
  });

  it("invented cursors create no cache entries: each is redirected to a canonical one", async () => {
    const { site } = await siteWith(manyArticles(6));
    const canonical = (await json(site, "/feed.json?limit=2")).next_url as string;
    const answers = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const res = await site.get(`/feed.xml?limit=2&before=${1_800_000_000 + i}-x${i}`);
      expect(res.status).toBe(302);
      answers.add(res.headers.get("location") ?? "");
    }
    // Every cursor newer than all articles names the first page.
    expect([...answers]).toEqual(["/feed.xml?limit=2"]);
    const list = await site.get("/?before=1-zzz");
    expect(list.status).toBe(302);
    expect(list.headers.get("location")).toMatch(/^\/\?before=\d+-a-01$/);
    expect(canonical).toMatch(/before=\d+-a-05$/);
  });

  it("HTML list pages page like the feeds, with an older-articles link", async () => {
    const { site } = await siteWith(manyArticles(5));
    const html = await (await site.get("/?limit=2")).text();
    expect(html.match(/<li>/g)).toHaveLength(2);
    const older = /<a rel="next" href="([^"]+)">/.exec(html)?.[1]?.replace(/&amp;/g, "&");
    expect(older).toMatch(new RegExp(`^${SITE}/\\?limit=2&before=\\d+-a-04$`));
    const next = await (await site.get((older as string).replace(SITE, ""))).text();
    expect(next).toContain(`${SITE}/articles/a-03"`);
    expect(next).not.toContain(`${SITE}/articles/a-04"`);
  });
});
