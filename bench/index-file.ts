/**
 * The pieces of `npm start`'s first /feed.xml at scale, each on its own (bench/local-start.ts
 * times the whole): listing the folder, compiling and indexing every article (a start without a
 * saved index), saving the index file, loading it in a fresh process with the reads of a first
 * /feed.xml, and reconciling the loaded index against the folder (a restart: nothing to compile;
 * it runs behind serving). Wall and CPU time: on a busy machine the CPU figure is the one to
 * compare.
 *
 *   npx tsx bench/index-file.ts [--full] [--file-sizes=100,10000]
 *   npx tsx bench/index-file.ts --load <file> <fingerprint>    (the fresh process)
 */
import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { compileArticle } from "../functions/articles/compile.ts";
import { Indexing } from "../functions/index/indexing.ts";
import { IndexReader } from "../functions/index/read.ts";
import { MemoryTable } from "../functions/index/table.ts";
import { indexFingerprint } from "../functions/index/table-cache.ts";
import { LocalBlobs, loadTable, saveTable } from "../functions/index/table-file.ts";
import { Index } from "../functions/index/write.ts";
import { memoryLogger } from "../functions/log.ts";
import { FolderStore } from "../functions/storage/folder.ts";
import { corpusFolder } from "./corpus.ts";

const SITE_URL = "https://news.example.com";

/** Wall and CPU ms of `fn`. */
async function measure<T>(fn: () => Promise<T>): Promise<{ value: T; wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const c = process.cpuUsage(c0);
  return { value, wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 };
}
const fmt = ({ wall, cpu }: { wall: number; cpu: number }) =>
  `${(wall / 1000).toFixed(2)} s (CPU ${(cpu / 1000).toFixed(2)} s)`;

if (process.argv[2] === "--load") {
  const [, , , path, fingerprint] = process.argv;
  const loaded = await measure(() => loadTable(path ?? "", fingerprint ?? "", memoryLogger()));
  const rss = Math.round(process.memoryUsage().rss / 1024 / 1024);
  // What the first /feed.xml reads: the site's summary and its first page, bodies included.
  const reader = loaded.value && new IndexReader(loaded.value.table, loaded.value.blobs);
  const page = await measure(async () => {
    await reader?.summary("site");
    return (await reader?.page("site", 20))?.items.length ?? 0;
  });
  // What the first check of the folder reads (behind serving): every record.
  const records = await measure(async () => (await reader?.records())?.length ?? 0);
  const after = Math.round(process.memoryUsage().rss / 1024 / 1024);
  console.log(
    JSON.stringify({
      ok: loaded.value !== undefined && page.value === 20,
      wall: loaded.wall,
      cpu: loaded.cpu,
      rss,
      page: { wall: page.wall, cpu: page.cpu },
      records: { wall: records.wall, cpu: records.cpu, count: records.value },
      after,
    }),
  );
  process.exit(0);
}

const { values: args } = parseArgs({
  options: { full: { type: "boolean", default: false }, "file-sizes": { type: "string" } },
  strict: false,
});
const SIZES =
  typeof args["file-sizes"] === "string"
    ? args["file-sizes"].split(",").map(Number)
    : args.full
      ? [100, 100_000]
      : [100, 10_000];

console.log("\nnpm start's saved index (issue 10), by size: the parts of a first /feed.xml");
const scratch = await mkdtemp(join(tmpdir(), "dateline-bench-index-file-"));
for (const size of SIZES) {
  const store = new FolderStore(await corpusFolder(size));
  const fingerprint = indexFingerprint({ siteUrl: SITE_URL });
  const indexing = (table: MemoryTable, blobs: LocalBlobs) =>
    new Indexing({
      index: new Index(table, blobs, {}),
      compile: compileArticle,
      compileOptions: { siteUrl: SITE_URL },
      log: memoryLogger(),
    });
  const list = await measure(() => store.list());
  const table = new MemoryTable();
  const blobs = new LocalBlobs();
  const cold = await measure(() => indexing(table, blobs).reconcile(store));
  const path = join(scratch, `index-${size}.bin`);
  const save = await measure(() => saveTable(path, fingerprint, table, blobs));
  const bytes = statSync(path).size;
  const run = spawnSync(
    process.execPath,
    ["--import", "tsx", "bench/index-file.ts", "--load", path, fingerprint],
    { encoding: "utf8", maxBuffer: 1 << 20 },
  );
  const fresh = JSON.parse(run.stdout.trim().split("\n").pop() || "{}") as {
    ok?: boolean;
    wall: number;
    cpu: number;
    rss: number;
    page: { wall: number; cpu: number };
    records: { wall: number; cpu: number; count: number };
    after: number;
  };
  const into = { table: new MemoryTable(), blobs: new LocalBlobs() };
  await loadTable(path, fingerprint, memoryLogger(), into);
  const warm = await measure(() => indexing(into.table, into.blobs).reconcile(store));
  const label = `${size.toLocaleString("en")} articles`.padStart(18);
  console.log(`  ${label}: list the folder ${fmt(list)}`);
  console.log(`  ${label}: compile + index all (no saved index) ${fmt(cold)}`);
  console.log(
    `  ${label}: save the index file (${(bytes / 1024 / 1024).toFixed(0)} MB, in the background) ${fmt(save)}`,
  );
  console.log(
    `  ${label}: load it in a fresh process ${fresh.ok ? `${fmt(fresh)}, RSS ${fresh.rss} MB` : `failed: ${run.stderr.slice(0, 500)}`}`,
  );
  if (fresh.ok) {
    console.log(
      `  ${label}: then the first feed's reads (summary + 20 entries with bodies) ${fmt(fresh.page)}  [load + these are the warm start's index share of ≤ 5 s at 100,000]`,
    );
    console.log(
      `  ${label}: then every record (the folder check, behind serving) ${fmt(fresh.records)}, RSS ${fresh.after} MB`,
    );
  }
  console.log(
    `  ${label}: reconcile the loaded index (nothing changed; behind serving) ${fmt(warm)}`,
  );
}
await rm(scratch, { recursive: true, force: true });
