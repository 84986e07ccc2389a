/**
 * The local index file (npm start across restarts): a saved table loads back item for item and
 * serves what it served; a truncated, corrupt, foreign or differently built file is ignored with
 * a log line (the caller rebuilds); a failed save leaves the previous file; and a restart over
 * a loaded table compiles only the files whose listed version changed.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { compileArticle } from "../../functions/articles/compile.ts";
import { Indexing } from "../../functions/index/indexing.ts";
import {
  type FrozenPartition,
  type Item,
  MemoryTable,
  type Value,
} from "../../functions/index/table.ts";
import { indexFingerprint, TableCache } from "../../functions/index/table-cache.ts";
import {
  LocalBlobs,
  loadTable,
  removeInterruptedSaves,
  saveTable,
} from "../../functions/index/table-file.ts";
import { Index } from "../../functions/index/write.ts";
import { memoryLogger } from "../../functions/log.ts";
import { FolderStore } from "../../functions/storage/folder.ts";
import { articleFile } from "../fixtures/index.ts";
import { compiled, put } from "./support.ts";

const SITE = "https://news.example.com";
const NOW = Date.parse("2026-01-01T00:00:00Z");
const FINGERPRINT = "fingerprint-1";

const dirs: string[] = [];
afterEach(() => {
  vi.useRealTimers();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function temp(): string {
  const dir = mkdtempSync(join(tmpdir(), "dateline-table-file-"));
  dirs.push(dir);
  return dir;
}

/** An index with inline and blob bodies, non-ASCII text, a scheduled article and a failure. */
async function built() {
  const table = new MemoryTable();
  const blobs = new LocalBlobs();
  const index = new Index(table, blobs, { now: () => NOW });
  const big = `<p>${"Långt stycke om hamnen. ".repeat(2_000)}</p>`;
  await index.applyMany([
    put(compiled("2025/plain.md", { tags: ["Transport"], date: new Date(NOW - 86_400_000) })),
    put(
      compiled("2025/zoe.md", {
        slug: "zoe",
        title: "Zoë’s ferry 🚢",
        authors: [{ name: "Zoë Ångström" }],
      }),
    ),
    put(compiled("2025/big.md", { slug: "big", date: new Date(NOW - 3_600_000) }, big)),
    put(compiled("2026/later.md", { date: new Date(NOW + 86_400_000) })),
    {
      kind: "failed",
      key: "2025/broken.md",
      sequencer: "ff",
      version: "v9",
      seenAt: NOW,
      reasons: ["date: missing"],
    },
  ]);
  return { table, blobs, index, big };
}

const sorted = (table: MemoryTable) =>
  [...table.items()].sort((a, b) => `${a.pk} ${a.sk}`.localeCompare(`${b.pk} ${b.sk}`));

describe("saveTable and loadTable", () => {
  it("load back every item and blob, and serve the same pages, bodies and summaries", async () => {
    const { table, blobs, index, big } = await built();
    const path = join(temp(), "index.bin");
    await saveTable(path, FINGERPRINT, table, blobs);
    const log = memoryLogger();
    const loaded = await loadTable(path, FINGERPRINT, log);
    expect(log.entries).toEqual([]);
    if (!loaded) throw new Error("not loaded");
    expect(sorted(loaded.table)).toEqual(sorted(table));
    expect(await blobs.entries()).toHaveLength(1); // the big body
    expect(await loaded.blobs.entries()).toEqual(await blobs.entries());
    const again = new Index(loaded.table, loaded.blobs, { now: () => NOW });
    expect(await again.page("site", 10)).toEqual(await index.page("site", 10));
    expect((await again.article("big"))?.html).toBe(big);
    expect((await again.article("zoe"))?.meta.authors).toEqual([{ name: "Zoë Ångström" }]);
    expect(await again.scopes()).toEqual(await index.scopes());
    expect(await again.failures()).toEqual(await index.failures());
    expect(await again.records()).toEqual(await index.records());
    // The loaded index keeps working: a release at the scheduled date, then one more save.
    await again.release(NOW + 86_400_000);
    expect((await again.page("site", 10)).items.map((a) => a.meta.slug)[0]).toBe("2026-later");
    await saveTable(path, FINGERPRINT, loaded.table, loaded.blobs);
    expect(sorted((await loadTable(path, FINGERPRINT, log))?.table ?? new MemoryTable())).toEqual(
      sorted(loaded.table),
    );
  });

  it("keep values of every type exactly, long strings stored once however often they occur", async () => {
    const table = new MemoryTable();
    const long = "x".repeat(10_000);
    const wide = `${"日本語の記事、".repeat(50)}🚢`;
    const values: Value[] = [
      0,
      -1.5,
      1e300,
      true,
      false,
      "",
      "short",
      long,
      wide,
      `é${wide}`,
      `${"é".repeat(60)}`,
      [1, "a", [long, wide, false]],
    ];
    for (const [i, value] of values.entries())
      await table.write({ put: { pk: "T", sk: `k${i}`, v: value, again: long } });
    await table.write({ put: { pk: "T", sk: long, v: "sk long too" } });
    const path = join(temp(), "index.bin");
    await saveTable(path, FINGERPRINT, table, new LocalBlobs());
    expect(readFileSync(path).byteLength).toBeLessThan(3 * long.length);
    const loaded = await loadTable(path, FINGERPRINT, memoryLogger());
    expect(sorted(loaded?.table ?? new MemoryTable())).toEqual(sorted(table));
  });

  it("return nothing, silently, when there is no file", async () => {
    const log = memoryLogger();
    expect(await loadTable(join(temp(), "none.bin"), FINGERPRINT, log)).toBeUndefined();
    expect(log.entries).toEqual([]);
  });

  it("ignore a file built with another fingerprint (other code, SITE_URL or options)", async () => {
    const { table, blobs } = await built();
    const path = join(temp(), "index.bin");
    await saveTable(path, FINGERPRINT, table, blobs);
    const log = memoryLogger();
    expect(await loadTable(path, "fingerprint-2", log)).toBeUndefined();
    expect(log.entries.map((e) => e.message)).toEqual([
      "index file built by other code or settings; rebuilding the index",
    ]);
    expect(indexFingerprint({ siteUrl: SITE })).toBe(indexFingerprint({ siteUrl: SITE }));
    expect(indexFingerprint({ siteUrl: SITE })).not.toBe(
      indexFingerprint({ siteUrl: "https://other.example" }),
    );
  });

  it("ignore, with a warning, a file truncated anywhere, corrupted or not of this format", async () => {
    const { table, blobs } = await built();
    const dir = temp();
    const path = join(dir, "index.bin");
    await saveTable(path, FINGERPRINT, table, blobs);
    const good = readFileSync(path);
    const variants: [string, Buffer][] = [
      ["empty", Buffer.alloc(0)],
      ["text", Buffer.from("hello\n")],
      ["JSON", Buffer.from('{"format":"dateline-state","version":1}\n')],
      ["last byte cut", good.subarray(0, good.byteLength - 1)],
      ["trailer cut", good.subarray(0, good.byteLength - 20)],
      ["trailer gone", good.subarray(0, good.lastIndexOf(0x0a, good.byteLength - 2) + 1)],
      ["half", good.subarray(0, good.byteLength >> 1)],
      ["a string byte flipped", flip(good, 10)],
      ["a segment byte flipped", flip(good, trailerOf(good).stringBytes + 3)],
      ["a directory byte flipped", flip(good, good.lastIndexOf(0x0a, good.byteLength - 2) - 30)],
      ["the older format", withTrailer(good, (t) => ({ ...t, version: 1 }))],
      ["another format version", withTrailer(good, (t) => ({ ...t, version: 3 }))],
      ["a size that does not match", withTrailer(good, (t) => ({ ...t, stringBytes: 1 }))],
    ];
    for (const [name, bytes] of variants) {
      writeFileSync(path, bytes);
      const log = memoryLogger();
      const into = { table: new MemoryTable(), blobs: new LocalBlobs() };
      expect(await loadTable(path, FINGERPRINT, log, into), name).toBeUndefined();
      expect([...into.table.items()], name).toEqual([]);
      expect(
        log.entries.map((e) => e.message),
        name,
      ).toEqual(["index file unusable; rebuilding the index"]);
    }
  });

  it("leave the previous file whole when a save fails, and no temporary file behind", async () => {
    const { table, blobs } = await built();
    const dir = temp();
    const path = join(dir, "index.bin");
    await saveTable(path, FINGERPRINT, table, blobs);
    const before = readFileSync(path);
    const poisoned = new MemoryTable();
    for (const item of table.items()) await poisoned.write({ put: item });
    const unencodable = {
      toJSON() {
        throw new Error("cannot encode");
      },
    } as unknown as Value;
    await poisoned.write({ put: { pk: "Z", sk: "z", v: [unencodable] } as Item });
    await expect(saveTable(path, FINGERPRINT, poisoned, blobs)).rejects.toThrow("cannot encode");
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(["index.bin"]);
    expect(await loadTable(path, FINGERPRINT, memoryLogger())).toBeDefined();
  });
});

describe("MemoryTable over a loaded partition", () => {
  /** A frozen partition of items a, b, c that counts its opens and the items it makes. */
  function frozen() {
    const counts = { opens: 0, items: 0 };
    const open = (): FrozenPartition => {
      counts.opens++;
      return {
        keys: ["a", "b", "c"],
        item(index, attributes) {
          counts.items++;
          const sk = ["a", "b", "c"][index] as string;
          const item: Item = { pk: "T", sk, n: index, body: `body of ${sk}` };
          if (attributes)
            for (const name of ["n", "body"]) if (!attributes.includes(name)) delete item[name];
          return item;
        },
      };
    };
    return { counts, open };
  }

  it("opens it at its first read and makes only the items read", async () => {
    const table = new MemoryTable();
    const { counts, open } = frozen();
    table.loadFrozen("T", open);
    expect(await table.get({ pk: "U", sk: "a" })).toBeUndefined();
    expect(counts).toEqual({ opens: 0, items: 0 });
    expect(await table.query("T", { descending: true, limit: 1, attributes: ["n"] })).toEqual([
      { pk: "T", sk: "c", n: 2 },
    ]);
    expect(await table.get({ pk: "T", sk: "b" })).toEqual({
      pk: "T",
      sk: "b",
      n: 1,
      body: "body of b",
    });
    expect(await table.get({ pk: "T", sk: "bb" })).toBeUndefined();
    expect(await table.query("T", { after: "a", upTo: "b" })).toEqual([
      { pk: "T", sk: "b", n: 1, body: "body of b" },
    ]);
    expect(counts).toEqual({ opens: 1, items: 3 });
  });

  it("becomes an ordinary partition at its first write; a snapshot taken before keeps what it saw", async () => {
    const table = new MemoryTable();
    const { counts, open } = frozen();
    table.loadFrozen("T", open);
    await table.write({ put: { pk: "O", sk: "x" } });
    const before = table.snapshot();
    await table.write({ update: { pk: "T", sk: "b" }, set: { n: 10 } });
    await table.write({ put: { pk: "T", sk: "ab" } });
    await table.write({ delete: { pk: "T", sk: "c" } });
    const made = counts.items;
    expect((await table.query("T")).map((item) => [item.sk, item.n])).toEqual([
      ["a", 0],
      ["ab", undefined],
      ["b", 10],
    ]);
    expect(counts.items).toBe(made);
    const seen = Object.fromEntries(
      before.map(([pk, p]) => [pk, p.keys.map((_, i) => p.item(i).n ?? null)]),
    );
    expect(seen).toEqual({ O: [null], T: [0, 1, 2] });
    expect([...table.items()].map((item) => `${item.pk}${item.sk}`).sort()).toEqual([
      "Ox",
      "Ta",
      "Tab",
      "Tb",
    ]);
  });
});

describe("removeInterruptedSaves", () => {
  it("removes the temporary files of saves whose process is gone, and nothing else", async () => {
    const dir = temp();
    const path = join(dir, "index.bin");
    const { table, blobs } = await built();
    await saveTable(path, FINGERPRINT, table, blobs);
    // A pid that cannot be running (beyond Linux's pid_max), and this process's own.
    const gone = `index.bin.${2 ** 22 + 1}.tmp`;
    const ours = `index.bin.${process.pid}.tmp`;
    for (const name of [gone, ours, "index.bin.x.tmp", "other.bin.123.tmp", "state.json"])
      writeFileSync(join(dir, name), "partial");
    expect(await removeInterruptedSaves(path)).toEqual([gone]);
    expect(readdirSync(dir).sort()).toEqual(
      ["index.bin", ours, "index.bin.x.tmp", "other.bin.123.tmp", "state.json"].sort(),
    );
    expect(await loadTable(path, FINGERPRINT, memoryLogger())).toBeDefined();
    expect(await removeInterruptedSaves(join(dir, "missing", "index.bin"))).toEqual([]);
  });

  it("runs when a TableCache loads", async () => {
    const dir = temp();
    const path = join(dir, "index.bin");
    const gone = `index.bin.${2 ** 22 + 2}.tmp`;
    writeFileSync(join(dir, gone), "partial");
    const log = memoryLogger();
    expect((await new TableCache({ path, fingerprint: FINGERPRINT, log }).load()).fromFile).toBe(
      false,
    );
    expect(readdirSync(dir)).toEqual([]);
    expect(log.entries.map((e) => e.message)).toEqual(["removed what interrupted saves left"]);
  });
});

function flip(bytes: Buffer, at: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] = (copy[at] ?? 0) ^ 0x01;
  return copy;
}

function trailerOf(bytes: Buffer): { stringBytes: number } {
  const start = bytes.lastIndexOf(0x0a, bytes.byteLength - 2) + 1;
  return JSON.parse(bytes.toString("utf8", start));
}

function withTrailer(bytes: Buffer, change: (t: Record<string, unknown>) => unknown): Buffer {
  const start = bytes.lastIndexOf(0x0a, bytes.byteLength - 2) + 1;
  const trailer = JSON.parse(bytes.toString("utf8", start)) as Record<string, unknown>;
  return Buffer.concat([
    bytes.subarray(0, start),
    Buffer.from(`${JSON.stringify(change(trailer))}\n`),
  ]);
}

describe("TableCache", () => {
  const fresh = () => ({ table: new MemoryTable(), blobs: new LocalBlobs() });

  it("start empty without a file, save on flush, and start from the file next time", async () => {
    const path = join(temp(), "state", "index.bin");
    const first = { ...fresh(), path, fingerprint: FINGERPRINT, log: memoryLogger() };
    const cache = new TableCache(first);
    expect(await cache.load()).toEqual({ ...fresh(), fromFile: false });
    await new Index(first.table, first.blobs, { now: () => NOW }).apply(put(compiled("a.md")));
    cache.changed();
    await cache.flush();
    const second = { ...fresh(), path, fingerprint: FINGERPRINT, log: memoryLogger() };
    expect((await new TableCache(second).load()).fromFile).toBe(true);
    expect(sorted(second.table)).toEqual(sorted(first.table));
    // Another fingerprint (SITE_URL changed): the table stays empty, to be rebuilt.
    const third = { ...fresh(), path, fingerprint: "other", log: memoryLogger() };
    expect((await new TableCache(third).load()).fromFile).toBe(false);
    expect([...third.table.items()]).toEqual([]);
  });

  it("save a moment after changes stop, never while an index write is in flight", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const path = join(temp(), "index.bin");
    let busy = true;
    const cache = new TableCache({
      path,
      fingerprint: FINGERPRINT,
      log: memoryLogger(),
      delayMs: 1_000,
      busy: () => busy,
    });
    const { table } = await cache.load(); // its own, new table
    await table.write({ put: { pk: "T", sk: "one" } });
    cache.changed();
    vi.advanceTimersByTime(999);
    cache.changed(); // a second change restarts the wait
    vi.advanceTimersByTime(999);
    vi.advanceTimersByTime(5_000); // due, but busy: it waits
    expect(readdirSync(join(path, ".."))).toEqual([]);
    busy = false;
    vi.advanceTimersByTime(1_000);
    await cache.flush(); // waits for the save that has started
    const loaded = await loadTable(path, FINGERPRINT, memoryLogger());
    expect(sorted(loaded?.table ?? new MemoryTable())).toEqual(sorted(table));
  });

  it("log a failed save once, keep the index, and save at a later flush", async () => {
    const dir = temp();
    const blocker = join(dir, "state");
    writeFileSync(blocker, "not a folder");
    const log = memoryLogger();
    const { table, blobs } = fresh();
    const path = join(blocker, "index.bin");
    const cache = new TableCache({ path, fingerprint: FINGERPRINT, log, table, blobs });
    await cache.load();
    await table.write({ put: { pk: "T", sk: "one" } });
    for (let i = 0; i < 3; i++) {
      cache.changed();
      await cache.flush();
    }
    const warnings = () => log.entries.filter((e) => e.level === "warn").map((e) => e.message);
    expect(warnings()).toEqual(["cannot write the index file; the next start rebuilds more"]);
    rmSync(blocker);
    await cache.flush(); // still dirty from the failed saves
    expect(warnings()).toHaveLength(1);
    expect(sorted((await loadTable(path, FINGERPRINT, log))?.table ?? fresh().table)).toEqual(
      sorted(table),
    );
  });
});

describe("a restart over the saved index", () => {
  it("compiles only the files whose listed version changed, and ends as a fresh build does", async () => {
    const content = temp();
    const write = async (key: string, fields: Record<string, unknown>, mtime: number) => {
      const path = join(content, key);
      await mkdir(join(path, ".."), { recursive: true });
      await writeFile(path, articleFile(fields));
      utimesSync(path, mtime / 1000, mtime / 1000);
    };
    for (let i = 0; i < 5; i++)
      await write(`2025/a${i}.md`, { title: `A${i}`, date: `2025-0${i + 1}-01` }, NOW - 1e6);
    const compiledKeys: string[] = [];
    const start = async (table: MemoryTable, blobs: LocalBlobs) => {
      const index = new Index(table, blobs, { now: () => NOW });
      const indexing = new Indexing({
        index,
        compile: (file, bytes, options) => {
          compiledKeys.push(file.key);
          return compileArticle(file, bytes, options);
        },
        compileOptions: { siteUrl: SITE },
        log: memoryLogger(),
        now: () => NOW,
      });
      await indexing.reconcile(new FolderStore(content));
      return index;
    };
    const path = join(temp(), "index.bin");
    const first = { table: new MemoryTable(), blobs: new LocalBlobs() };
    await start(first.table, first.blobs);
    expect(compiledKeys).toHaveLength(5);
    await saveTable(path, FINGERPRINT, first.table, first.blobs);

    // While stopped: one edit (same size, new mtime), one removal, one new file.
    await write("2025/a1.md", { title: "B1", date: "2025-02-01" }, NOW - 5e5);
    rmSync(join(content, "2025/a3.md"));
    await write("2025/new.md", { title: "New", date: "2025-09-01" }, NOW - 5e5);
    compiledKeys.length = 0;
    const loaded = await loadTable(path, FINGERPRINT, memoryLogger());
    if (!loaded) throw new Error("not loaded");
    const restarted = await start(loaded.table, loaded.blobs);
    expect(compiledKeys.sort()).toEqual(["2025/a1.md", "2025/new.md"]);

    compiledKeys.length = 0;
    const fresh = await start(new MemoryTable(), new LocalBlobs());
    const titles = async (index: Index) =>
      (await index.page("site", 10)).items.map((a) => a.meta.title);
    expect(await titles(restarted)).toEqual(await titles(fresh));
    expect(await titles(restarted)).toEqual(["New", "A4", "A2", "B1", "A0"]);
    // The same scopes with the same newest articles (revisions count the changes each saw).
    const newest = async (index: Index) =>
      (await index.scopes()).map(({ key, name, newest }) => ({ key, name, newest }));
    expect(await newest(restarted)).toEqual(await newest(fresh));
  });
});
