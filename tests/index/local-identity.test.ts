/**
 * What identifies an article over time in the local index: unique slugs and ids whatever the
 * listing order, kept across edits and newer claims; and the date readers see as its update,
 * moved by an edit without `updated:` and by nothing else (not a re-upload, not a restart).
 */
import { describe, expect, it } from "vitest";
import { keyHash } from "../../functions/articles/ids.ts";
import { updatedOf } from "../../functions/articles/revisions.ts";
import { loadConfig } from "../../functions/config.ts";
import { LocalIndex } from "../../functions/index/local.ts";
import { MemoryTable } from "../../functions/index/table.ts";
import { memoryLogger } from "../../functions/log.ts";
import { createRuntime } from "../../functions/runtime.ts";
import { articleFile, type MemoryStore, memoryStore, SITE } from "../fixtures/index.ts";
import { article, bySlug, live, MINUTE, setup } from "./local-setup.ts";

describe("LocalIndex: slugs and ids", () => {
  const files: [string, string][] = [
    ["2023/hello.md", article("Hello 2023", "2023-05-01")],
    ["2024/hello.md", article("Hello 2024", "2024-05-01")],
    ["misc/hello.md", article("Hello misc", "2024-05-01")],
    ["other.md", article("Other", "2024-04-01", { slug: "hello" })],
    ["fixed-a.md", article("Fixed A", "2024-03-01", { id: "urn:x-test:same" })],
    ["fixed-b.md", article("Fixed B", "2024-03-02", { id: "urn:x-test:same" })],
  ];

  async function resolve(order: [string, string][]) {
    const { local } = setup(memoryStore(Object.fromEntries(order)));
    const articles = await live(local);
    return Object.fromEntries(articles.map((a) => [a.key, { slug: a.slug, id: a.id }]));
  }

  it("gives every article a unique slug and id; the oldest keeps a shared slug", async () => {
    const result = await resolve(files);
    const values = Object.values(result);
    expect(values).toHaveLength(files.length);
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

  // A disambiguated slug is never one another article has as its own (the Catalog's rule):
  // the own slug wins, the disambiguated article takes the next candidate.
  it("never hands out a disambiguated slug that another article already has", async () => {
    const clash = `hello-${keyHash("b/hello.md")}`;
    const files = {
      "a/hello.md": article("Old", "2024-01-01"),
      "b/hello.md": article("New", "2024-02-01"),
      "c.md": article("Clash", "2024-03-01", { slug: clash }),
    };
    const { local } = setup(memoryStore(files));
    const articles = await live(local);
    expect(new Set(articles.map((a) => a.slug)).size).toBe(3);
    expect(new Set(articles.map((a) => a.id)).size).toBe(3);
    expect((await bySlug(local, clash))?.key).toBe("c.md");
    expect((await bySlug(local, `${clash}-2`))?.key).toBe("b/hello.md");
    // The same whatever the order the files are indexed in.
    const reversed = setup(memoryStore(Object.fromEntries(Object.entries(files).reverse())));
    expect(Object.fromEntries((await live(reversed.local)).map((a) => [a.key, a.slug]))).toEqual(
      Object.fromEntries(articles.map((a) => [a.key, a.slug])),
    );
  });

  it("moves a disambiguated article off a slug that a new article claims as its own", async () => {
    const clash = `hello-${keyHash("b/hello.md")}`;
    const store = memoryStore({
      "a/hello.md": article("Old", "2024-01-01"),
      "b/hello.md": article("New", "2024-02-01"),
    });
    const { local, clock } = setup(store);
    expect((await bySlug(local, clash))?.key).toBe("b/hello.md");
    store.put("c.md", article("Clash", "2024-03-01", { slug: clash }));
    clock.now += 2 * MINUTE;
    const slugs = Object.fromEntries((await live(local)).map((a) => [a.key, a.slug]));
    expect(slugs).toEqual({ "a/hello.md": "hello", "b/hello.md": `${clash}-2`, "c.md": clash });
    expect((await bySlug(local, clash))?.title).toBe("Clash");
    // Once the clash is gone, the first candidate is free again.
    store.remove("c.md");
    clock.now += 2 * MINUTE;
    expect((await bySlug(local, clash))?.key).toBe("b/hello.md");
    expect(await bySlug(local, `${clash}-2`)).toBeUndefined();
  });

  it("keeps an article's id when its title changes", async () => {
    const store = memoryStore({ "a.md": article("First title", "2024-05-01") });
    const { local, clock } = setup(store);
    const before = (await bySlug(local, "a"))?.id;
    store.put("a.md", article("A completely different title", "2024-05-01"));
    clock.now += 2 * MINUTE;
    const after = await bySlug(local, "a");
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
    const { local, clock } = setup(store);
    const slugsByKey = async () =>
      Object.fromEntries((await live(local)).map((a) => [a.key, a.slug]));
    const before = await slugsByKey();
    expect(before["b/x.md"]).toMatch(/^x-[0-9a-f]{8}$/);
    store.put("c/x.md", article("X3", "2024-03-01"));
    clock.now += 2 * MINUTE;
    const after = await slugsByKey();
    expect(after["a/x.md"]).toBe(before["a/x.md"]);
    expect(after["b/x.md"]).toBe(before["b/x.md"]);
    expect(new Set(Object.values(after)).size).toBe(3);
  });

  it("serves the full article under its disambiguated slug and id", async () => {
    const store = memoryStore({
      "a/x.md": article("X1", "2024-01-01"),
      "b/x.md": article("X2", "2024-02-01"),
    });
    const { local } = setup(store);
    const second = (await live(local)).find((a) => a.key === "b/x.md");
    if (!second) throw new Error("missing");
    const full = await local.index.article(second.slug);
    expect(full?.meta.key).toBe("b/x.md");
    expect(full?.meta.id).toBe(second.id);
    expect(full?.html).toContain("The new terminal opened on Tuesday.");
  });
});

/** The same bytes written again: the memory store keeps a version for equal bytes, so drop it. */
function redeploy(store: MemoryStore, key: string, content: string, modified: Date): void {
  store.remove(key);
  store.put(key, content, modified);
}

describe("LocalIndex: edits without `updated:`", () => {
  const T0 = new Date("2024-03-05T00:00:00Z");
  const T1 = new Date("2024-03-07T10:00:00Z");
  const T2 = new Date("2024-03-09T10:00:00Z");
  const text = (body?: string) => articleFile({ updated: undefined }, body);
  const published = "2024-03-05T00:30:00.000Z";

  /** The feed's date_modified for the only article, as a reader's feed client sees it. */
  async function feedModified(app: ReturnType<typeof createRuntime>["app"]): Promise<string> {
    const res = await app.request(`${SITE}/feed.json`);
    const json = (await res.json()) as { items: { date_modified: string }[] };
    expect(json.items).toHaveLength(1);
    return json.items[0]?.date_modified ?? "";
  }

  it("an edit moves the entry's updated date in the feed; equal bytes re-uploaded change nothing", async () => {
    const store = memoryStore();
    store.put("a.md", text(), T0);
    const config = loadConfig({ SITE_URL: SITE, REVALIDATE_SECONDS: "0" });
    const { app } = createRuntime(config, store, memoryLogger(), () => T2.getTime());
    expect(await feedModified(app)).toBe(published);

    store.put("a.md", text("Corrected text.\n"), T1);
    expect(await feedModified(app)).toBe(T1.toISOString());

    // A re-deploy writes the same bytes again later: a new version and file time (as a folder
    // or a bucket gives it), read and compiled again, but no edit.
    const reads = store.reads("a.md");
    redeploy(store, "a.md", text("Corrected text.\n"), T2);
    expect(await feedModified(app)).toBe(T1.toISOString());
    expect(store.reads("a.md")).toBe(reads + 1);

    // A second edit at the same file time still moves the date, by a second at least.
    store.put("a.md", text("Corrected again.\n"), T1);
    expect(await feedModified(app)).toBe(new Date(T1.getTime() + 1000).toISOString());
  });

  it("the first content seen is no edit, and a restart over the kept table changes nothing", async () => {
    const store = memoryStore();
    store.put("a.md", text(), T2);
    const table = new MemoryTable();
    const open = () =>
      new LocalIndex(store, { siteUrl: SITE, revalidateMs: 0, log: memoryLogger(), table });
    const first = open();
    const only = async (local: LocalIndex) => updatedOf((await live(local))[0] ?? ({} as never));
    expect((await only(first)).toISOString()).toBe(published);

    store.put("a.md", text("Corrected text.\n"), T1);
    expect((await only(first)).toISOString()).toBe(T1.toISOString());
    // Restart (npm start over the saved index) after a re-deploy of the same bytes.
    redeploy(store, "a.md", text("Corrected text.\n"), T2);
    expect((await only(open())).toISOString()).toBe(T1.toISOString());
  });
});
