import { describe, expect, it } from "vitest";
import { useHardCaseSite } from "../support/server.ts";

const hard = useHardCaseSite();

const FEEDS = [
  "/feed.xml",
  "/atom.xml",
  "/feed.json",
  "/tags/culture/atom.xml",
  "/authors/ana-muller/feed.json",
  "/feed.xml?limit=3",
];
const PAGES = ["/", "/articles/markup", "/tags/culture"];

async function validators(path: string): Promise<{ etag: string; lastModified: string }> {
  const res = await hard.site.get(path);
  expect(res.status).toBe(200);
  return {
    etag: res.headers.get("etag") as string,
    lastModified: res.headers.get("last-modified") as string,
  };
}

function shift(httpDate: string, seconds: number): string {
  return new Date(Date.parse(httpDate) + seconds * 1000).toUTCString();
}

describe("validators", () => {
  it.each([...FEEDS, ...PAGES])(
    "%s has a strong ETag and an HTTP-date Last-Modified",
    async (path) => {
      const { etag, lastModified } = await validators(path);
      expect(etag).toMatch(/^"[A-Za-z0-9_-]{10,}"$/);
      expect(lastModified).toMatch(
        /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/,
      );
      expect(Date.parse(lastModified)).toBeLessThanOrEqual(Date.now());
    },
  );

  it("every representation has its own ETag", async () => {
    const tags = await Promise.all(
      [...FEEDS, ...PAGES].map(async (p) => (await validators(p)).etag),
    );
    expect(new Set(tags).size).toBe(tags.length);
  });

  it("a feed's Last-Modified is the newest change among its own items", async () => {
    const res = await hard.site.get("/tags/culture/feed.json");
    const doc = (await res.json()) as { items: { date_modified: string }[] };
    const newest = Math.max(...doc.items.map((i) => Date.parse(i.date_modified)));
    expect(Date.parse(res.headers.get("last-modified") as string)).toBeGreaterThanOrEqual(
      Math.floor(newest / 1000) * 1000,
    );
  });
});

describe("If-None-Match", () => {
  it.each(FEEDS)("%s: exact, listed, weak and * tags give 304 with no body", async (path) => {
    const { etag, lastModified } = await validators(path);
    for (const inm of [
      etag,
      `"nope", ${etag}`,
      `${etag},"other"`,
      `W/${etag}`,
      `"a" ,  W/${etag} `,
      "*",
    ]) {
      for (const method of ["GET", "HEAD"]) {
        const res = await hard.site.request(path, { method, headers: { "if-none-match": inm } });
        expect(res.status, `${method} If-None-Match: ${inm}`).toBe(304);
        expect(await res.text()).toBe("");
        expect(res.headers.get("etag")).toBe(etag);
        expect(res.headers.get("last-modified")).toBe(lastModified);
        expect(res.headers.get("cache-control")).toMatch(/^public, max-age=/);
        expect(res.headers.get("vary")).toContain("Accept-Encoding");
        expect(res.headers.get("content-length")).toBeNull();
      }
    }
  });

  it.each(PAGES)("%s (HTML) answers 304 too", async (path) => {
    const { etag } = await validators(path);
    expect((await hard.site.get(path, { "if-none-match": etag })).status).toBe(304);
  });

  it("a different tag, or another feed's tag, gives 200 with the body", async () => {
    const rss = await validators("/feed.xml");
    const atom = await validators("/atom.xml");
    for (const inm of [atom.etag, `"${rss.etag.slice(1, -2)}"`, `${rss.etag.slice(0, -1)}x"`]) {
      const res = await hard.site.get("/feed.xml", { "if-none-match": inm });
      expect(res.status, inm).toBe(200);
      expect((await res.text()).length).toBeGreaterThan(0);
    }
  });

  it("takes precedence over If-Modified-Since", async () => {
    const { etag, lastModified } = await validators("/feed.xml");
    const mismatch = await hard.site.get("/feed.xml", {
      "if-none-match": '"something-else"',
      "if-modified-since": lastModified,
    });
    expect(mismatch.status).toBe(200);
    const match = await hard.site.get("/feed.xml", {
      "if-none-match": etag,
      "if-modified-since": shift(lastModified, -86_400),
    });
    expect(match.status).toBe(304);
  });
});

describe("If-Modified-Since", () => {
  it.each(FEEDS)("%s: equal or later gives 304, earlier gives 200", async (path) => {
    const { lastModified } = await validators(path);
    expect((await hard.site.get(path, { "if-modified-since": lastModified })).status).toBe(304);
    expect(
      (await hard.site.get(path, { "if-modified-since": shift(lastModified, 1) })).status,
    ).toBe(304);
    expect(
      (await hard.site.get(path, { "if-modified-since": shift(lastModified, 3600) })).status,
    ).toBe(304);
    const earlier = await hard.site.get(path, { "if-modified-since": shift(lastModified, -1) });
    expect(earlier.status).toBe(200);
    expect((await earlier.text()).length).toBeGreaterThan(0);
  });

  it("accepts the obsolete RFC 850 and asctime date forms", async () => {
    const { lastModified } = await validators("/feed.xml");
    const d = new Date(Date.parse(lastModified) + 1000);
    const days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
    const months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(" ");
    const p = (n: number) => String(n).padStart(2, "0");
    const time = `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
    const month = months[d.getUTCMonth()];
    const rfc850 = `${days[d.getUTCDay()]}, ${p(d.getUTCDate())}-${month}-${p(d.getUTCFullYear() % 100)} ${time} GMT`;
    const asctime = `${days[d.getUTCDay()]?.slice(0, 3)} ${month} ${String(d.getUTCDate()).padStart(2, " ")} ${time} ${d.getUTCFullYear()}`;
    expect((await hard.site.get("/feed.xml", { "if-modified-since": rfc850 })).status).toBe(304);
    expect((await hard.site.get("/feed.xml", { "if-modified-since": asctime })).status).toBe(304);
  });
});

describe("garbage validators are ignored (200, never 5xx)", () => {
  const garbage: Record<string, string>[] = [
    { "if-none-match": "garbage" },
    { "if-none-match": '"unterminated' },
    { "if-none-match": "W/" },
    { "if-none-match": '""' },
    { "if-none-match": ",,," },
    { "if-none-match": "**" },
    { "if-none-match": `"${"x".repeat(8000)}"` },
    { "if-modified-since": "garbage" },
    { "if-modified-since": "0" },
    { "if-modified-since": "99999" },
    { "if-modified-since": "2099" },
    { "if-modified-since": "1 2 3" },
    { "if-modified-since": "tomorrow" },
    { "if-modified-since": "Fri, 31 Feb 2099 00:00:00 GMT" },
    { "if-modified-since": "Fri, 31 Dec 2099 25:00:00 GMT" },
    { "if-modified-since": "2099-12-31T00:00:00Z" },
    { "if-modified-since": "Fri, 31 Dec 2099 00:00:00 GMT, Sat, 01 Jan 2100 00:00:00 GMT" },
    { "if-modified-since": `Fri, 31 Dec 2099 00:00:00 GMT${" ".repeat(100)}x` },
    { "if-none-match": "garbage", "if-modified-since": "garbage" },
  ];

  it.each(garbage.map((h) => [JSON.stringify(h).slice(0, 90), h]))(
    "%s",
    async (_label, headers) => {
      for (const path of ["/feed.xml", "/feed.json", "/"]) {
        const res = await hard.site.get(path, headers);
        expect(res.status, path).toBe(200);
        expect((await res.text()).length).toBeGreaterThan(0);
      }
    },
  );
});
