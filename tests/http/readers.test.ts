/**
 * What feed readers, aggregators and hubs rely on beyond a single feed: WebSub discovery on
 * every kind of feed, RFC 5005 paging (FEED_LIMIT, PAGE_SIZE, stable archive pages), and the
 * browser view (the xml-stylesheet instruction and /feed.xsl).
 */
import { spawnSync } from "node:child_process";
import { gunzipSync } from "node:zlib";
import { parseAtomFeed, parseJsonFeed, parseRssFeed } from "feedsmith";
import { afterEach, describe, expect, it } from "vitest";
import { article, type FolderSite, folderSite, SITE_URL } from "../support/folder-site.ts";

const HUB = "https://hub.example.org/websub";
const sites: FolderSite[] = [];
afterEach(async () => {
  for (const site of sites.splice(0)) await site.dispose();
});

async function siteWith(files: Record<string, string>, env: Record<string, string> = {}) {
  const site = await folderSite({ files, env });
  sites.push(site);
  return site;
}

/** `count` articles a day apart, newest last (`n01` is the oldest), two authors, one tag. */
function articles(count: number): Record<string, string> {
  return Object.fromEntries(
    Array.from({ length: count }, (_, i) => {
      const n = String(i + 1).padStart(2, "0");
      const date = new Date(Date.UTC(2026, 0, 1 + i, 12)).toISOString();
      const author = i % 2 ? "Mara" : "Desk";
      return [`n${n}.md`, article({ title: `Article ${n}`, date, author, tags: ["Ports"] })];
    }),
  );
}

interface Links {
  self?: string;
  hub?: string;
  next?: string;
  first?: string;
}

/** The links a document carries, read with feedsmith, whatever its format. */
function documentLinks(path: string, body: string): Links {
  const pick = (links: { rel?: string; href?: string }[] = []): Links =>
    Object.fromEntries(
      links.filter((l) => l.rel && l.href).map((l) => [l.rel as string, l.href as string]),
    );
  if (path.includes("feed.json")) {
    const json = parseJsonFeed(JSON.parse(body));
    const hub = json.hubs?.find((h) => h.type === "WebSub")?.url;
    return {
      ...(json.feed_url ? { self: json.feed_url } : {}),
      ...(hub ? { hub } : {}),
      ...(json.next_url ? { next: json.next_url } : {}),
    };
  }
  if (path.includes("atom.xml")) return pick(parseAtomFeed(body).links);
  return pick(parseRssFeed(body).atom?.links);
}

function itemTitles(path: string, body: string): string[] {
  if (path.includes("feed.json"))
    return (parseJsonFeed(JSON.parse(body)).items ?? []).map((i) => i.title ?? "");
  if (path.includes("atom.xml")) {
    // feedsmith gives typed titles as { value, type }.
    const text = (t: unknown) => (typeof t === "object" && t ? (t as { value: string }).value : t);
    return (parseAtomFeed(body).entries ?? []).map((e) => String(text(e.title) ?? ""));
  }
  return (parseRssFeed(body).items ?? []).map((i) => i.title ?? "");
}

const FORMATS = ["feed.xml", "atom.xml", "feed.json"];

describe("WebSub discovery", () => {
  const kinds = [
    ["site", ""],
    ["tag", "/tags/ports"],
    ["author", "/authors/mara"],
  ] as const;

  it.each(kinds.flatMap(([kind, path]) => FORMATS.map((format) => [kind, `${path}/${format}`])))(
    "the %s feed %s names hub and self in the document and in Link, on every page",
    async (_kind, path) => {
      const site = await siteWith(articles(5), { HUB_URL: HUB, FEED_LIMIT: "1", PAGE_SIZE: "1" });
      const first = await site.get(path);
      expect(first.status).toBe(200);
      const links = documentLinks(path, await first.text());
      expect(links.self).toBe(`${SITE_URL}${path}`);
      expect(links.hub).toBe(HUB);
      expect(first.headers.get("link")).toBe(`<${HUB}>; rel="hub", <${links.self}>; rel="self"`);

      // An archive page, and a page with a reader-chosen limit: their own self, the same hub.
      const archivePath = new URL(links.next ?? "").pathname + new URL(links.next ?? "").search;
      for (const other of [archivePath, `${path}?limit=2`]) {
        const res = await site.get(other);
        const own = documentLinks(path, await res.text());
        expect(own.self).toBe(`${SITE_URL}${other}`);
        expect(own.hub).toBe(HUB);
        expect(res.headers.get("link")).toBe(`<${HUB}>; rel="hub", <${own.self}>; rel="self"`);
      }

      // A 304 repeats the Link header (RFC 9110: the headers a 200 would have sent).
      const again = await site.get(path, { "if-none-match": first.headers.get("etag") ?? "" });
      expect(again.status).toBe(304);
      expect(again.headers.get("link")).toBe(first.headers.get("link"));
    },
  );

  it("advertises no hub when HUB_URL is not set", async () => {
    const site = await siteWith(articles(2));
    for (const format of FORMATS) {
      const res = await site.get(`/${format}`);
      expect(res.headers.get("link")).toBeNull();
      const links = documentLinks(format, await res.text());
      expect(links.hub).toBeUndefined();
      expect(links.self).toBe(`${SITE_URL}/${format}`);
    }
  });
});

describe("paging (RFC 5005)", () => {
  it.each(FORMATS)(
    "%s: FEED_LIMIT items first, then PAGE_SIZE items per archive page, each with first and next",
    async (format) => {
      const site = await siteWith(articles(8), { FEED_LIMIT: "2", PAGE_SIZE: "3" });
      const pages: { path: string; titles: string[]; links: Links }[] = [];
      let path: string | undefined = `/${format}`;
      while (path) {
        const res = await site.get(path);
        expect(res.status, path).toBe(200);
        const body = await res.text();
        const links = documentLinks(format, body);
        pages.push({ path, titles: itemTitles(format, body), links });
        path = links.next ? links.next.slice(SITE_URL.length) : undefined;
      }
      expect(pages.map((p) => p.titles)).toEqual([
        ["Article 08", "Article 07"],
        ["Article 06", "Article 05", "Article 04"],
        ["Article 03", "Article 02", "Article 01"],
      ]);
      // The subscription document has no `first`; archive pages point back to it and carry
      // only the cursor (their size is PAGE_SIZE by default).
      if (format !== "feed.json") {
        expect(pages[0]?.links.first).toBeUndefined();
        for (const page of pages.slice(1)) expect(page.links.first).toBe(`${SITE_URL}/${format}`);
      }
      for (const page of pages.slice(1)) expect(page.path).toMatch(/^\/[\w.]+\?before=\d+-n\d\d$/);
    },
  );

  it("keeps a reader-chosen limit on every page", async () => {
    const site = await siteWith(articles(5), { FEED_LIMIT: "2", PAGE_SIZE: "3" });
    const body = await (await site.get("/atom.xml?limit=4")).text();
    const links = documentLinks("atom.xml", body);
    expect(links.next).toMatch(/\/atom\.xml\?limit=4&before=\d+-n02$/);
    const archive = await (await site.get(links.next?.slice(SITE_URL.length) ?? "")).text();
    expect(itemTitles("atom.xml", archive)).toEqual(["Article 01"]);
    expect(documentLinks("atom.xml", archive).first).toBe(`${SITE_URL}/atom.xml?limit=4`);
  });

  it("a new article changes the subscription document but not an archive page", async () => {
    const site = await siteWith(articles(6), { FEED_LIMIT: "2", PAGE_SIZE: "2" });
    const first = await site.get("/tags/ports/feed.xml");
    const next = documentLinks("feed.xml", await first.text()).next?.slice(SITE_URL.length) ?? "";
    const archive = await site.get(next);
    const archiveBody = await archive.text();

    await site.write(
      "n99.md",
      article({ title: "Breaking", date: "2026-03-01T00:00:00Z", tags: ["Ports"] }),
    );
    const firstAfter = await site.get("/tags/ports/feed.xml");
    expect(itemTitles("feed.xml", await firstAfter.text())).toEqual(["Breaking", "Article 06"]);
    const archiveAfter = await site.get(next, {
      "if-none-match": archive.headers.get("etag") ?? "",
    });
    expect(archiveAfter.status).toBe(304);
    expect(await (await site.get(next)).text()).toBe(archiveBody);
  });
});

describe("browser view", () => {
  it.each([
    ["feed.xml", "/feed.xml"],
    ["atom.xml", "/tags/ports/atom.xml"],
  ])("%s names /feed.xsl in an xml-stylesheet instruction and still parses", async (_f, path) => {
    const site = await siteWith(articles(2));
    const body = await (await site.get(path)).text();
    expect(body.split("\n")[0]).toBe(
      `<?xml version="1.0" encoding="utf-8"?><?xml-stylesheet href="${SITE_URL}/feed.xsl" type="text/xsl"?>`,
    );
    const parsed = feedparser(body);
    expect(parsed).toEqual({ bozo: false, titles: ["Article 02", "Article 01"] });
  });

  it("JSON Feed has no stylesheet", async () => {
    const site = await siteWith(articles(1));
    expect(await (await site.get("/feed.json")).text()).not.toContain("feed.xsl");
  });

  it("serves /feed.xsl as well-formed XSLT with ETag, 304 and compression", async () => {
    const site = await siteWith(articles(1));
    const res = await site.get("/feed.xsl");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/xsl; charset=utf-8");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("cache-control")).toMatch(/^public, max-age=86400/);
    const xsl = await res.text();
    expect(xmllint(xsl)).toBe("");
    expect(xsl).toContain('<xsl:stylesheet version="1.0"');
    // Both formats are matched, and nothing is loaded from elsewhere.
    expect(xsl).toContain('match="item"');
    expect(xsl).toContain('match="atom:entry"');
    expect(xsl).not.toMatch(/<(link|script|img)\b|@import|url\(/);

    const etag = res.headers.get("etag") ?? "";
    expect((await site.get("/feed.xsl", { "if-none-match": etag })).status).toBe(304);
    const gz = await site.get("/feed.xsl", { "accept-encoding": "gzip" });
    expect(gz.headers.get("content-encoding")).toBe("gzip");
    expect(gunzipSync(Buffer.from(await gz.arrayBuffer())).toString("utf8")).toBe(xsl);
    expect((await site.app.request("/feed.xsl", { method: "HEAD" })).status).toBe(200);
    expect((await site.app.request("/feed.xsl", { method: "POST" })).status).toBe(405);
  });

  it("serves /feed.xsl even while the article store is unreadable", async () => {
    const site = await siteWith({});
    await site.dispose(); // the content folder is gone
    expect((await site.get("/feed.xsl")).status).toBe(200);
  });
});

function xmllint(xml: string): string {
  const run = spawnSync("xmllint", ["--noout", "--nonet", "-"], { input: xml, encoding: "utf8" });
  if (run.error) throw new Error(`xmllint could not run: ${run.error.message}`);
  return run.status === 0 ? "" : run.stderr;
}

/** python3-feedparser's view of a document: whether it complained, and the item titles. */
function feedparser(xml: string): { bozo: boolean; titles: string[] } {
  const script = `
import sys, json, feedparser
d = feedparser.parse(sys.stdin.buffer.read())
print(json.dumps({"bozo": bool(d.bozo), "titles": [e.title for e in d.entries]}))`;
  const run = spawnSync("/usr/bin/python3", ["-c", script], { input: xml, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`feedparser failed: ${run.stderr || run.error}`);
  return JSON.parse(run.stdout);
}
