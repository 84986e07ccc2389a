/**
 * The check over a store, in-process: compiling in worker threads gives exactly the report of
 * compiling on one thread (the CLI uses workers for 200 files or more).
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { corpus } from "../../bench/corpus.ts";
import { checkStore } from "../../functions/check/run.ts";
import { FolderStore } from "../../functions/storage/folder.ts";
import { BROKEN } from "./corpus.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dateline-check-run-"));
  const files = [...corpus(240)].map((f) => [f.key, f.text] as const);
  for (const [key, text] of [...files, ...Object.entries(BROKEN)]) {
    await mkdir(dirname(join(dir, key)), { recursive: true });
    await writeFile(join(dir, key), text);
  }
});
afterAll(() => rm(dir, { recursive: true, force: true }));

it("reports the same problems with two worker threads as on the calling thread", async () => {
  const options = { siteUrl: "https://news.example.com", now: Date.parse("2026-06-01T00:00:00Z") };
  const single = await checkStore(new FolderStore(dir), { ...options, workers: 0 });
  const pooled = await checkStore(new FolderStore(dir), { ...options, workers: 2 });
  expect(single.files).toBe(240 + Object.keys(BROKEN).length);
  expect(single.errors).toBeGreaterThanOrEqual(Object.keys(BROKEN).length - 1);
  expect(pooled).toEqual(single);
});
