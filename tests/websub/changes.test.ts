import { afterEach, describe, expect, it } from "vitest";
import type { ArticleMeta } from "../../functions/articles/article.ts";
import type { IndexedArticle } from "../../functions/storage/store.ts";
import { changedFeedUrls, changedScopePaths } from "../../functions/websub/changes.ts";
import { meta } from "../fixtures/articles.ts";
import { article, type FolderSite, folderSite, SITE_URL } from "../support/folder-site.ts";

const sites: FolderSite[] = [];
afterEach(async () => {
  for (const site of sites.splice(0)) await site.dispose();
});

/** Two authors (so author feeds exist) and three tags. */
async function newsroom() {
  const site = await folderSite({
    files: {
      "ferry.md": article({ title: "Ferry", tags: ["Ports", "Transport"], author: "Mara" }),
      "bus.md": article({ title: "Bus", date: "2026-02-01T00:00:00Z", tags: ["Transport"] }),
      "coral.md": article({ title: "Coral", date: "2026-03-01T00:00:00Z", tags: ["Science"] }),
    },
  });
  sites.push(site);
  return site;
}

const feeds = (path: string) =>
  ["feed.xml", "atom.xml", "feed.json"].map((f) => `${SITE_URL}${path}/${f}`);

describe("changedFeedUrls", () => {
  it("is empty when nothing changed", async () => {
    const site = await newsroom();
    const before = await site.catalog.snapshot();
    expect(changedFeedUrls(SITE_URL, before, await site.catalog.snapshot())).toEqual([]);
  });

  it("lists the site feeds and the feeds of the new article's tags and author only", async () => {
    const site = await newsroom();
    const before = await site.catalog.snapshot();
    await site.write("tram.md", article({ title: "Tram", tags: ["Transport", "Trams"] }));
    const after = await site.catalog.snapshot();
    expect(changedFeedUrls(SITE_URL, before, after)).toEqual([
      ...feeds(""),
      ...feeds("/tags/trams"),
      ...feeds("/tags/transport"),
      ...feeds("/authors/desk"),
    ]);
  });

  it("lists the scopes of an edited article (a new stored version)", async () => {
    const site = await newsroom();
    const before = await site.catalog.snapshot();
    await site.write(
      "ferry.md",
      article({ title: "Ferry", tags: ["Ports", "Transport"], author: "Mara" }, "Edited text.\n"),
    );
    expect(changedFeedUrls(SITE_URL, before, await site.catalog.snapshot())).toEqual([
      ...feeds(""),
      ...feeds("/tags/ports"),
      ...feeds("/tags/transport"),
      ...feeds("/authors/mara"),
    ]);
  });

  it("lists scopes an article left; scopes that vanished are not listed", async () => {
    const site = await newsroom();
    const before = await site.catalog.snapshot();
    await site.remove("ferry.md");
    // Ports and Mara are gone (their feeds now 404); Transport lost an article. With one author
    // left there are no author feeds at all.
    expect(changedFeedUrls(SITE_URL, before, await site.catalog.snapshot())).toEqual([
      ...feeds(""),
      ...feeds("/tags/transport"),
    ]);
  });

  it("lists every scope when there is no previous snapshot", async () => {
    const site = await newsroom();
    const urls = changedFeedUrls(SITE_URL, undefined, await site.catalog.snapshot());
    expect(urls).toHaveLength(3 * (1 + 3 + 2));
  });
});

describe("changedScopePaths (what the indexer announces after a write)", () => {
  const entry = (key: string, version: string, overrides: Partial<ArticleMeta> = {}) =>
    [key, { key, version, meta: meta({ key, version, ...overrides }) }] as const;
  const index = (...entries: (readonly [string, IndexedArticle])[]) => new Map(entries);
  const ferry = entry("ferry.md", "1", { tags: ["Ports"], authors: [{ name: "Mara" }] });

  it("is empty when no entry changed", () => {
    expect(changedScopePaths(index(ferry), index(ferry))).toEqual([]);
    expect(changedScopePaths(index(ferry), index(entry("ferry.md", "1")))).toEqual([]);
  });

  it("names the site and the added article's tags and authors", () => {
    const bus = entry("bus.md", "1", {
      tags: ["Transport", "R&D"],
      authors: [{ name: "Ana Müller" }],
    });
    expect(changedScopePaths(index(ferry), index(ferry, bus))).toEqual([
      "",
      "/authors/ana-muller",
      "/tags/r-d",
      "/tags/transport",
    ]);
  });

  it("names the scopes a deletion or an edit left, not only those it entered", () => {
    expect(changedScopePaths(index(ferry), index())).toEqual(["", "/authors/mara", "/tags/ports"]);
    const edited = entry("ferry.md", "2", { tags: ["Science"], authors: [{ name: "Mara" }] });
    expect(changedScopePaths(index(ferry), index(edited))).toEqual([
      "",
      "/authors/mara",
      "/tags/ports",
      "/tags/science",
    ]);
  });

  it("ignores drafts and files that do not parse, on both sides", () => {
    const draft = entry("draft.md", "1", { draft: true, tags: ["Secret"] });
    const broken: [string, IndexedArticle] = [
      "broken.md",
      { key: "broken.md", version: "1", modified: new Date(0), error: "no title" },
    ];
    expect(changedScopePaths(index(ferry), index(ferry, draft, broken))).toEqual([]);
    // An article that breaks leaves its feeds: they changed.
    const nowBroken: [string, IndexedArticle] = [
      "ferry.md",
      { key: "ferry.md", version: "2", modified: new Date(0), error: "no title" },
    ];
    expect(changedScopePaths(index(ferry), index(nowBroken))).toEqual([
      "",
      "/authors/mara",
      "/tags/ports",
    ]);
  });
});
