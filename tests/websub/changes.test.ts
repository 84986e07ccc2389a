import { afterEach, describe, expect, it } from "vitest";
import type { ApplyResult } from "../../functions/index/index.ts";
import { feedUrlsOfScopes } from "../../functions/websub/notify.ts";
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

/** The feed URLs the local index announces for what `change` does to the site. */
async function announced(site: FolderSite, change: () => Promise<void>): Promise<string[]> {
  await site.local.sync();
  const results: ApplyResult[] = [];
  site.local.onChange((result) => results.push(result));
  await change();
  await site.local.sync();
  return feedUrlsOfScopes(
    SITE_URL,
    results.flatMap((r) => r.scopes),
  );
}

describe("feedUrlsOfScopes over the local index's changes", () => {
  it("is empty when nothing changed", async () => {
    const site = await newsroom();
    expect(await announced(site, async () => {})).toEqual([]);
  });

  it("lists the site feeds and the feeds of the new article's tags and author only", async () => {
    const site = await newsroom();
    const urls = await announced(site, () =>
      site.write("tram.md", article({ title: "Tram", tags: ["Transport", "Trams"] })),
    );
    expect(urls).toEqual([
      ...feeds(""),
      ...feeds("/tags/trams"),
      ...feeds("/tags/transport"),
      ...feeds("/authors/desk"),
    ]);
  });

  it("lists the scopes of an edited article (a new stored version)", async () => {
    const site = await newsroom();
    const urls = await announced(site, () =>
      site.write(
        "ferry.md",
        article({ title: "Ferry", tags: ["Ports", "Transport"], author: "Mara" }, "Edited text.\n"),
      ),
    );
    expect(urls).toEqual([
      ...feeds(""),
      ...feeds("/tags/ports"),
      ...feeds("/tags/transport"),
      ...feeds("/authors/mara"),
    ]);
  });

  it("lists the scopes a deleted article left, vanished ones too (their feeds now answer 404)", async () => {
    const site = await newsroom();
    const urls = await announced(site, () => site.remove("ferry.md"));
    expect(urls).toEqual([
      ...feeds(""),
      ...feeds("/tags/ports"),
      ...feeds("/tags/transport"),
      ...feeds("/authors/mara"),
    ]);
  });

  it("leaves out a draft's scopes", async () => {
    const site = await newsroom();
    const urls = await announced(site, () =>
      site.write("draft.md", article({ title: "Draft", draft: true, tags: ["Secret"] })),
    );
    expect(urls).toEqual([]);
  });
});
