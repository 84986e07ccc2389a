/**
 * Writers of different articles contending for one slug's entry and page, on both tables: a
 * plan that ran on a stale view of the claims must not overwrite (and then delete) the page of
 * the article that owns the slug.
 */
import { describe, expect, it } from "vitest";
import { MemoryBlobs } from "../../functions/index/keys.ts";
import type { Table, TableWrite } from "../../functions/index/table.ts";
import { Index } from "../../functions/index/write.ts";
import { compiled, day, put, tableBackends } from "./support.ts";

const NOW = Date.parse("2024-07-01T00:00:00Z");
const backends = tableBackends("contention-test");

/** A table that holds back the first write matching `test` until `release()`. */
function gated(table: Table, test: (w: TableWrite) => boolean) {
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => {
    release = r;
  });
  let held: (() => void) | undefined;
  const reached = new Promise<void>((r) => {
    held = r;
  });
  let armed = true;
  const wrapped: Table = {
    get: (key) => table.get(key),
    query: (pk, options) => table.query(pk, options),
    write: async (w) => {
      if (armed && test(w)) {
        armed = false;
        held?.();
        await gate;
      }
      await table.write(w);
    },
  };
  return { table: wrapped, release, reached };
}

describe.each(backends)("slug contention on %s", (_name, makeTable) => {
  it("a newer article's late page write does not displace the older owner's page", async () => {
    const base = await makeTable();
    const newer = put(compiled("newer.md", { slug: "ferry", date: day(9), tags: ["T"] }));
    const older = put(compiled("older.md", { slug: "ferry", date: day(1), tags: ["T"] }));
    // The newer article's page put is held while the older one is indexed and takes the slug.
    const g = gated(base, (w) => "put" in w && w.put.pk === "P" && w.put.key === "newer.md");
    const one = new Index(g.table, new MemoryBlobs(), { now: () => NOW });
    const two = new Index(base, new MemoryBlobs(), { now: () => NOW });
    const late = one.apply(newer);
    await g.reached;
    await two.apply(older);
    g.release();
    await late;
    for (const index of [one, two]) {
      expect((await index.article("ferry"))?.meta.key).toBe("older.md");
      const site = (await index.page("site", 10)).items.map((i) => [i.meta.key, i.meta.slug]);
      expect(site).toEqual([
        ["newer.md", expect.stringMatching(/^ferry-[0-9a-f]{8}$/)],
        ["older.md", "ferry"],
      ]);
      const moved = String(site[0]?.[1]);
      expect((await index.article(moved))?.meta.key).toBe("newer.md");
    }
    expect((await base.query("P")).map((i) => [i.sk, i.key]).sort()).toHaveLength(2);
  });
});
