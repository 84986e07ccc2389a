import { describe, expect, it } from "vitest";
import { Catalog } from "../../functions/articles/catalog.ts";
import { keyHash } from "../../functions/articles/ids.ts";
import { StoreUnavailableError } from "../../functions/errors.ts";
import { memoryLogger } from "../../functions/log.ts";
import { articleFile, type MemoryStore, memoryStore, SITE, wireFile } from "../fixtures/index.ts";

const T0 = Date.parse("2024-06-01T00:00:00Z");
const MINUTE = 60_000;

/** A catalog over `store` with a hand-moved clock and an in-memory log. */
function setup(store: MemoryStore, revalidateMs = MINUTE) {
  const clock = { now: T0 };
  const log = memoryLogger();
  const catalog = new Catalog(store, { siteUrl: SITE, revalidateMs, now: () => clock.now, log });
  return { catalog, log, clock };
}

const article = (title: string, date: string, fields: Record<string, unknown> = {}) =>
  articleFile({ title, date, ...fields });

async function slugs(catalog: Catalog): Promise<string[]> {
  return (await catalog.snapshot()).articles.map((a) => a.slug);
}

describe("Catalog: what is visible", () => {
  it("lists articles newest first, ties broken by slug", async () => {
    const store = memoryStore({
      "old.md": article("Old", "2024-01-01"),
      "b-same.md": article("B", "2024-05-01T10:00:00Z"),
      "new.md": article("New", "2024-05-20"),
      "a-same.md": article("A", "2024-05-01T10:00:00.400Z"),
      "wire/lagos.txt": wireFile({ date: "2024-03-01" }),
    });
    expect(await slugs(setup(store).catalog)).toEqual(["new", "a-same", "b-same", "lagos", "old"]);
  });

  it("hides drafts", async () => {
    const store = memoryStore({
      "shown.md": article("Shown", "2024-05-01"),
      "hidden.md": article("Hidden", "2024-05-02", { draft: true }),
    });
    const { catalog } = setup(store);
    const snapshot = await catalog.snapshot();
    expect(snapshot.articles.map((a) => a.slug)).toEqual(["shown"]);
    expect(snapshot.bySlug.has("hidden")).toBe(false);
  });

  it("hides future-dated articles and shows them once the clock passes, without reading again", async () => {
    const store = memoryStore({
      "now.md": article("Now", "2024-05-31"),
      "soon.md": article("Soon", "2024-06-01T00:30:00Z"),
      "later.md": article("Later", "2024-06-01T10:00:00+09:00"),
    });
    const { catalog, clock } = setup(store, 24 * 60 * MINUTE);
    expect(await slugs(catalog)).toEqual(["now"]);
    const reads = store.reads();

    clock.now = Date.parse("2024-06-01T00:29:59Z");
    expect(await slugs(catalog)).toEqual(["now"]);
    clock.now = Date.parse("2024-06-01T00:30:00Z");
    const before = await catalog.snapshot();
    expect(before.articles.map((a) => a.slug)).toEqual(["soon", "now"]);
    expect(before.bySlug.get("soon")?.title).toBe("Soon");
    // "Later" is 10:00 in Seoul: 01:00 UTC.
    expect(await slugs(catalog)).not.toContain("later");
    clock.now = Date.parse("2024-06-01T01:00:00Z");
    expect(await slugs(catalog)).toEqual(["later", "soon", "now"]);
    expect(store.reads()).toBe(reads);
  });

  it("never shows a future draft, even after its date", async () => {
    const store = memoryStore({ "d.md": article("D", "2024-06-02", { draft: true }) });
    const { catalog, clock } = setup(store);
    expect(await slugs(catalog)).toEqual([]);
    clock.now = Date.parse("2024-06-03T00:00:00Z");
    expect(await slugs(catalog)).toEqual([]);
  });
});

describe("Catalog: broken files", () => {
  it("skips a broken file, logs it once with file and reason, and serves the others", async () => {
    const store = memoryStore({
      "good.md": article("Good", "2024-05-01"),
      "bad.md": article("Bad", "2024-02-30"),
      "notutf8.md": Uint8Array.from([0x2d, 0x2d, 0x2d, 0x0a, 0xff, 0xfe]),
    });
    const { catalog, log, clock } = setup(store);
    expect(await slugs(catalog)).toEqual(["good"]);
    for (let i = 1; i <= 3; i++) {
      clock.now = T0 + i * 2 * MINUTE;
      expect(await slugs(catalog)).toEqual(["good"]);
    }
    const errors = log.entries.filter((e) => e.level === "error");
    expect(errors.map((e) => e.fields?.file).sort()).toEqual(["bad.md", "notutf8.md"]);
    expect(String(errors.find((e) => e.fields?.file === "bad.md")?.fields?.reason)).toMatch(/date/);
    expect(String(errors.find((e) => e.fields?.file === "notutf8.md")?.fields?.reason)).toMatch(
      /UTF-8/,
    );
    expect(store.reads("bad.md")).toBe(1);
  });

  it("re-reads a broken file once it is fixed, and logs a new breakage again", async () => {
    const store = memoryStore({ "a.md": article("A", "2024-02-30") });
    const { catalog, log, clock } = setup(store);
    expect(await slugs(catalog)).toEqual([]);
    store.put("a.md", article("A", "2024-02-28"));
    clock.now += 2 * MINUTE;
    expect(await slugs(catalog)).toEqual(["a"]);
    store.put("a.md", article("A", "2024-02-31"));
    clock.now += 2 * MINUTE;
    expect(await slugs(catalog)).toEqual([]);
    expect(log.entries.filter((e) => e.level === "error")).toHaveLength(2);
  });

  it("logs article warnings with the file", async () => {
    const store = memoryStore({ "a.md": article("A", "2024-05-01", { colour: "red" }) });
    const { catalog, log } = setup(store);
    await catalog.snapshot();
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
    const { catalog } = setup(store);
    expect(await slugs(catalog)).toEqual(["a"]);
    expect(store.reads("image.png") + store.reads("notes.md.bak")).toBe(0);
  });
});

describe("Catalog: changes in the store", () => {
  it("re-reads only new and changed files, and only after the revalidation interval", async () => {
    const store = memoryStore({
      "a.md": article("A", "2024-05-01"),
      "b.md": article("B", "2024-05-02"),
      "c.md": article("C", "2024-05-03"),
    });
    const { catalog, clock } = setup(store);
    await catalog.snapshot();
    expect(store.reads()).toBe(3);

    store.put("b.md", article("B edited", "2024-05-02"));
    store.put("d.md", article("D", "2024-05-04"));
    clock.now += MINUTE - 1;
    expect((await catalog.snapshot()).bySlug.get("b")?.title).toBe("B");
    expect(store.reads()).toBe(3);

    clock.now += 1;
    const snapshot = await catalog.snapshot();
    expect(snapshot.bySlug.get("b")?.title).toBe("B edited");
    expect(snapshot.articles.map((a) => a.slug)).toEqual(["d", "c", "b", "a"]);
    expect([
      store.reads("a.md"),
      store.reads("b.md"),
      store.reads("c.md"),
      store.reads("d.md"),
    ]).toEqual([1, 2, 1, 1]);
  });

  it("lists and reads once for concurrent first requests", async () => {
    const store = memoryStore({ "a.md": article("A", "2024-05-01") });
    let lists = 0;
    const list = store.list.bind(store);
    store.list = () => {
      lists++;
      return list();
    };
    const { catalog } = setup(store);
    const snapshots = await Promise.all([1, 2, 3, 4].map(() => catalog.snapshot()));
    expect(new Set(snapshots.map((s) => s.version)).size).toBe(1);
    expect(lists).toBe(1);
    expect(store.reads("a.md")).toBe(1);
  });

  it("keeps the same snapshot (and version) while nothing changed", async () => {
    const store = memoryStore({ "a.md": article("A", "2024-05-01") });
    const { catalog, clock } = setup(store);
    const first = await catalog.snapshot();
    clock.now += 5 * MINUTE;
    const second = await catalog.snapshot();
    expect(second.version).toBe(first.version);
    store.put("a.md", article("A2", "2024-05-01"));
    clock.now += 5 * MINUTE;
    expect((await catalog.snapshot()).version).not.toBe(first.version);
  });

  it("re-checks the store at once after invalidate()", async () => {
    const store = memoryStore({ "a.md": article("A", "2024-05-01") });
    const { catalog } = setup(store);
    await catalog.snapshot();
    store.put("b.md", article("B", "2024-05-02"));
    catalog.invalidate();
    expect(await slugs(catalog)).toEqual(["b", "a"]);
  });

  it("drops deleted files", async () => {
    const store = memoryStore({
      "a.md": article("A", "2024-05-01"),
      "b.md": article("B", "2024-05-02"),
    });
    const { catalog, clock } = setup(store);
    expect(await slugs(catalog)).toEqual(["b", "a"]);
    store.remove("b.md");
    clock.now += MINUTE;
    const snapshot = await catalog.snapshot();
    expect(snapshot.articles.map((a) => a.slug)).toEqual(["a"]);
    expect(snapshot.bySlug.has("b")).toBe(false);
  });

  it("skips a file that vanishes between the listing and the read", async () => {
    const store = memoryStore({
      "a.md": article("A", "2024-05-01"),
      "gone.md": article("Gone", "2024-05-02"),
    });
    store.vanish("gone.md");
    const { catalog, log } = setup(store);
    expect(await slugs(catalog)).toEqual(["a"]);
    expect(log.entries.filter((e) => e.level === "error")).toEqual([]);
  });

  it("serves the body compiled while listing: one read per version, kept by bytes", async () => {
    const store = memoryStore({ "a.md": article("A", "2024-05-01", {}) });
    const { catalog } = setup(store);
    const [meta] = (await catalog.snapshot()).articles;
    if (!meta) throw new Error("no article");
    const full = await catalog.article(meta);
    expect(full?.html).toContain("The new terminal opened on Tuesday.");
    expect(full?.meta.id).toBe(meta.id);
    await catalog.article(meta);
    expect(store.reads("a.md")).toBe(1);
  });

  it("compiles a body again (once) when the byte budget dropped it", async () => {
    const store = memoryStore({
      "a.md": article("A", "2024-05-01", {}),
      "b.md": article("B", "2024-05-02", {}),
    });
    const log = memoryLogger();
    const catalog = new Catalog(store, {
      siteUrl: SITE,
      revalidateMs: MINUTE,
      log,
      bodyCacheBytes: 1,
    });
    const [meta] = (await catalog.snapshot()).articles;
    if (!meta) throw new Error("no article");
    const [one, two] = await Promise.all([catalog.article(meta), catalog.article(meta)]);
    expect(one?.html).toContain("The new terminal opened on Tuesday.");
    expect(two?.html).toBe(one?.html);
    expect(store.reads(meta.key)).toBe(2);
  });
});

describe("Catalog: store failures", () => {
  it("keeps serving the last good snapshot and logs an error when the store fails later", async () => {
    const store = memoryStore({ "a.md": article("A", "2024-05-01") });
    const { catalog, log, clock } = setup(store);
    const good = await catalog.snapshot();
    store.fail(new Error("connection reset"));
    clock.now += 2 * MINUTE;
    const during = await catalog.snapshot();
    expect(during.articles.map((a) => a.slug)).toEqual(["a"]);
    expect(during.version).toBe(good.version);
    const errors = log.entries.filter((e) => e.level === "error");
    expect(errors).toHaveLength(1);
    expect(String(errors[0]?.fields?.reason)).toContain("connection reset");

    store.recover();
    store.put("b.md", article("B", "2024-05-02"));
    clock.now += 2 * MINUTE;
    expect(await slugs(catalog)).toEqual(["b", "a"]);
  });

  it("throws StoreUnavailableError when the store fails before anything was loaded", async () => {
    const store = memoryStore({ "a.md": article("A", "2024-05-01") });
    store.fail(new Error("no route to host"));
    const { catalog, log, clock } = setup(store);
    await expect(catalog.snapshot()).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(log.entries.some((e) => e.level === "error")).toBe(true);
    // Still cold a moment later: still unavailable, never an empty feed.
    clock.now += 1000;
    await expect(catalog.snapshot()).rejects.toBeInstanceOf(StoreUnavailableError);
    store.recover();
    clock.now += 10 * MINUTE;
    expect(await slugs(catalog)).toEqual(["a"]);
  });

  it("a failing read during a refresh keeps the last good snapshot", async () => {
    const store = memoryStore({ "a.md": article("A", "2024-05-01") });
    const { catalog, clock } = setup(store);
    await catalog.snapshot();
    store.put("a.md", article("A changed", "2024-05-01"));
    const read = store.read.bind(store);
    store.read = async (key) => {
      throw new Error(`read of ${key} timed out`);
    };
    clock.now += 2 * MINUTE;
    expect((await catalog.snapshot()).bySlug.get("a")?.title).toBe("A");
    store.read = read;
    clock.now += 2 * MINUTE;
    expect((await catalog.snapshot()).bySlug.get("a")?.title).toBe("A changed");
  });
});

describe("Catalog: slugs and ids", () => {
  const files: [string, string][] = [
    ["2023/hello.md", article("Hello 2023", "2023-05-01")],
    ["2024/hello.md", article("Hello 2024", "2024-05-01")],
    ["misc/hello.md", article("Hello misc", "2024-05-01")],
    ["other.md", article("Other", "2024-04-01", { slug: "hello" })],
    ["fixed-a.md", article("Fixed A", "2024-03-01", { id: "urn:x-test:same" })],
    ["fixed-b.md", article("Fixed B", "2024-03-02", { id: "urn:x-test:same" })],
  ];

  async function resolve(order: [string, string][]) {
    const { catalog } = setup(memoryStore(Object.fromEntries(order)));
    const snapshot = await catalog.snapshot();
    return Object.fromEntries(snapshot.articles.map((a) => [a.key, { slug: a.slug, id: a.id }]));
  }

  it("gives every article a unique slug and id; the oldest keeps a shared slug", async () => {
    const result = await resolve(files);
    const values = Object.values(result);
    expect(new Set(values.map((v) => v.slug)).size).toBe(files.length);
    expect(new Set(values.map((v) => v.id)).size).toBe(files.length);
    expect(result["2023/hello.md"]?.slug).toBe("hello");
    for (const key of ["2024/hello.md", "misc/hello.md", "other.md"]) {
      expect(result[key]?.slug).toMatch(/^hello-[0-9a-f]{8}$/);
    }
  });

  it("resolves duplicates the same way whatever the listing order", async () => {
    const forward = await resolve(files);
    expect(await resolve([...files].reverse())).toEqual(forward);
    const shuffled = [files[3], files[5], files[0], files[4], files[2], files[1]] as [
      string,
      string,
    ][];
    expect(await resolve(shuffled)).toEqual(forward);
  });

  it("never hands out a disambiguated slug that another article already has", async () => {
    const clash = `hello-${keyHash("b/hello.md")}`;
    const { catalog } = setup(
      memoryStore({
        "a/hello.md": article("Old", "2024-01-01"),
        "b/hello.md": article("New", "2024-02-01"),
        "c.md": article("Clash", "2024-03-01", { slug: clash }),
      }),
    );
    const snapshot = await catalog.snapshot();
    expect(new Set(snapshot.articles.map((a) => a.slug)).size).toBe(3);
    expect(snapshot.bySlug.get(clash)?.key).toBe("c.md");
  });

  it("keeps an article's id when its title changes", async () => {
    const store = memoryStore({ "a.md": article("First title", "2024-05-01") });
    const { catalog, clock } = setup(store);
    const before = (await catalog.snapshot()).bySlug.get("a")?.id;
    store.put("a.md", article("A completely different title", "2024-05-01"));
    clock.now += 2 * MINUTE;
    const after = (await catalog.snapshot()).bySlug.get("a");
    expect(after?.title).toBe("A completely different title");
    expect(after?.id).toBe(before);
    expect(before).toMatch(
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it("keeps a disambiguated slug when a newer article claims the same slug", async () => {
    const store = memoryStore({
      "a/x.md": article("X1", "2024-01-01"),
      "b/x.md": article("X2", "2024-02-01"),
    });
    const { catalog, clock } = setup(store);
    const before = Object.fromEntries(
      (await catalog.snapshot()).articles.map((a) => [a.key, a.slug]),
    );
    store.put("c/x.md", article("X3", "2024-03-01"));
    clock.now += 2 * MINUTE;
    const after = Object.fromEntries(
      (await catalog.snapshot()).articles.map((a) => [a.key, a.slug]),
    );
    expect(after["a/x.md"]).toBe(before["a/x.md"]);
    expect(after["b/x.md"]).toBe(before["b/x.md"]);
  });

  it("serves the full article under its disambiguated slug and id", async () => {
    const store = memoryStore({
      "a/x.md": article("X1", "2024-01-01"),
      "b/x.md": article("X2", "2024-02-01"),
    });
    const { catalog } = setup(store);
    const snapshot = await catalog.snapshot();
    const second = snapshot.articles.find((a) => a.key === "b/x.md");
    if (!second) throw new Error("missing");
    const full = await catalog.article(second);
    expect(full?.meta.slug).toBe(second.slug);
    expect(full?.meta.id).toBe(second.id);
    expect(snapshot.bySlug.get(second.slug)?.key).toBe("b/x.md");
  });
});
