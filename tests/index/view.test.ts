/**
 * What the app reads (IndexView) on both tables: metadata-only lists that never touch a body,
 * the canonical-cursor lookup, the item layout (bodies in `h` or the blob store, never in `d`),
 * and the write-side rules it shows: revisions without `updated:`, hold-back and releases.
 */
import { describe, expect, it } from "vitest";
import type { ArticleIndex, PageCursor } from "../../functions/index/index.ts";
import { type BlobStore, MemoryBlobs } from "../../functions/index/keys.ts";
import { IndexReader } from "../../functions/index/read.ts";
import type { QueryOptions, Table } from "../../functions/index/table.ts";
import { Index, type IndexOptions } from "../../functions/index/write.ts";
import { compiled, day, put, tableBackends } from "./support.ts";

const NOW = Date.parse("2024-07-01T00:00:00Z");
const backends = tableBackends("view-test");

/** A table that records every query's options, and blobs that count reads. */
function watched(table: Table) {
  const queries: { pk: string; options: QueryOptions }[] = [];
  const spy: Table = {
    get: (key) => table.get(key),
    write: (w) => table.write(w),
    query: (pk, options = {}) => {
      queries.push({ pk, options });
      return table.query(pk, options);
    },
  };
  return { spy, queries };
}
class CountingBlobs extends MemoryBlobs implements BlobStore {
  reads = 0;
  override get(name: string): Promise<string> {
    this.reads++;
    return super.get(name);
  }
}

const cursorOf = (date: Date, slug: string): PageCursor => ({
  seconds: Math.floor(date.getTime() / 1000),
  slug,
});
const BIG = `<p>${"y".repeat(40_000)}</p>`;

describe.each(backends)("the index view on %s", (_name, makeTable) => {
  const open = async (options: IndexOptions = {}) => {
    const table = await makeTable();
    const blobs = new CountingBlobs();
    const index: ArticleIndex = new Index(table, blobs, { now: () => NOW, ...options });
    return { table, blobs, index };
  };

  it("metas() lists the page's order by metadata alone: `d` projected, no body, no blob read", async () => {
    const { table, blobs, index } = await open();
    await index.apply(put(compiled("a.md", { date: day(1), tags: ["T"] })));
    await index.apply(put(compiled("b.md", { date: day(3), tags: ["T"] }), {}));
    await index.apply(put(compiled("c.md", { date: day(2), tags: ["T"] }, BIG)));
    const { spy, queries } = watched(table);
    const reader = new IndexReader(spy, blobs);
    const reads = blobs.reads;
    const first = await reader.metas("tag#t", 2);
    expect(first.items.map((m) => m.key)).toEqual(["b.md", "c.md"]);
    expect(first.more).toBe(true);
    expect(first.items[0]?.date).toEqual(day(3));
    const rest = await reader.metas("tag#t", 2, cursorOf(day(2), "c"));
    expect(rest).toEqual({ items: [expect.objectContaining({ key: "a.md" })], more: false });
    expect(blobs.reads).toBe(reads);
    expect(queries.map((q) => q.options.attributes)).toEqual([["d"], ["d"]]);
    // The page of the same scope is the same order, with bodies (the large one from its blob).
    const page = await reader.page("tag#t", 3);
    expect(page.items.map((i) => i.meta)).toEqual([...first.items, ...rest.items]);
    expect(page.items[1]?.html).toBe(BIG);
    expect(blobs.reads).toBe(reads + 1);
  });

  it("above() finds the entry at the cursor, else the nearest newer one, in one descending query", async () => {
    const { table, blobs, index } = await open();
    for (const [slug, d] of [
      ["old", 1],
      ["mid-a", 5],
      ["mid-b", 5],
      ["new", 9],
    ] as const)
      await index.apply(put(compiled(`${slug}.md`, { slug, date: day(d) })));
    const { spy, queries } = watched(table);
    const reader = new IndexReader(spy, blobs);
    const above = async (date: Date, slug: string) =>
      (await reader.above("site", cursorOf(date, slug)))?.slug;
    expect(await above(day(5), "mid-b")).toBe("mid-b");
    expect(await above(day(5), "mid-a")).toBe("mid-a");
    // Between the two of day 5 (by slug), then between days: the newer neighbour.
    expect(await above(day(5), "mid-ab")).toBe("mid-a");
    expect(await above(day(3), "x")).toBe("mid-b");
    expect(await above(day(1), "old")).toBe("old");
    expect(await above(day(0), "zzz")).toBe("old");
    expect(await above(day(10), "a")).toBeUndefined();
    expect(await reader.above("tag#none", cursorOf(day(5), "mid-a"))).toBeUndefined();
    expect(queries).toHaveLength(8);
    for (const q of queries)
      expect(q.options).toMatchObject({ descending: true, limit: 1, attributes: ["d"] });
  });

  it("refreshes summaries from the newest entry's metadata alone (`d`, no body)", async () => {
    const { spy, queries } = watched(await makeTable());
    const blobs = new CountingBlobs();
    const index = new Index(spy, blobs, { now: () => NOW });
    await index.apply(put(compiled("big.md", { date: day(2), tags: ["T"] }, BIG)));
    await index.applyMany([put(compiled("other.md", { date: day(1), tags: ["T"] }))]);
    const entries = queries.filter((q) => q.pk.startsWith("E#"));
    expect(entries.length).toBeGreaterThanOrEqual(4);
    for (const q of entries) expect(q.options.attributes).toEqual(["d"]);
    expect(blobs.reads).toBe(0);
    expect((await index.summary("tag#t"))?.newest.date).toBe(day(2).getTime());
  });

  it("stores bodies in `h` when inline and in the blob store when large, never in `d`", async () => {
    const { table, index } = await open();
    await index.apply(put(compiled("small.md", { date: day(2) })));
    await index.apply(put(compiled("large.md", { date: day(1) }, BIG)));
    const site = await table.query("E#site");
    const pages = await table.query("P");
    for (const item of [...site, ...pages]) {
      const d = JSON.parse(String(item.d));
      expect(d.html).toBeUndefined();
      if (item.key === "small.md") {
        expect(item.h).toBe("<p>Body of small.</p>");
        expect(d.ref).toBeUndefined();
      } else {
        expect(item.h).toBeUndefined();
        expect(d.ref).toMatch(/^[0-9a-f]{64}\.html$/);
      }
    }
    expect(site).toHaveLength(2);
    expect((await index.article("small"))?.html).toBe("<p>Body of small.</p>");
    expect((await index.article("large"))?.html).toBe(BIG);
    // Shrinking the large one brings its body inline again; no stale `h` or ref is left.
    await index.apply(put(compiled("large.md", { date: day(1) }, "<p>short</p>")));
    const [large] = (await table.query("P")).filter((i) => i.key === "large.md");
    expect(large?.h).toBe("<p>short</p>");
    expect(JSON.parse(String(large?.d)).ref).toBeUndefined();
    expect((await index.page("site", 5)).items.map((i) => i.html)).toEqual([
      "<p>Body of small.</p>",
      "<p>short</p>",
    ]);
  });

  it("an edit without a newer `updated:` is revised when first seen, each revision a second later at least", async () => {
    const { index } = await open();
    const updated = day(1);
    const at = (n: number) => Date.parse("2024-06-10T00:00:00Z") + n;
    const edit = (title: string, seenAt: number, extra = {}) =>
      index.apply(put(compiled("r.md", { title, date: day(1), updated, ...extra }), { seenAt }));
    const revised = async () => (await index.article("r"))?.meta.revised?.getTime();
    await edit("A", at(0));
    expect(await revised()).toBeUndefined();
    expect((await index.summary("site"))?.newest.updated).toBe(updated.getTime());
    // The same content again (a re-deploy): nothing changes, still no revision.
    expect((await edit("A", at(5_000))).outcome).toBe("unchanged");
    expect(await revised()).toBeUndefined();
    await edit("B", at(10_000));
    expect(await revised()).toBe(at(10_000));
    expect((await index.summary("site"))?.newest.updated).toBe(at(10_000));
    expect((await index.metas("site", 1)).items[0]?.revised?.getTime()).toBe(at(10_000));
    // Seen sooner than a second after the last revision (clock skew, two quick edits).
    await edit("C", at(10_200));
    expect(await revised()).toBe(at(11_000));
    // Re-deployed after a revision: the hash ignores `revised`, so this is no edit.
    expect((await edit("C", at(50_000))).outcome).toBe("unchanged");
    expect(await revised()).toBe(at(11_000));
    // The author dates the next edit: `revised` stays where it was, `updated:` now leads.
    const later = new Date(at(90_000));
    await edit("D", at(100_000), { updated: later });
    expect(await revised()).toBe(at(11_000));
    expect((await index.summary("site"))?.newest.updated).toBe(later.getTime());
    // A compiled `revised` (none today) is the index's to set, never taken from the article.
    await edit("E", at(200_000), { updated: later, revised: new Date(at(1)) });
    expect(await revised()).toBe(at(200_000));
  });

  it("holds future articles back by default and says when the next one is due", async () => {
    const { index } = await open();
    expect(await index.nextRelease()).toBeUndefined();
    const soon = NOW + 60_000;
    const later = NOW + 3_600_000;
    await index.apply(put(compiled("later.md", { date: new Date(later) })));
    await index.apply(put(compiled("soon.md", { date: new Date(soon) })));
    await index.apply(put(compiled("draft.md", { date: new Date(NOW - 1), draft: true })));
    expect(await index.nextRelease()).toBe(soon);
    expect((await index.page("site", 5)).items).toHaveLength(0);
    await index.release(soon);
    expect((await index.metas("site", 5)).items.map((m) => m.key)).toEqual(["soon.md"]);
    expect(await index.nextRelease()).toBe(later);
    await index.release(later);
    expect(await index.nextRelease()).toBeUndefined();
  });

  it("holdBack false makes a future-dated article live at once (drafts stay out)", async () => {
    const { index } = await open({ holdBack: false });
    const future = NOW + 86_400_000;
    const result = await index.apply(put(compiled("f.md", { date: new Date(future) })));
    await index.apply(put(compiled("d.md", { date: new Date(NOW - 1), draft: true })));
    expect(result.releaseAt).toBeUndefined();
    expect(result.scopes).toContain("site");
    expect((await index.page("site", 5)).items.map((i) => i.meta.key)).toEqual(["f.md"]);
    expect((await index.summary("site"))?.newest.date).toBe(future);
    expect((await index.records()).map((r) => [r.key, r.state]).sort()).toEqual([
      ["d.md", "draft"],
      ["f.md", "live"],
    ]);
    expect(await index.nextRelease()).toBeUndefined();
  });
});
