/**
 * The folder store when files change under a running scan: a file removed between the listing
 * and its read is skipped (and not reported as broken), and every other article is served.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { corpus } from "../../bench/corpus.ts";
import { loadConfig } from "../../functions/config.ts";
import { memoryLogger } from "../../functions/log.ts";
import { createRuntime } from "../../functions/runtime.ts";
import { FolderStore } from "../../functions/storage/folder.ts";

const dirs: string[] = [];

afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function folder(count: number) {
  const dir = await mkdtemp(join(tmpdir(), "dateline-faults-"));
  dirs.push(dir);
  const files = [...corpus(count, 5)].filter((f) => !/^draft: true$/m.test(f.text));
  for (const file of files) {
    await mkdir(dirname(join(dir, file.key)), { recursive: true });
    await writeFile(join(dir, file.key), file.text);
  }
  return { dir, files };
}

describe("folder store under concurrent changes", () => {
  it("skips a file removed during the scan and serves the rest", async () => {
    const { dir, files } = await folder(30);
    const store = new FolderStore(dir);
    const victim = files[7]?.key ?? "";
    const read = store.read.bind(store);
    let removed = false;
    // The file goes away after the listing saw it, just before the catalog reads it.
    store.read = async (key) => {
      if (key === victim && !removed) {
        removed = true;
        await rm(join(dir, victim));
      }
      return read(key);
    };
    const log = memoryLogger();
    const config = loadConfig({ CONTENT_DIR: dir, SITE_URL: "https://news.example.com" });
    const { app, local } = createRuntime(config, store, log);

    const response = await app.request("/feed.json?limit=100");
    expect(response.status).toBe(200);
    expect(removed).toBe(true);
    const items = (JSON.parse(await response.text()) as { items: { url: string }[] }).items;
    expect(items).toHaveLength(files.length - 1);
    await local.sync();
    const articles = await local.articles();
    expect(articles.map((a) => a.key)).not.toContain(victim);
    // Gone is not broken: nothing is logged as a bad article.
    expect(log.entries.filter((e) => e.level === "error")).toEqual([]);
  });

  it("lists without failing when files vanish between the directory read and their stat", async () => {
    const { dir, files } = await folder(200);
    const store = new FolderStore(dir);
    // Deleting while list() stats hundreds of files: whatever it still sees must be readable.
    const deleting = Promise.all(files.slice(0, 100).map((f) => rm(join(dir, f.key))));
    const listed = await store.list();
    await deleting;
    expect(listed.length).toBeGreaterThanOrEqual(files.length - 100);
    expect(listed.length).toBeLessThanOrEqual(files.length);
    const log = memoryLogger();
    const config = loadConfig({ CONTENT_DIR: dir, SITE_URL: "https://news.example.com" });
    const { app } = createRuntime(config, store, log);
    const response = await app.request("/feed.xml");
    expect(response.status).toBe(200);
    expect(log.entries.filter((e) => e.level === "error")).toEqual([]);
  });
});
