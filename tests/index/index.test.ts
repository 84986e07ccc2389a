/**
 * The index contract, on both tables: the in-memory one (npm start) and DynamoDB (dynalite, a
 * real implementation with DynamoDB's validation, on 127.0.0.1).
 */
import { describe, expect, it } from "vitest";
import type { ArticleIndex } from "../../functions/index/index.ts";
import { MemoryBlobs } from "../../functions/index/keys.ts";
import { Index } from "../../functions/index/write.ts";
import { compiled, day, put, remove, tableBackends } from "./support.ts";

const NOW = Date.parse("2024-07-01T00:00:00Z");
const backends = tableBackends("index-test");

describe.each(backends)("index on %s", (_name, makeTable) => {
  const open = async (now = () => NOW): Promise<ArticleIndex> =>
    new Index(await makeTable(), new MemoryBlobs(), { now });

  it("pages a scope newest first, ties by slug, with before cursors on the sort key", async () => {
    const index = await open();
    const dates = [3, 1, 2, 2, 5];
    for (const [i, d] of dates.entries())
      await index.apply(put(compiled(`a${i}.md`, { slug: `s${i}`, date: day(d), tags: ["News"] })));
    const first = await index.page("site", 2);
    expect(first.items.map((a) => a.meta.slug)).toEqual(["s4", "s0"]);
    expect(first.more).toBe(true);
    const last = first.items[1]?.meta;
    const second = await index.page("site", 2, {
      seconds: Math.floor((last?.date.getTime() ?? 0) / 1000),
      slug: last?.slug ?? "",
    });
    expect(second.items.map((a) => a.meta.slug)).toEqual(["s2", "s3"]);
    const third = await index.page("site", 2, {
      seconds: Math.floor(day(2).getTime() / 1000),
      slug: "s3",
    });
    expect(third.items.map((a) => a.meta.slug)).toEqual(["s1"]);
    expect(third.more).toBe(false);
    expect((await index.page("tag#news", 10)).items).toHaveLength(5);
    expect(first.items[0]?.html).toBe("<p>Body of s4.</p>");
  });

  it("keeps scope summaries: the newest article's spelling and dates, a revision; drops empty scopes", async () => {
    const index = await open();
    await index.apply(
      put(compiled("a.md", { date: day(1), tags: ["Open Data"], authors: [{ name: "Ana" }] })),
    );
    await index.apply(
      put(compiled("b.md", { date: day(3), tags: ["open data"], authors: [{ name: "Ben" }] })),
    );
    await index.apply(
      put(compiled("c.md", { date: day(2), tags: ["OPEN DATA"], authors: [{ name: "Ben" }] })),
    );
    expect(await index.summary("tag#open-data")).toMatchObject({
      name: "open data",
      newest: { date: day(3).getTime() },
    });
    expect((await index.scopes()).map((s) => s.key).sort()).toEqual([
      "author#ana",
      "author#ben",
      "site",
      "tag#open-data",
    ]);
    const before = (await index.summary("site"))?.revision ?? 0;
    await index.apply(remove("a.md", "ff"));
    expect(await index.summary("author#ana")).toBeUndefined();
    expect((await index.scopes()).some((s) => s.key === "author#ana")).toBe(false);
    expect((await index.summary("site"))?.revision).toBeGreaterThan(before);
    await index.apply(remove("b.md", "ff"));
    expect((await index.summary("tag#open-data"))?.name).toBe("OPEN DATA");
  });

  it("ignores duplicated and older events, so any order converges", async () => {
    const a = await open();
    const b = await open();
    const v1 = put(compiled("x.md", { title: "One" }), { sequencer: "0a", version: "e1" });
    const v2 = put(compiled("x.md", { title: "Two" }), { sequencer: "0b", version: "e2" });
    const gone = remove("x.md", "00c");
    const back = put(compiled("x.md", { title: "Three" }), { sequencer: "0000d", version: "e3" });
    for (const change of [v1, v2, gone, back]) await a.apply(change);
    expect((await b.apply(back)).outcome).toBe("applied");
    for (const change of [gone, v2, v1, back, v1])
      expect((await b.apply(change)).outcome).not.toBe("applied");
    for (const index of [a, b]) {
      const page = await index.page("site", 10);
      expect(page.items.map((i) => i.meta.title)).toEqual(["Three"]);
      expect(await index.records()).toMatchObject([
        { key: "x.md", version: "e3", sequencer: "0000d", state: "live" },
      ]);
    }
    expect((await b.apply(v2)).outcome).toBe("stale");
    // The event the record already holds: nothing written (a retried message re-announces it).
    expect((await a.apply(back)).outcome).toBe("repeated");
  });

  it("two writers applying overlapping events concurrently converge on one index", async () => {
    const table = await makeTable();
    const one = new Index(table, new MemoryBlobs(), { now: () => NOW });
    const two = new Index(table, new MemoryBlobs(), { now: () => NOW });
    const changes = Array.from({ length: 12 }, (_, i) =>
      put(
        compiled(`k${i % 4}.md`, {
          slug: i % 3 === 0 ? "shared" : `k${i % 4}`,
          date: day(i),
          tags: ["T"],
        }),
        {
          sequencer: (i + 16).toString(16),
          version: `e${i}`,
        },
      ),
    );
    await Promise.all([
      (async () => {
        for (const c of changes) await one.apply(c);
      })(),
      (async () => {
        for (const c of [...changes].reverse()) await two.apply(c);
      })(),
    ]);
    const serial = await open();
    for (const c of changes) await serial.apply(c);
    const view = async (index: ArticleIndex) => ({
      site: (await index.page("site", 50)).items.map((i) => [
        i.meta.key,
        i.meta.slug,
        i.meta.id,
        i.meta.title,
      ]),
      tag: (await index.page("tag#t", 50)).items.length,
      records: (await index.records()).map((r) => [r.key, r.version]),
    });
    expect(await view(one)).toEqual(await view(serial));
    expect((await view(serial)).tag).toBe(4);
  });

  it("resolves duplicate slugs by age, and re-resolves when an older article claims the slug", async () => {
    const index = await open();
    await index.apply(put(compiled("new.md", { slug: "ferry", date: day(10) })));
    expect((await index.article("ferry"))?.meta.key).toBe("new.md");
    await index.apply(put(compiled("old.md", { slug: "ferry", date: day(1) })));
    const owner = await index.article("ferry");
    expect(owner?.meta.key).toBe("old.md");
    const site = (await index.page("site", 10)).items.map((i) => i.meta);
    const moved = site.find((m) => m.key === "new.md");
    expect(moved?.slug).toMatch(/^ferry-[0-9a-f]{8}$/);
    expect(moved?.id).not.toBe(owner?.meta.id);
    expect((await index.article(moved?.slug ?? ""))?.meta.key).toBe("new.md");
    await index.apply(remove("old.md", "fff0"));
    expect((await index.article("ferry"))?.meta.key).toBe("new.md");
    expect((await index.page("site", 10)).items.map((i) => i.meta.slug)).toEqual(["ferry"]);
  });

  it("dates an edit without `updated:` by when its content was first seen; a re-deploy changes nothing", async () => {
    const index = await open();
    const first = Date.parse("2024-06-01T00:00:00Z");
    const edit = Date.parse("2024-06-03T00:00:00Z");
    await index.apply(put(compiled("e.md", { title: "A" }), { seenAt: first }));
    const rev = (await index.summary("site"))?.revision;
    const same = await index.apply(put(compiled("e.md", { title: "A" }), { seenAt: edit }));
    expect(same.outcome).toBe("unchanged");
    expect((await index.summary("site"))?.revision).toBe(rev);
    expect((await index.article("e"))?.meta.modified.getTime()).toBe(first);
    await index.apply(put(compiled("e.md", { title: "B" }), { seenAt: edit }));
    expect((await index.article("e"))?.meta.modified.getTime()).toBe(edit);
    expect((await index.summary("site"))?.revision).toBeGreaterThan(rev ?? 0);
  });

  it("holds drafts and future articles back; release() makes them live on time", async () => {
    let now = NOW;
    const index = await open(() => now);
    const future = NOW + 3_600_000;
    const result = await index.apply(put(compiled("f.md", { date: new Date(future) })));
    expect(result.releaseAt).toBe(future);
    await index.apply(put(compiled("d.md", { draft: true })));
    expect((await index.page("site", 10)).items).toHaveLength(0);
    expect(await index.summary("site")).toBeUndefined();
    expect((await index.release(future - 1)).outcome).toBe("unchanged");
    now = future;
    const released = await index.release(future);
    expect(released.scopes).toContain("site");
    expect((await index.page("site", 10)).items.map((i) => i.meta.key)).toEqual(["f.md"]);
    expect((await index.records()).find((r) => r.key === "d.md")?.state).toBe("draft");
  });

  it("records files that do not compile with their reasons, and forgets them once fixed", async () => {
    const index = await open();
    await index.apply({
      kind: "failed",
      key: "bad.md",
      sequencer: "01",
      version: "e1",
      reasons: ["date: missing"],
      seenAt: NOW,
    });
    expect(await index.failures()).toEqual([
      { key: "bad.md", version: "e1", reasons: ["date: missing"], seenAt: NOW },
    ]);
    await index.apply(put(compiled("bad.md"), { sequencer: "02" }));
    expect(await index.failures()).toEqual([]);
    expect((await index.page("site", 5)).items).toHaveLength(1);
  });

  it("keeps large bodies out of the table's items and serves them whole", async () => {
    const index = await open();
    const big = `<p>${"x".repeat(300_000)}</p>`;
    await index.apply(put(compiled("big.md"), {}));
    await index.apply(put(compiled("big.md", {}, big)));
    expect((await index.page("site", 1)).items[0]?.html).toBe(big);
  });

  it("an article with more tags than one transaction holds is indexed whole", async () => {
    const index = await open();
    const tags = Array.from({ length: 100 }, (_, i) => `Tag ${i}`);
    await index.apply(put(compiled("many.md", { tags })));
    expect((await index.scopes()).length).toBe(102);
    await index.apply(put(compiled("many.md", { tags: tags.slice(0, 2) })));
    expect((await index.scopes()).length).toBe(4);
    expect((await index.page("tag#tag-99", 5)).items).toHaveLength(0);
  });

  it("applyMany gives the same index as one change at a time", async () => {
    const changes = Array.from({ length: 30 }, (_, i) =>
      put(
        compiled(`m${i % 20}.md`, {
          slug: i % 7 === 0 ? "same" : `m${i % 20}`,
          date: day(i % 11),
          tags: [`T${i % 3}`],
          authors: [{ name: `A${i % 2}` }],
        }),
        { sequencer: (i + 32).toString(16), version: `e${i}` },
      ),
    );
    const one = await open();
    for (const c of changes) await one.apply(c);
    const many = await open();
    await many.applyMany(changes);
    const view = async (index: ArticleIndex) => ({
      site: (await index.page("site", 50)).items.map((i) => [i.meta.key, i.meta.slug, i.meta.id]),
      scopes: (await index.scopes()).map((s) => [s.key, s.name, s.newest]),
      records: (await index.records()).map((r) => [r.key, r.version, r.state]),
      same: (await index.article("same"))?.meta.key,
    });
    expect(await view(many)).toEqual(await view(one));
  });
});
