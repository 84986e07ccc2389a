/**
 * The article index (functions/index/) at 100 and 1,000 articles (100,000 with --full), in
 * memory and on DynamoDB (dynalite on 127.0.0.1): what one article change costs (time and table
 * requests: no whole-index read or write), what a feed page query costs, and the reading side's
 * bundle (index reader + SigV4 clients) in a fresh process.
 *
 *   npx tsx bench/index.ts [--full] [--quick] [--index-sizes=100,10000]
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { MemoryBlobs } from "../functions/index/keys.ts";
import type { Table, TableWrite } from "../functions/index/table.ts";
import { Index } from "../functions/index/write.ts";
import { DYNALITE_CREDENTIALS, startDynalite } from "../tests/support/dynalite.ts";
import { article, change, copyToDynamo, memoryIndex, NOW } from "./index-corpus.ts";

const { values: flags } = parseArgs({
  options: {
    full: { type: "boolean", default: false },
    quick: { type: "boolean", default: false },
  },
  strict: false,
});
const SIZES =
  typeof flags["index-sizes"] === "string"
    ? flags["index-sizes"].split(",").map(Number)
    : flags.full
      ? [100, 1_000, 100_000]
      : [100, 1_000];
const RUNS = flags.quick ? 5 : 15;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const ms = (x: number) => `${x.toFixed(x < 1 ? 3 : 1)} ms`;

/** Counts the requests an Index makes of its table. */
class Counting implements Table {
  reads = 0;
  writes = 0;
  constructor(readonly inner: Table) {}
  get(key: { pk: string; sk: string }) {
    this.reads++;
    return this.inner.get(key);
  }
  query(pk: string, options?: Parameters<Table["query"]>[1]) {
    this.reads++;
    return this.inner.query(pk, options);
  }
  write(w: TableWrite) {
    this.writes++;
    return this.inner.write(w);
  }
}

const lines: string[] = [];
/** Per backend and size: median time (ms) and table requests of one article change. */
const ratios = new Map<string, Map<number, { ms: number; requests: number }>>();
const db = await startDynalite();
for (const backend of ["memory", "dynamodb"] as const) {
  for (const size of SIZES) {
    const started = performance.now();
    const memory = await memoryIndex(size);
    const buildMs = performance.now() - started;
    let table: Table = memory;
    let note = `built in memory in ${ms(buildMs)}`;
    if (backend === "dynamodb") {
      const name = `bench-${size}`;
      const t = await db.table(name);
      const copied = await copyToDynamo(memory, db.client, name);
      table = t;
      note = `${copied} items loaded into dynalite`;
    }
    const counting = new Counting(table);
    const index = new Index(counting, new MemoryBlobs(), { now: () => NOW });
    const times: number[] = [];
    const requests: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const i = Math.floor((r * size) / RUNS);
      counting.reads = counting.writes = 0;
      const t0 = performance.now();
      await index.apply(change(article(i, `Edited ${r}`)));
      times.push(performance.now() - t0);
      requests.push(counting.reads + counting.writes);
    }
    const pages: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const t0 = performance.now();
      const page = await index.page(
        "site",
        20,
        r % 2 ? { seconds: Math.floor(NOW / 1000) - 3600 * 5, slug: "article-5" } : undefined,
      );
      pages.push(performance.now() - t0);
      if (page.items.length !== 20) throw new Error("short page");
    }
    const change1 = median(times);
    (ratios.get(backend) ?? ratios.set(backend, new Map()).get(backend))?.set(size, {
      ms: change1,
      requests: median(requests),
    });
    lines.push(
      `${backend.padEnd(8)} ${String(size).padStart(7)} articles: one article change ${ms(change1)} (${median(requests)} table requests), feed page query (20) ${ms(median(pages))}; ${note}`,
    );
  }
}

// The reading side (index reader, DynamoDB and S3 clients, signer) as one bundle, in fresh processes.
const dir = join(".tmp", "bench-index");
mkdirSync(dir, { recursive: true });
writeFileSync(
  join(dir, "entry.ts"),
  `import { DynamoDb } from "../../functions/aws/dynamodb.ts";
import { endpointFor } from "../../functions/aws/request.ts";
import { DynamoTable } from "../../functions/index/dynamodb.ts";
import { MemoryBlobs } from "../../functions/index/keys.ts";
import { IndexReader } from "../../functions/index/read.ts";
export async function firstPage() {
  const table = new DynamoTable({ client: new DynamoDb({ endpoint: endpointFor("dynamodb") }), tableName: process.env.INDEX_TABLE ?? "" });
  return (await new IndexReader(table, new MemoryBlobs()).page("site", 20)).items.length;
}
`,
);
const out = join(dir, "reader.mjs");
await build({
  entryPoints: [join(dir, "entry.ts")],
  bundle: true,
  minify: true,
  platform: "node",
  format: "esm",
  target: "node22",
  outfile: out,
  logLevel: "error",
});
const size = (await import("node:fs")).statSync(out).size;
const env = {
  ...process.env,
  ...db.env,
  INDEX_TABLE: `bench-${SIZES[0]}`,
  AWS_ACCESS_KEY_ID: DYNALITE_CREDENTIALS.accessKeyId,
};
// Asynchronous: dynalite runs in this process and must keep answering meanwhile.
const wall = (code: string) =>
  new Promise<number>((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ["--input-type=module", "-e", code], {
      env,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("exit", (status) =>
      status === 0 ? resolve(performance.now() - t0) : reject(new Error(stderr)),
    );
  });
const bare: number[] = [];
const imported: number[] = [];
const first: number[] = [];
const url = new URL(`../${out}`, import.meta.url).href;
for (let r = 0; r < (flags.quick ? 3 : 9); r++) {
  bare.push(await wall("0"));
  imported.push(await wall(`await import(${JSON.stringify(url)})`));
  first.push(
    await wall(
      `const m = await import(${JSON.stringify(url)}); if ((await m.firstPage()) !== 20) process.exit(3)`,
    ),
  );
}
await db.stop();

console.log("\nArticle index (issue 10): one article change and one feed page query, by size");
for (const line of lines) console.log(`  ${line}`);
for (const [backend, bySize] of ratios) {
  const first = SIZES[0] ?? 100;
  const last = SIZES[SIZES.length - 1] ?? 100;
  const small = bySize.get(first) ?? { ms: 0, requests: 0 };
  const large = bySize.get(last) ?? { ms: 0, requests: 0 };
  const ratio = large.ms / small.ms;
  // No whole-index read or write: the requests one change makes do not grow with the archive.
  const bounded = large.requests <= small.requests * 1.5;
  console.log(
    `  ${backend}: one change at ${last.toLocaleString("en")} vs ${first} articles: ×${ratio.toFixed(2)} time, ${large.requests} vs ${small.requests} table requests  [target within 1.5×, no whole-index read or write] ${ratio <= 1.5 && bounded ? "met" : "NOT met"}`,
  );
}
console.log(
  `  index reader + SigV4 clients bundle: ${(size / 1024).toFixed(1)} KB minified; fresh process import +${ms(median(imported) - median(bare))}, import + first page query on dynalite +${ms(median(first) - median(bare))} over bare node ${ms(median(bare))}`,
);
