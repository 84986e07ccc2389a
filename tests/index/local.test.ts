/**
 * The local index (npm start): what is live, broken files, changes in the store and store
 * failures, over a memory store that counts reads.
 */
import { describe, expect, it } from "vitest";
import { StoreUnavailableError } from "../../functions/errors.ts";
import type { ApplyResult } from "../../functions/index/index.ts";
import { LocalIndex } from "../../functions/index/local.ts";
import { memoryLogger } from "../../functions/log.ts";
import { type MemoryStore, memoryStore, SITE, wireFile } from "../fixtures/index.ts";
import { article, bySlug, live, MINUTE, setup, slugs, T0 } from "./local-setup.ts";

describe("LocalIndex: what is live", () => {
  it("lists articles newest first, ties in the same second broken by slug", async () => {
    const store = memoryStore({
      "old.md": article("Old", "2024-01-01"),
      "b-same.md": article("B", "2024-05-01T10:00:00Z"),
      "new.md": article("New", "2024-05-20"),
      "a-same.md": article("A", "2024-05-01T10:00:00.400Z"),
      "wire/lagos.txt": wireFile({ date: "2024-03-01" }),
    });
    expect(await slugs(setup(store).local)).toEqual(["new", "a-same", "b-same", "lagos", "old"]);
  });

  it("hides drafts", async () => {
    const store = memoryStore({
      "shown.md": article("Shown", "2024-05-01"),
      "hidden.md": article("Hidden", "2024-05-02", { draft: true }),
    });
    const { local } = setup(store);
    expect(await slugs(local)).toEqual(["shown"]);
    expect(await local.index.article("hidden")).toBeUndefined();
  });

  it("hides future-dated articles and shows them once the clock passes, without reading again", async () => {
    const store = memoryStore({
      "now.md": article("Now", "2024-05-31"),
      "soon.md": article("Soon", "2024-06-01T00:30:00Z"),
      "later.md": article("Later", "2024-06-01T10:00:00+09:00"),
    });
    const { local, clock } = setup(store, 24 * 60 * MINUTE);
    expect(await slugs(local)).toEqual(["now"]);
    expect(await local.index.article("soon")).toBeUndefined();
    const reads = store.reads();

    clock.now = Date.parse("2024-06-01T00:29:59Z");
    expect(await slugs(local)).toEqual(["now"]);
    clock.now = Date.parse("2024-06-01T00:30:00Z");
    expect(await slugs(local)).toEqual(["soon", "now"]);
    expect((await local.index.article("soon"))?.meta.title).toBe("Soon");
    // "Later" is 10:00 in Seoul: 01:00 UTC.
    clock.now = Date.parse("2024-06-01T00:59:59Z");
    expect(await slugs(local)).not.toContain("later");
    clock.now = Date.parse("2024-06-01T01:00:00Z");
    expect(await slugs(local)).toEqual(["later", "soon", "now"]);
    expect(store.reads()).toBe(reads);
  });

  it("never shows a future draft, even after its date", async () => {
    const store = memoryStore({ "d.md": article("D", "2024-06-02", { draft: true }) });
    const { local, clock } = setup(store);
    expect(await slugs(local)).toEqual([]);
    clock.now = Date.parse("2024-06-03T00:00:00Z");
    expect(await slugs(local)).toEqual([]);
  });
});

describe("LocalIndex: broken files", () => {
  it("skips a broken file, logs it once with file and reason, and serves the others", async () => {
    const store = memoryStore({
      "good.md": article("Good", "2024-05-01"),
      "bad.md": article("Bad", "2024-02-30"),
      "notutf8.md": Uint8Array.from([0x2d, 0x2d, 0x2d, 0x0a, 0xff, 0xfe]),
    });
    const { local, log, clock } = setup(store);
    expect(await slugs(local)).toEqual(["good"]);
    for (let i = 1; i <= 3; i++) {
      clock.now = T0 + i * 2 * MINUTE;
      expect(await slugs(local)).toEqual(["good"]);
    }
    const errors = log.entries.filter((e) => e.level === "error");
    expect(errors.map((e) => e.fields?.file).sort()).toEqual(["bad.md", "notutf8.md"]);
    expect(String(errors.find((e) => e.fields?.file === "bad.md")?.fields?.reason)).toMatch(/date/);
    expect(String(errors.find((e) => e.fields?.file === "notutf8.md")?.fields?.reason)).toMatch(
      /UTF-8/,
    );
    expect(store.reads("bad.md")).toBe(1);
    expect((await local.index.failures()).map((f) => f.key).sort()).toEqual([
      "bad.md",
      "notutf8.md",
    ]);
  });

  it("re-reads a broken file once it is fixed, and logs a new breakage again", async () => {
    const store = memoryStore({ "a.md": article("A", "2024-02-30") });
    const { local, log, clock } = setup(store);
    expect(await slugs(local)).toEqual([]);
    store.put("a.md", article("A", "2024-02-28"));
    clock.now += 2 * MINUTE;
    expect(await slugs(local)).toEqual(["a"]);
    store.put("a.md", article("A", "2024-02-31"));
    clock.now += 2 * MINUTE;
    expect(await slugs(local)).toEqual([]);
    expect(log.entries.filter((e) => e.level === "error")).toHaveLength(2);
  });

  it("logs article warnings with the file", async () => {
    const store = memoryStore({ "a.md": article("A", "2024-05-01", { colour: "red" }) });
    const { local, log } = setup(store);
    await local.sync();
    expect(log.entries).toContainEqual(
      expect.objectContaining({
        level: "warn",
        fields: expect.objectContaining({ file: "a.md", reason: expect.stringMatching(/colour/) }),
      }),
    );
  });

  it("ignores keys that are not articles", async () => {
    const store = memoryStore({
      "a.md": article("A", "2024-05-01"),
      "image.png": "not an article",
      "notes.md.bak": "backup",
    });
    const { local } = setup(store);
    expect(await slugs(local)).toEqual(["a"]);
    expect(store.reads("image.png") + store.reads("notes.md.bak")).toBe(0);
    expect((await local.index.records()).map((r) => r.key)).toEqual(["a.md"]);
  });
});

describe("LocalIndex: changes in the store", () => {
  it("re-reads only new and changed files, and only after the revalidation interval", async () => {
    const store = memoryStore({
      "a.md": article("A", "2024-05-01"),
      "b.md": article("B", "2024-05-02"),
      "c.md": article("C", "2024-05-03"),
    });
    const { local, clock } = setup(store);
    await local.sync();
    expect(store.reads()).toBe(3);

    store.put("b.md", article("B edited", "2024-05-02"));
    store.put("d.md", article("D", "2024-05-04"));
    clock.now += MINUTE - 1;
    expect((await bySlug(local, "b"))?.title).toBe("B");
    expect(store.reads()).toBe(3);

    clock.now += 1;
    expect((await bySlug(local, "b"))?.title).toBe("B edited");
    expect(await slugs(local)).toEqual(["d", "c", "b", "a"]);
    expect(["a.md", "b.md", "c.md", "d.md"].map((key) => store.reads(key))).toEqual([1, 2, 1, 1]);
  });

  it("lists and reads once for concurrent first syncs", async () => {
    const store = memoryStore({ "a.md": article("A", "2024-05-01") });
    let lists = 0;
    const list = store.list.bind(store);
    store.list = () => {
      lists++;
      return list();
    };
    const { local } = setup(store);
    await Promise.all([1, 2, 3, 4].map(() => local.sync()));
    expect(await slugs(local)).toEqual(["a"]);
    expect(lists).toBe(1);
    expect(store.reads("a.md")).toBe(1);
  });

  it("keeps the site's revision while nothing changed, and bumps it on an edit", async () => {
    const store = memoryStore({ "a.md": article("A", "2024-05-01") });
    const { local, clock } = setup(store);
    const revision = async () => {
      await local.sync();
      return (await local.index.summary("site"))?.revision;
    };
    const first = await revision();
    expect(first).toBeDefined();
    clock.now += 5 * MINUTE;
    expect(await revision()).toBe(first);
    store.put("a.md", article("A2", "2024-05-01"));
    clock.now += 5 * MINUTE;
    expect(await revision()).not.toBe(first);
  });

  it("re-checks the store at once after invalidate()", async () => {
    const store = memoryStore({ "a.md": article("A", "2024-05-01") });
    const { local } = setup(store);
    await local.sync();
    store.put("b.md", article("B", "2024-05-02"));
    expect(await slugs(local)).toEqual(["a"]);
    local.invalidate();
    expect(await slugs(local)).toEqual(["b", "a"]);
  });

  it("drops deleted files", async () => {
    const store = memoryStore({
      "a.md": article("A", "2024-05-01"),
      "b.md": article("B", "2024-05-02"),
    });
    const { local, clock } = setup(store);
    expect(await slugs(local)).toEqual(["b", "a"]);
    store.remove("b.md");
    clock.now += MINUTE;
    expect(await slugs(local)).toEqual(["a"]);
    expect(await local.index.article("b")).toBeUndefined();
  });

  it("skips a file that vanishes between the listing and the read", async () => {
    const store = memoryStore({
      "a.md": article("A", "2024-05-01"),
      "gone.md": article("Gone", "2024-05-02"),
    });
    store.vanish("gone.md");
    const { local, log } = setup(store);
    expect(await slugs(local)).toEqual(["a"]);
    expect(log.entries.filter((e) => e.level === "error")).toEqual([]);
  });

  it("serves the body compiled when the file was read: one read per version", async () => {
    const store = memoryStore({ "a.md": article("A", "2024-05-01") });
    const { local, clock } = setup(store);
    await local.sync();
    const full = await local.index.article("a");
    expect(full?.html).toContain("The new terminal opened on Tuesday.");
    expect((await local.index.page("site", 1)).items[0]?.html).toBe(full?.html);
    clock.now += 5 * MINUTE;
    await local.sync();
    await local.index.article("a");
    expect(store.reads("a.md")).toBe(1);
  });
});

describe("LocalIndex: store failures", () => {
  it("keeps serving the last good index and logs an error when the store fails later", async () => {
    const store = memoryStore({ "a.md": article("A", "2024-05-01") });
    const { local, log, clock } = setup(store);
    await local.sync();
    const good = await local.index.summary("site");
    store.fail(new Error("connection reset"));
    clock.now += 2 * MINUTE;
    expect(await slugs(local)).toEqual(["a"]);
    expect(await local.index.summary("site")).toEqual(good);
    const errors = log.entries.filter((e) => e.level === "error");
    expect(errors).toHaveLength(1);
    expect(String(errors[0]?.fields?.reason)).toContain("connection reset");

    store.recover();
    store.put("b.md", article("B", "2024-05-02"));
    clock.now += 2 * MINUTE;
    expect(await slugs(local)).toEqual(["b", "a"]);
  });

  it("rejects with StoreUnavailableError while the store has failed before anything was loaded", async () => {
    const store = memoryStore({ "a.md": article("A", "2024-05-01") });
    store.fail(new Error("no route to host"));
    const { local, log, clock } = setup(store);
    await expect(local.sync()).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(log.entries.some((e) => e.level === "error")).toBe(true);
    // Still cold a moment later: still unavailable, never an empty feed.
    clock.now += 1000;
    await expect(local.sync()).rejects.toBeInstanceOf(StoreUnavailableError);
    store.recover();
    clock.now += 10 * MINUTE;
    expect(await slugs(local)).toEqual(["a"]);
  });

  it("a failing read during a refresh keeps the last good article, and the next check repairs it", async () => {
    const store = memoryStore({ "a.md": article("A", "2024-05-01") });
    const { local, clock } = setup(store);
    await local.sync();
    store.put("a.md", article("A changed", "2024-05-01"));
    const read = store.read.bind(store);
    store.read = async (key) => {
      throw new Error(`read of ${key} timed out`);
    };
    clock.now += 2 * MINUTE;
    expect((await bySlug(local, "a"))?.title).toBe("A");
    store.read = read;
    clock.now += 2 * MINUTE;
    expect((await bySlug(local, "a"))?.title).toBe("A changed");
    expect((await live(local)).map((a) => a.title)).toEqual(["A changed"]);
  });
});

/** A server started again over `previous`'s table (as loaded from the index file). */
function restarted(store: MemoryStore, previous: LocalIndex) {
  const local = new LocalIndex(store, {
    siteUrl: SITE,
    revalidateMs: MINUTE,
    now: () => T0,
    log: memoryLogger(),
    background: true,
    loaded: true,
    table: previous.table,
  });
  const changes: ApplyResult[] = [];
  local.onChange((result) => changes.push(result));
  const loads: ApplyResult[] = [];
  local.onLoad((result) => loads.push(result));
  return { local, changes, loads };
}

describe("LocalIndex over a saved index (npm start's restart)", () => {
  it("serves the loaded index while the first check runs behind it, then what changed, announced", async () => {
    const store = memoryStore({
      "a.md": article("A", "2024-05-01"),
      "b.md": article("B", "2024-05-02"),
    });
    const before = setup(store);
    await before.local.sync();
    // Stopped; meanwhile one file is edited, one added, one removed.
    store.put("a.md", article("A edited", "2024-05-01"));
    store.put("c.md", article("C", "2024-05-03"));
    store.remove("b.md");
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const list = store.list.bind(store);
    store.list = async () => {
      await gate;
      return list();
    };
    const reads = store.reads();
    const { local, changes, loads } = restarted(store, before.local);
    // The first check is started but not waited for: what was saved is served meanwhile.
    await local.sync();
    expect(local.busy).toBe(true);
    expect((await local.articles()).map((a) => a.title)).toEqual(["B", "A"]);
    expect(store.reads()).toBe(reads);
    release();
    await local.settled();
    expect(local.busy).toBe(false);
    expect((await local.articles()).map((a) => a.title)).toEqual(["C", "A edited"]);
    expect(store.reads() - reads).toBe(2);
    // What changed while stopped is what the first check did (the index file is saved), not
    // announced as a change (the saved index may be of another folder, or days old).
    expect(loads.map((c) => c.outcome)).toEqual(["applied"]);
    expect(loads[0]?.pages.sort()).toEqual(["a", "b", "c"]);
    expect(changes).toEqual([]);
    store.put("d.md", article("D", "2024-05-04"));
    local.invalidate();
    await local.sync();
    await local.settled();
    expect(changes.map((c) => c.pages)).toEqual([["d"]]);
    expect(loads).toHaveLength(1);
  });

  it("starts the first check no sooner than firstCheckAfterMs, serving the saved index until then", async () => {
    const store = memoryStore({ "a.md": article("A", "2024-05-01") });
    const before = setup(store);
    await before.local.sync();
    store.put("b.md", article("B", "2024-05-02"));
    const clock = { now: T0 };
    const local = new LocalIndex(store, {
      siteUrl: SITE,
      revalidateMs: MINUTE,
      now: () => clock.now,
      log: memoryLogger(),
      background: true,
      loaded: true,
      firstCheckAfterMs: 1_000,
      table: before.local.table,
    });
    clock.now += 999;
    await local.sync();
    expect(local.busy).toBe(false);
    expect((await local.articles()).map((a) => a.title)).toEqual(["A"]);
    clock.now += 1;
    await local.sync();
    await local.settled();
    expect((await local.articles()).map((a) => a.title)).toEqual(["B", "A"]);
  });

  it("announces nothing when nothing changed while it was stopped", async () => {
    const store = memoryStore({ "a.md": article("A", "2024-05-01") });
    const before = setup(store);
    await before.local.sync();
    const { local, changes, loads } = restarted(store, before.local);
    await local.sync();
    await local.settled();
    expect((await local.articles()).map((a) => a.title)).toEqual(["A"]);
    expect(changes).toEqual([]);
    expect(loads.map((c) => c.outcome)).toEqual(["unchanged"]);
  });
});
