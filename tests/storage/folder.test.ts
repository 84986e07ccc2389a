/**
 * The folder store against hostile entries: a FIFO (listed, or swapped in after the listing), a
 * 3 GB sparse file, a name that is not UTF-8, a symlink loop. Each is skipped or refused as that
 * file's problem, quickly and with one log line; the scan and every other article go on.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ArticleError } from "../../functions/errors.ts";
import { LocalIndex } from "../../functions/index/local.ts";
import { memoryLogger } from "../../functions/log.ts";
import { FolderStore } from "../../functions/storage/folder.ts";
import { articleFile, SITE } from "../fixtures/index.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), "dateline-folder-"));
  dirs.push(dir);
  writeFileSync(join(dir, "good.md"), articleFile({ title: "Good", date: "2024-06-01" }));
  return dir;
}

/** Rejects if `promise` has not settled within `ms` (a read that blocks forever). */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms),
    ),
  ]);
}

function indexOver(store: FolderStore, log = memoryLogger()) {
  const local = new LocalIndex(store, { siteUrl: SITE, revalidateMs: 60_000, log });
  /** The keys of the live articles once a sync is done. */
  const keys = async () => {
    await local.sync();
    return (await local.articles()).map((a) => a.key);
  };
  return { keys, log };
}

describe("FolderStore: only regular files, read without blocking", () => {
  it("a FIFO swapped in after the listing is refused at once (checked on the open handle)", async () => {
    const dir = folder();
    writeFileSync(join(dir, "swap.md"), articleFile({ title: "Swap", date: "2024-06-02" }));
    const log = memoryLogger();
    const store = new FolderStore(dir, { log });
    expect((await store.list()).map((f) => f.key).sort()).toEqual(["good.md", "swap.md"]);
    await rm(join(dir, "swap.md"));
    execFileSync("mkfifo", [join(dir, "swap.md")]);
    const error = await within(store.read("swap.md"), 2_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArticleError);
    expect((error as ArticleError).reasons).toEqual([
      "not a regular file (a FIFO, device or socket)",
    ]);
  });

  it("a FIFO swapped in during a scan does not hang the index: the rest serves, it is logged", async () => {
    const dir = folder();
    writeFileSync(join(dir, "swap.md"), articleFile({ title: "Swap", date: "2024-06-02" }));
    const store = new FolderStore(dir);
    const list = store.list.bind(store);
    store.list = async () => {
      const files = await list();
      rmSync(join(dir, "swap.md"));
      execFileSync("mkfifo", [join(dir, "swap.md")]);
      return files;
    };
    const { keys, log } = indexOver(store);
    expect(await within(keys(), 5_000)).toEqual(["good.md"]);
    expect(log.entries).toMatchObject([
      {
        message: "article skipped",
        fields: { file: "swap.md", reason: expect.stringMatching(/FIFO/) },
      },
    ]);
  });

  it("a FIFO present when listing is skipped with one log line (not once per scan)", async () => {
    const dir = folder();
    execFileSync("mkfifo", [join(dir, "pipe.md")]);
    const log = memoryLogger();
    const store = new FolderStore(dir, { log });
    for (let i = 0; i < 3; i++) expect((await store.list()).map((f) => f.key)).toEqual(["good.md"]);
    expect(log.entries).toMatchObject([
      {
        message: "file skipped",
        fields: { file: "pipe.md", reason: expect.stringMatching(/FIFO/) },
      },
    ]);
  });

  it("a 3 GB sparse file is refused from its listed size without being read", async () => {
    const dir = folder();
    writeFileSync(join(dir, "huge.md"), "");
    truncateSync(join(dir, "huge.md"), 3 * 1024 ** 3);
    const store = new FolderStore(dir);
    let reads = 0;
    const read = store.read.bind(store);
    store.read = (key) => {
      reads++;
      return read(key);
    };
    const { keys, log } = indexOver(store);
    const started = performance.now();
    expect(await keys()).toEqual(["good.md"]);
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(reads).toBe(1); // good.md only
    expect(log.entries).toMatchObject([
      {
        message: "article skipped",
        fields: { file: "huge.md", reason: "file is larger than 256 KB" },
      },
    ]);
    // read() checks the size on the open handle too (a file that grew after the listing).
    await expect(read("huge.md")).rejects.toBeInstanceOf(ArticleError);
  });

  it("a file name that is not valid UTF-8 is logged once (with its bytes) and skipped", async () => {
    const dir = folder();
    writeFileSync(
      Buffer.concat([Buffer.from(`${dir}/caf`), Buffer.from([0xe9]), Buffer.from(".md")]),
      "x",
    );
    const log = memoryLogger();
    const store = new FolderStore(dir, { log });
    expect((await store.list()).map((f) => f.key)).toEqual(["good.md"]);
    await store.list();
    expect(log.entries).toMatchObject([
      { message: "file skipped: its name is not valid UTF-8", fields: { bytes: "636166e92e6d64" } },
    ]);
  });

  it("a symlink loop (loop.md -> loop.md) is not followed and breaks nothing", async () => {
    const dir = folder();
    symlinkSync("loop.md", join(dir, "loop.md"));
    symlinkSync(".", join(dir, "self"));
    const { keys } = indexOver(new FolderStore(dir));
    expect(await keys()).toEqual(["good.md"]);
  });
});
