import { spawnSync } from "node:child_process";
import { parseOpml } from "feedsmith";
import { afterEach, describe, expect, it } from "vitest";
import { article, type FolderSite, folderSite, SITE_URL } from "../support/folder-site.ts";

const sites: FolderSite[] = [];
afterEach(async () => {
  for (const site of sites.splice(0)) await site.dispose();
});

async function siteWith(files: Record<string, string>, env: Record<string, string> = {}) {
  const site = await folderSite({ files, env });
  sites.push(site);
  return site;
}

/** Two authors (so author feeds exist) and tags that need escaping. */
const FILES = {
  "a.md": article({ title: "A", tags: ["R&D", "Ports"], author: "Zoë <Z> O'Brien & Co" }),
  "b.md": article({ title: "B", date: "2026-02-01T00:00:00Z", tags: ['Say "hi"'] }),
};

function xmllint(xml: string): string {
  const run = spawnSync("xmllint", ["--noout", "--nonet", "-"], { input: xml, encoding: "utf8" });
  if (run.error) throw new Error(`xmllint could not run: ${run.error.message}`);
  return run.status === 0 ? "" : run.stderr;
}

interface Outline {
  text?: string;
  title?: string;
  type?: string;
  xmlUrl?: string;
  htmlUrl?: string;
  version?: string;
  outlines?: Outline[];
}

/** Every subscription outline (those with an xmlUrl), depth first. */
function subscriptions(outlines: Outline[] = []): Outline[] {
  return outlines.flatMap((o) => [...(o.xmlUrl ? [o] : []), ...subscriptions(o.outlines)]);
}

const FILE = { rss: "feed.xml", atom: "atom.xml", json: "feed.json" } as const;

/** The one outline a scope gets in the list of `format`. */
function outline(name: string, path: string, format: keyof typeof FILE = "rss"): Outline {
  const base = `${SITE_URL}${path}`;
  return {
    text: name,
    title: name,
    type: format === "json" ? "json" : "rss",
    ...(format === "rss" ? { version: "RSS2" } : {}),
    xmlUrl: `${base}/${FILE[format]}`,
    htmlUrl: path ? base : `${SITE_URL}/`,
  };
}

const SCOPES: [string, string][] = [
  ["Dateline", ""],
  ["Dateline: Ports", "/tags/ports"],
  ["Dateline: R&D", "/tags/r-d"],
  ['Dateline: Say "hi"', "/tags/say-hi"],
  ["Dateline: articles by Desk", "/authors/desk"],
  ["Dateline: articles by Zoë <Z> O'Brien & Co", "/authors/zoe-z-o-brien-co"],
];

describe("GET /opml.xml", () => {
  it("is well-formed OPML 2.0 listing the site's, every tag's and every author's RSS feed, each once", async () => {
    const site = await siteWith(FILES);
    const res = await site.get("/opml.xml");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/x-opml; charset=utf-8");
    const xml = await res.text();
    expect(xmllint(xml)).toBe("");
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="utf-8"\?>\n<opml version="2.0">/);
    const opml = parseOpml(xml);
    expect(opml.head?.title).toBe("Dateline: all feeds");
    expect(subscriptions(opml.body?.outlines as Outline[])).toEqual(
      SCOPES.map(([name, path]) => outline(name, path)),
    );
    // Grouped for readers that import folders: the site, then Tags, then Authors.
    expect(opml.body?.outlines?.map((o) => o.text)).toEqual(["Dateline", "Tags", "Authors"]);
  });

  it.each([
    ["atom", "Dateline: all feeds (Atom)"],
    ["json", "Dateline: all feeds (JSON Feed)"],
  ] as const)(
    "?format=%s lists the same scopes in that format only (JSON not typed rss)",
    async (format, title) => {
      const site = await siteWith(FILES);
      const xml = await (await site.get(`/opml.xml?format=${format}`)).text();
      expect(xmllint(xml)).toBe("");
      const opml = parseOpml(xml);
      expect(opml.head?.title).toBe(title);
      expect(subscriptions(opml.body?.outlines as Outline[])).toEqual(
        SCOPES.map(([name, path]) => outline(name, path, format)),
      );
    },
  );

  it("refuses an unknown or repeated format with a 400 and the reason", async () => {
    const site = await siteWith(FILES);
    for (const query of ["format=xml", "format=rss&format=atom", "format="]) {
      const res = await site.get(`/opml.xml?${query}`);
      expect(res.status, query).toBe(400);
      expect(await res.text()).toContain("format must be given once, one of: rss, atom, json");
    }
  });

  it("lists only feeds that exist", async () => {
    const site = await siteWith(FILES);
    const opml = parseOpml(await (await site.get("/opml.xml")).text());
    for (const outline of subscriptions(opml.body?.outlines as Outline[])) {
      const url = new URL(outline.xmlUrl ?? "");
      expect((await site.get(url.pathname)).status, url.pathname).toBe(200);
      expect((await site.get(new URL(outline.htmlUrl ?? "").pathname)).status).toBe(200);
    }
  });

  it("has no Authors folder when one author writes everything (there are no author feeds)", async () => {
    const site = await siteWith({ "a.md": article({ title: "A", tags: ["Ports"] }) });
    const opml = parseOpml(await (await site.get("/opml.xml")).text());
    expect(opml.body?.outlines?.map((o) => o.text)).toEqual(["Dateline", "Tags"]);
    expect((await site.get("/authors/desk/feed.xml")).status).toBe(404);
  });

  it("is deterministic and answers conditional requests with 304", async () => {
    const one = await siteWith(FILES);
    const two = await siteWith(FILES);
    const first = await one.get("/opml.xml");
    const body = await first.text();
    expect(await (await two.get("/opml.xml")).text()).toBe(body);
    const etag = first.headers.get("etag") ?? "";
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers.get("last-modified")).toBeTruthy();
    const again = await one.get("/opml.xml", { "if-none-match": etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
    const head = await one.app.request("/opml.xml", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("etag")).toBe(etag);
    expect((await one.app.request("/opml.xml", { method: "POST" })).status).toBe(405);
  });

  it("changes (new ETag) when a tag appears", async () => {
    const site = await siteWith(FILES);
    const before = await site.get("/opml.xml");
    const etag = before.headers.get("etag") ?? "";
    await site.write("c.md", article({ title: "C", tags: ["Ferries"] }, "Longer body text.\n"));
    const after = await site.get("/opml.xml", { "if-none-match": etag });
    expect(after.status).toBe(200);
    expect(after.headers.get("etag")).not.toBe(etag);
    const urls = subscriptions(parseOpml(await after.text()).body?.outlines as Outline[]);
    expect(urls.map((o) => o.xmlUrl)).toContain(`${SITE_URL}/tags/ferries/feed.xml`);
  });

  it("is announced on the home page with rel=outline", async () => {
    const site = await siteWith(FILES);
    const html = await (await site.get("/")).text();
    expect(html).toContain(
      `<link rel="outline" type="text/x-opml" title="Dateline: all feeds (OPML)" href="${SITE_URL}/opml.xml">`,
    );
  });
});
