/**
 * The paths a change invalidates, proven against what the app serves: a site is rendered whole
 * (every document a reader, crawler or hub can reach by a link: list pages, feeds, article
 * pages, sitemaps, OPML, robots.txt) before and after a change, and every document whose status
 * or bytes changed must be covered by the paths changedPaths names for the change the index
 * reported (exactly, or by one of its wildcards), with the author the indexer adds when a change
 * leaves a single author (functions/websub/authors.ts). Paged variants (?before=, ?limit=) are out of
 * scope by design (functions/websub/paths.ts).
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ApplyResult } from "../../functions/index/index.ts";
import { loneAuthorAfter } from "../../functions/websub/authors.ts";
import { scopePathOf } from "../../functions/websub/changes.ts";
import { changedPaths } from "../../functions/websub/paths.ts";
import { article, type FolderSite, folderSite, NOW, SITE_URL } from "../support/folder-site.ts";

const sites: FolderSite[] = [];
afterEach(async () => {
  for (const site of sites.splice(0)) await site.dispose();
});

const FIXED = ["/", "/opml.xml", "/sitemap.xml", "/news-sitemap.xml", "/robots.txt", "/feed.xsl"];
const FEEDS = ["feed.xml", "atom.xml", "feed.json"];

/** Every path reachable by a link: the fixed documents, sitemap pages and what the sitemaps list. */
async function reachable(site: FolderSite): Promise<string[]> {
  const paths = new Set(FIXED);
  const index = await (await site.get("/sitemap.xml")).text();
  for (const [, loc] of index.matchAll(/<loc>([^<]+)<\/loc>/g)) {
    const page = (loc as string).slice(SITE_URL.length);
    paths.add(page);
    const text = await (await site.get(page)).text();
    for (const [, url] of text.matchAll(/<loc>([^<]+)<\/loc>/g))
      paths.add(new URL(url as string).pathname);
  }
  // Every scope page has its three feeds (author feeds answer 404 on a one-author site).
  for (const path of [...paths])
    if (path === "/" || /^\/(tags|authors)\/[^/]+$/.test(path))
      for (const feed of FEEDS) paths.add(`${path === "/" ? "" : path}/${feed}`);
  return [...paths];
}

async function render(site: FolderSite, paths: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const path of paths) {
    const response = await site.get(path);
    out.set(path, `${response.status}\n${await response.text()}`);
  }
  return out;
}

const covers = (paths: string[], path: string) =>
  paths.some((p) => (p.endsWith("*") ? path.startsWith(p.slice(0, -1)) : p === path));

/**
 * Renders the site, runs `change`, renders again (paths reachable before or after), and returns
 * the documents that changed and the paths the index's reported change invalidates.
 */
async function stale(site: FolderSite, change: () => Promise<void>) {
  await site.local.sync();
  const before = await reachable(site);
  const old = await render(site, before);
  const results: ApplyResult[] = [];
  site.local.onChange((result) => results.push(result));
  await change();
  await site.local.sync();
  const all = [...new Set([...before, ...(await reachable(site))])];
  const now = await render(site, all);
  const changed = all.filter((path) => old.get(path) !== now.get(path));
  const touched = results.flatMap((r) => r.scopes);
  const lone = await loneAuthorAfter(site.local.index, touched);
  const invalidated = changedPaths({
    scopes: [...touched, ...(lone ? [lone] : [])].map(scopePathOf),
    pages: results.flatMap((r) => r.pages),
  });
  // Nothing is invalidated that no link reaches (a typo'd path would invalidate nothing).
  expect(invalidated.filter((p) => !p.endsWith("*") && !all.includes(p))).toEqual([]);
  return { changed, invalidated, served: now };
}

async function newsroom(now?: () => number) {
  const site = await folderSite({
    files: {
      "ferry.md": article({ title: "Ferry", tags: ["Ports", "Transport"], author: "Mara" }),
      "bus.md": article({ title: "Bus", date: "2026-02-01T00:00:00Z", tags: ["Transport"] }),
      "coral.md": article({ title: "Coral", date: "2026-03-01T00:00:00Z", tags: ["Science"] }),
    },
    ...(now ? { now } : {}),
  });
  sites.push(site);
  return site;
}

/** Asserts that every changed document is invalidated, and that the change changed something. */
function expectCovered({ changed, invalidated }: { changed: string[]; invalidated: string[] }) {
  expect(changed.length).toBeGreaterThan(0);
  expect(changed.filter((path) => !covers(invalidated, path))).toEqual([]);
}

describe("every document a change alters is invalidated", () => {
  it("an article added with a new tag (its page was a 404; a new tag appears in OPML)", async () => {
    const site = await newsroom();
    const result = await stale(site, () =>
      site.write(
        "tram.md",
        article({ title: "Tram", date: "2026-05-31T12:00:00Z", tags: ["Trams"] }),
      ),
    );
    expectCovered(result);
    expect(result.changed).toEqual(
      expect.arrayContaining(["/articles/tram", "/tags/trams", "/opml.xml", "/news-sitemap.xml"]),
    );
    // Nothing of another tag is invalidated.
    expect(result.invalidated.filter((p) => p.startsWith("/tags/science"))).toEqual([]);
  });

  it("an older article edited (its page, its scopes' pages and feeds, the sitemaps)", async () => {
    const site = await newsroom();
    const result = await stale(site, () =>
      site.write(
        "bus.md",
        article({ title: "Bus, corrected", date: "2026-02-01T00:00:00Z", tags: ["Transport"] }),
      ),
    );
    expectCovered(result);
    expect(result.changed).toContain("/articles/bus");
    expect(result.invalidated).not.toContain("/articles/ferry");
  });

  it("an article removed (its page now 404, a tag that vanished, the author feeds gone)", async () => {
    const site = await newsroom();
    const result = await stale(site, () => site.remove("ferry.md"));
    expectCovered(result);
    // With Mara gone one author is left, and author feeds exist only when two or more write:
    // Desk's documents now answer 404 though no article of Desk changed.
    const desk = ["/authors/desk", ...FEEDS.map((f) => `/authors/desk/${f}`)];
    expect(result.changed).toEqual(expect.arrayContaining(desk));
    for (const path of desk) expect(result.served.get(path)).toMatch(/^404/);
    expect(result.served.get("/articles/ferry")).toMatch(/^404/);
    expect(result.served.get("/tags/ports")).toMatch(/^404/);
    expect(result.changed).toEqual(expect.arrayContaining(["/tags/ports/feed.xml", "/opml.xml"]));
  });

  it("a second author's first article (the first author's cached 404s last 60 s at most)", async () => {
    const site = await folderSite({
      files: { "ferry.md": article({ title: "Ferry", tags: ["Ports"] }) },
    });
    sites.push(site);
    const result = await stale(site, () =>
      site.write("bus.md", article({ title: "Bus", author: "Mara", tags: ["Ports"] })),
    );
    const desk = ["/authors/desk", ...FEEDS.map((f) => `/authors/desk/${f}`)];
    // Desk's documents appear (they were 404s, cached for 60 s): nothing names them.
    expect(result.changed.filter((p) => !covers(result.invalidated, p))).toEqual(desk);
    expectCovered({ ...result, changed: result.changed.filter((p) => !desk.includes(p)) });
  });

  it("an article renamed (front matter slug): the old and the new page", async () => {
    const site = await newsroom();
    const result = await stale(site, () =>
      site.write(
        "coral.md",
        article({ title: "Coral", slug: "reef", date: "2026-03-01T00:00:00Z", tags: ["Science"] }),
      ),
    );
    expectCovered(result);
    expect(result.changed).toEqual(expect.arrayContaining(["/articles/coral", "/articles/reef"]));
  });

  it("a clash: a new file taking an existing slug re-derives the other article's page", async () => {
    const site = await newsroom();
    const result = await stale(site, () =>
      site.write("2025/bus.md", article({ title: "Old bus", date: "2025-01-01T00:00:00Z" })),
    );
    expectCovered(result);
  });

  it("a future-dated article released when its time comes", async () => {
    let clock = NOW;
    const site = await newsroom(() => clock);
    await site.write(
      "later.md",
      article({ title: "Later", date: "2026-06-01T06:00:00Z", tags: ["Later"] }),
    );
    await site.local.sync();
    const result = await stale(site, async () => {
      clock = Date.parse("2026-06-01T07:00:00Z");
    });
    expectCovered(result);
    expect(result.changed).toEqual(expect.arrayContaining(["/articles/later", "/tags/later"]));
  });
});
