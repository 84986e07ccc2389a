/**
 * The deployed path beside issue 10's targets: the feed and indexer bundles of `cdk synth`, each
 * run in fresh Node processes (tests/deploy/lambda-host.mjs) against dynalite and s3rver on
 * 127.0.0.1, on an index of 100 articles (and 100,000 with --full):
 *
 * - feed bundle size; import in a fresh process; import + first /feed.xml (cold);
 * - warm 200 identity / gzip / br and 304 through the bundled handler (timed inside the process);
 * - feed function RSS after a tour of feeds, tags, pages and archive pages;
 * - indexer: one article change (S3 event → compile → index), its time, DynamoDB requests and
 *   bytes (through bench/dynamo-counter.ts).
 *
 * Each size's index is built and loaded into dynalite on LevelDB once per source version and
 * reused (bench/corpus-cache.ts: the first --full run spends minutes on it); every run serves
 * its own copy. Cold starts and indexer changes alternate between the sizes run by run, so the
 * 100,000-to-100 ratios compare figures taken under the same machine load.
 *
 *   npx tsx bench/lambda-cold.ts [--full] [--out <existing cdk.out>] [--runs 7]
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { bundleFor } from "../tests/deploy/bundles.ts";
import {
  type LambdaHost,
  linkNodeModules,
  locate,
  startLambdaHost,
} from "../tests/deploy/support.ts";
import { sharedSynth } from "../tests/deploy/synth-cache.ts";
import { articleFile } from "../tests/fixtures/articles.ts";
import { s3Record, sqsEvent } from "../tests/support/s3-events.ts";
import { S3RVER_CREDENTIALS, startS3rver } from "../tests/support/s3rver.ts";
import { type CorpusServer, corpusServer } from "./corpus-cache.ts";
import { type DynamoCounter, startDynamoCounter } from "./dynamo-counter.ts";
import { NOW } from "./index-corpus.ts";

const { values: args } = parseArgs({
  options: {
    full: { type: "boolean", default: false },
    out: { type: "string" },
    runs: { type: "string", default: "7" },
  },
  strict: false,
});
const RUNS = Math.max(3, Number(args.runs));
const SIZES = args.full ? [100, 100_000] : [100];
const SITE_URL = "https://news.example.com";
const PREFIX = "articles/";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const ms = (x: number) => `${x.toFixed(x < 1 ? 3 : 1)} ms`;
const verdict = (ok: boolean) => (ok ? "met" : "NOT met");
const load = () =>
  loadavg()
    .map((n) => n.toFixed(1))
    .join(" ");
const line = (what: string, value: string, target: string, ok: boolean) =>
  console.log(`  ${what.padEnd(46)} ${value.padStart(10)}  [target ${target}] ${verdict(ok)}`);

const scratch = await mkdtemp(join(tmpdir(), "dateline-bench-lambda-"));
// The stack's own synthesis (shared with the deploy tests when the sources are the same).
const synth = args.out ? await locate(String(args.out)) : await sharedSynth();
await linkNodeModules(synth.outDir);
const feed = await bundleFor(synth.feedFunction, "functions/handlers/feed.ts", scratch);
const indexer = await bundleFor(synth.indexerFunction, "functions/handlers/indexer.ts", scratch);
if (feed.origin !== "synthesized")
  throw new Error(`the stack's feed function is not built from functions/handlers/feed.ts`);

const s3 = await startS3rver();
const baseEnv = (table: string, dynamo: string) => ({
  TZ: ":UTC",
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
  AWS_ENDPOINT_URL_S3: s3.endpoint,
  AWS_ENDPOINT_URL_DYNAMODB: dynamo,
  SITE_URL,
  INDEX_TABLE: table,
  CONTENT_BUCKET: s3.bucket,
  CONTENT_PREFIX: PREFIX,
});

console.log("\nLambda bundles (issue 10), fresh processes against dynalite and s3rver");
console.log(`  feed bundle: ${feed.origin}`);
console.log(`  indexer bundle: ${indexer.origin}`);
const bytes = statSync(feed.file).size;
line("feed bundle, minified", `${(bytes / 1024).toFixed(1)} KB`, "≤ 100 KB", bytes <= 100 * 1024);
console.log(
  `  (gzip -9: ${(gzipSync(readFileSync(feed.file), { level: 9 }).byteLength / 1024).toFixed(1)} KB)`,
);

/**
 * Bare node: the same host importing a module that only exports a handler, and invoking it,
 * with the feed function's NODE_OPTIONS: what the targets count from ("over bare node").
 */
async function bareNode(): Promise<{ importMs: number; firstMs: number }> {
  const file = join(scratch, "bare", "index.mjs");
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, "export const handler = async () => ({ statusCode: 200, body: '' });\n");
  const imports: number[] = [];
  const firsts: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const host = await startLambdaHost(file, "handler", {});
    const first = await host.invoke({ path: "/feed.xml" });
    imports.push(host.importMs);
    firsts.push(host.importMs + first.ms);
    await host.dispose();
  }
  return { importMs: median(imports), firstMs: median(firsts) };
}
const bare = await bareNode();
console.log(
  `  bare node in the same host: import ${ms(bare.importMs)}, import + first answer ${ms(bare.firstMs)} (subtracted below)`,
);

/** One size's corpus: dynalite serving this run's copy, and a counter in front of it. */
interface Served {
  size: number;
  corpus: CorpusServer;
  counter: DynamoCounter;
  /** The feed function's environment (reads straight from dynalite). */
  env: Record<string, string>;
}
const served: Served[] = [];
const median0 = (xs: number[] | undefined) => median(xs ?? []);
const indexerCost = new Map<number, number>();
/** Per size: the most DynamoDB bytes (sent + received) one article change moved. */
const indexerBytes = new Map<number, number>();
let indexerScans = 0;
try {
  for (const size of SIZES) {
    // The index, built and loaded once per source version (bench/corpus-cache.ts); this run
    // serves its own copy from dynalite on LevelDB.
    const corpus = await corpusServer(size, scratch);
    const { db, table, info } = corpus;
    const counter = await startDynamoCounter(db.endpoint);
    const env = { ...baseEnv(table, db.endpoint), ORIGIN_AUTH: "iam", REVALIDATE_SECONDS: "60" };
    served.push({ size, corpus, counter, env });
    console.log(
      `  ${size} articles: ${info.items} index items, ${corpus.built ? "built now" : "cached"} (built in memory in ${ms(info.buildMs)}, loaded into dynalite with BatchWriteItem in ${ms(info.loadMs)}); this run's copy ${ms(corpus.copyMs)}`,
    );
  }
  console.log(`  load average ${load()}`);

  // Cold starts, the sizes interleaved run by run: on a shared machine the load drifts, and a
  // ratio of two medians taken a minute apart would measure the drift.
  const imports = new Map<number, number[]>();
  const firsts = new Map<number, number[]>();
  const push = (m: Map<number, number[]>, size: number, x: number) =>
    m.set(size, [...(m.get(size) ?? []), x]);
  for (let r = 0; r < RUNS; r++) {
    for (const { size, env } of served) {
      const host = await startLambdaHost(feed.file, feed.exportName, env);
      const first = await host.invoke({ path: "/feed.xml" });
      await host.dispose();
      if (first.statusCode !== 200) throw new Error(`/feed.xml: ${first.statusCode} ${first.body}`);
      push(imports, size, host.importMs - bare.importMs);
      push(firsts, size, host.importMs + first.ms - bare.firstMs);
    }
  }
  for (const { size, env, counter } of served) {
    // One more cold start, its reads counted (not timed: the counter is a hop more).
    const counted = await startLambdaHost(feed.file, feed.exportName, {
      ...env,
      AWS_ENDPOINT_URL_DYNAMODB: counter.endpoint,
    });
    counter.seen.length = 0;
    const first = await counted.invoke({ path: "/feed.xml" });
    await counted.dispose();
    const text = Buffer.from(first.body, first.isBase64Encoded ? "base64" : "utf8");
    // The corpus's newest article (bench/index-corpus.ts: article 0 is the latest).
    if (first.statusCode !== 200 || !text.includes("/articles/article-0<"))
      throw new Error(`/feed.xml at ${size} does not start at article-0: ${first.statusCode}`);
    const bytes = counter.seen.reduce((n, c) => n + c.sent + c.received, 0);
    console.log(
      `  cold first /feed.xml reads at ${size}: ${counter.seen.length} DynamoDB requests (${[...new Set(counter.seen.map((c) => c.operation))].join(", ")}), ${(bytes / 1024).toFixed(1)} KB`,
    );
  }
  const small = SIZES[0] ?? 100;
  const importSmall = median0(imports.get(small));
  line("feed bundle import over bare node", ms(importSmall), "≤ 25 ms", importSmall <= 25);
  const coldSmall = median0(firsts.get(small));
  for (const { size } of served) {
    const cold = median0(firsts.get(size));
    line(
      `import + first /feed.xml over bare node at ${size}`,
      ms(cold),
      size === small ? "≤ 60 ms" : `≤ 1.3 × ${ms(coldSmall)}`,
      size === small ? cold <= 60 : cold <= 1.3 * coldSmall,
    );
  }

  for (const { size, env } of served) {
    const host = await startLambdaHost(feed.file, feed.exportName, env);
    try {
      const etag = String((await host.invoke({ path: "/feed.xml" })).headers.etag ?? "");
      for (const [name, headers, target] of [
        ["warm 200 identity", {}, 0.05],
        ["warm 200 gzip", { "accept-encoding": "gzip" }, 0.05],
        ["warm 200 br", { "accept-encoding": "br" }, 0.05],
        ["warm 304", { "if-none-match": etag }, 0.02],
      ] as const) {
        const { perCallMs } = await host.repeat({ path: "/feed.xml", headers }, 1_000, 9);
        line(`${name} at ${size}`, ms(perCallMs), `≤ ${target} ms`, perCallMs <= target);
      }
      let rss = 0;
      for (const path of [
        "/feed.xml",
        "/atom.xml",
        "/feed.json",
        "/",
        "/tags/topic-7/feed.xml",
        "/authors/author-3/feed.json",
        "/articles/article-5",
        "/opml.xml",
      ]) {
        const r = await host.invoke({ path });
        if (r.statusCode !== 200) throw new Error(`${path} at ${size}: ${r.statusCode}`);
        rss = Math.max(rss, r.rss);
      }
      let query = "";
      let pages = 0;
      for (; pages < 20; pages++) {
        const r = await host.invoke({ path: "/feed.xml", query });
        if (r.statusCode !== 200) throw new Error(`/feed.xml?${query} at ${size}: ${r.statusCode}`);
        rss = Math.max(rss, r.rss);
        const next = /<atom:link[^>]*rel="next"[^>]*href="[^"?]*\?([^"]+)"/.exec(
          Buffer.from(r.body, r.isBase64Encoded ? "base64" : "utf8").toString("utf8"),
        );
        if (!next?.[1]) break;
        query = next[1].replace(/&amp;/g, "&");
      }
      line(
        `feed function RSS at ${size} (tour + ${pages} pages)`,
        `${(rss / 1048576).toFixed(0)} MB`,
        "≤ 128 MB",
        size < 100_000 || rss <= 128 * 1048576,
      );
    } finally {
      await host.dispose();
    }
  }

  // The indexer: one edited article (S3 event through the queue) into each index, the sizes
  // interleaved change by change, one warm indexer process per size.
  const indexers = await Promise.all(
    served.map(({ corpus, counter }) =>
      startLambdaHost(indexer.file, indexer.exportName, {
        ...baseEnv(corpus.table, counter.endpoint),
        NODE_OPTIONS: "--enable-source-maps --max-old-space-size=768",
      }),
    ),
  );
  const times = new Map<number, number[]>();
  const requests = new Map<number, number[]>();
  const bytes = new Map<number, number[]>();
  const operations = new Map<number, Set<string>>();
  try {
    for (let r = 0; r <= RUNS; r++) {
      for (const [n, { size, counter }] of served.entries()) {
        const ihost = indexers[n] as LambdaHost;
        const i = Math.floor((r * size) / (RUNS + 1));
        const key = `${2000 + (i % 25)}/article-${i}.md`;
        const date = new Date(NOW - i * 3_600_000).toISOString();
        await s3.put(
          `${PREFIX}${key}`,
          articleFile({
            title: `Edited ${r}`,
            slug: `article-${i}`,
            date,
            tags: [`Topic ${i % 200}`],
            author: `Author ${i % 40}`,
          }),
        );
        counter.seen.length = 0;
        const record = s3Record(s3.bucket, `${PREFIX}${key}`);
        // Later than every sequencer the corpus was built with, as a new upload's would be.
        record.s3.object.sequencer = `1${String(r).padStart(20, "0")}`;
        const { result, ms: took } = await ihost.invokeEvent(sqsEvent([[record]]));
        const failures = (result as { batchItemFailures?: unknown[] }).batchItemFailures ?? [];
        if (failures.length)
          throw new Error(`indexer failed: ${JSON.stringify(ihost.logs().slice(-3))}`);
        // The first change warms the process (imports, connections): not counted.
        if (r === 0) continue;
        push(times, size, took);
        push(requests, size, counter.seen.length);
        push(
          bytes,
          size,
          counter.seen.reduce((x, c) => x + c.sent + c.received, 0),
        );
        const ops = operations.get(size) ?? new Set<string>();
        for (const c of counter.seen) ops.add(c.operation);
        operations.set(size, ops);
      }
    }
  } finally {
    await Promise.all(indexers.map((h) => h.dispose()));
  }
  for (const { size } of served) {
    const ops = [...(operations.get(size) ?? [])];
    if (ops.includes("Scan")) indexerScans++;
    const moved = bytes.get(size) ?? [];
    console.log(
      `  indexer: one article change at ${size}: ${ms(median0(times.get(size)))}, ${median0(requests.get(size))} DynamoDB requests (${ops.join(", ")}), ${(median(moved) / 1024).toFixed(1)} KB sent + received (most ${(Math.max(...moved) / 1024).toFixed(1)} KB)`,
    );
    indexerCost.set(size, median0(times.get(size)));
    indexerBytes.set(size, Math.max(...moved));
  }
} finally {
  await Promise.all([
    ...served.map(({ corpus, counter }) => Promise.all([corpus.stop(), counter.close()])),
    s3.dispose(),
  ]);
  // Never in place of the error that ended the run.
  await rm(scratch, { recursive: true, force: true, maxRetries: 3 }).catch((error) =>
    console.error(`  (could not remove ${scratch}: ${error})`),
  );
}
if (SIZES.length > 1) {
  const a = indexerCost.get(SIZES[0] ?? 0) ?? 0;
  const b = indexerCost.get(SIZES[1] ?? 0) ?? 0;
  line(
    `indexer one change, ${SIZES[1]} vs ${SIZES[0]}`,
    `×${(b / a).toFixed(2)}`,
    "≤ 1.5×",
    b <= 1.5 * a,
  );
  // A whole-index read or write at 100,000 articles moves hundreds of MB; one change's own
  // items are a few KB at any size.
  const x = indexerBytes.get(SIZES[0] ?? 0) ?? 0;
  const y = indexerBytes.get(SIZES[1] ?? 0) ?? 0;
  line(
    `indexer one change, DynamoDB bytes at ${SIZES[1]}`,
    `${(y / 1024).toFixed(1)} KB`,
    `≤ 2 × ${(x / 1024).toFixed(1)} KB, no Scan`,
    y <= 2 * x && indexerScans === 0,
  );
}
