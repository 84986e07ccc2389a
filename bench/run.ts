/**
 * `npm run bench`: every figure of Dateline's performance in one run, side by side with the
 * naive baseline and its target. Medians of many in-process iterations (hrtime), or of several
 * fresh runtimes / fresh processes for cold starts; never single runs.
 *
 *   npm run bench                   100, 1,000 and 10,000 articles (folder; the Lambda bundles:
 *                                   bench/lambda-cold.ts on dynalite + s3rver)
 *   npm run bench -- --full         also 100,000 articles (first run: ~10 min to upload/index)
 *   npm run bench -- --quick        fewer iterations (a smoke run)
 *   npm run bench -- --sizes=100,1000 --no-bundle
 *   npm run bench -- --load         the 30 s autocannon load test instead (bench/load.ts)
 *   npm run bench -- --index-sizes=100,10000 --start-sizes=100,10000 --file-sizes=100,10000
 *                   --runs=3        (bench/index.ts, bench/local-start.ts, bench/index-file.ts;
 *                                   --runs also bench/lambda-cold.ts)
 *
 * Corpora are generated deterministically (seed 1) and cached under .tmp/corpus. Timings are of this machine and only comparable within one run.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, readFileSync, statSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { build, type Metafile } from "esbuild";
import { loadConfig } from "../functions/config.ts";
import type { App } from "../functions/http/app.ts";
import { memoryLogger } from "../functions/log.ts";
import { createRuntime } from "../functions/runtime.ts";
import { FolderStore } from "../functions/storage/folder.ts";
import { BUNDLE_ALIASES } from "../infra/bundle/aliases.ts";
import { measureCompile } from "./compile.ts";
import { measureCompression } from "./compression.ts";
import { benchContent, printContent } from "./content.ts";
import { corpusFolder } from "./corpus.ts";
import { naiveHandler } from "./naive.ts";
import type { ProbeResult } from "./probe.ts";

// The SDK warns on Node 20 at every client creation (not at import); the figures are the point.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

if (process.argv.includes("--load")) {
  // bench/load.ts reads its own flags (--seconds, --connections, --articles).
  await import("./load.ts");
  process.exit(process.exitCode ?? 0);
}

const { values: flags } = parseArgs({
  options: {
    full: { type: "boolean", default: false },
    quick: { type: "boolean", default: false },
    sizes: { type: "string" },
    "no-bundle": { type: "boolean", default: false },
    // Read by the issue 10 benchmarks imported at the end.
    "index-sizes": { type: "string" },
    "start-sizes": { type: "string" },
    "file-sizes": { type: "string" },
    runs: { type: "string" },
  },
});

const SITE_URL = "https://news.example.com";
const SIZES = flags.sizes
  ? flags.sizes.split(",").map(Number)
  : flags.full
    ? [100, 1_000, 10_000, 100_000]
    : [100, 1_000, 10_000];
const WARM_ITERATIONS = flags.quick ? 300 : 3_000;
const TMP = join(process.cwd(), ".tmp", "bench");

// ---- measuring ------------------------------------------------------------------------------

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Median ms of `runs` calls (after `warmup` unmeasured ones). */
async function timed(fn: () => Promise<unknown>, runs: number, warmup = 0): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(samples);
}

/** Cold-start repetitions: fewer for big corpora, where one start takes seconds. */
function coldRuns(size: number): number {
  if (flags.quick) return 1;
  return size <= 1_000 ? 7 : size <= 10_000 ? 3 : 1;
}

interface Warm {
  ok200: number;
  notModified: number;
  gzip: number;
}

/** Warm figures of a loaded app: a cached 200, a 304 and a cached gzip 200 of /feed.xml. */
async function warm(app: App): Promise<Warm> {
  const first = await app.request("/feed.xml");
  const etag = first.headers.get("etag") ?? "";
  await first.arrayBuffer();
  const plain = new Request("http://localhost/feed.xml");
  const conditional = new Request("http://localhost/feed.xml", {
    headers: { "if-none-match": etag },
  });
  const gzip = new Request("http://localhost/feed.xml", { headers: { "accept-encoding": "gzip" } });
  const send = (request: Request, status: number) => async () => {
    const response = await app.fetch(request);
    if (response.status !== status) throw new Error(`expected ${status}, got ${response.status}`);
    await response.arrayBuffer();
  };
  const warmup = 1_000;
  return {
    ok200: await timed(send(plain, 200), WARM_ITERATIONS, warmup),
    notModified: await timed(send(conditional, 304), WARM_ITERATIONS, warmup),
    gzip: await timed(send(gzip, 200), WARM_ITERATIONS, warmup),
  };
}

async function firstResponse(app: App, path = "/feed.xml"): Promise<void> {
  const response = await app.request(path);
  if (response.status !== 200)
    throw new Error(`${path}: ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
}

// ---- fresh processes ------------------------------------------------------------------------

const BANNER =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/** Bundles like infra/stack.ts does (ESM, minified, node22, @aws-sdk/* external, BUNDLE_ALIASES). */
async function bundle(entry: string, outfile: string): Promise<Metafile> {
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    minify: true,
    external: ["@aws-sdk/*"],
    alias: { ...BUNDLE_ALIASES },
    banner: { js: BANNER },
    metafile: true,
    logLevel: "warning",
  });
  // md4w loads its WebAssembly from beside the module (infra/constructs/function.ts does the same).
  copyFileSync(
    join("node_modules", "md4w", "js", "md4w-small.wasm"),
    join(dirname(outfile), "md4w-small.wasm"),
  );
  return result.metafile;
}

/** Runs the bundled probe in a fresh `node --expose-gc` and parses its JSON line. */
function probe(env: Record<string, string>, extraEnv: Record<string, string> = {}): ProbeResult {
  const run = spawnSync(
    process.execPath,
    ["--expose-gc", join(TMP, "probe.mjs"), JSON.stringify(env)],
    {
      env: {
        PATH: process.env.PATH ?? "",
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
        ...extraEnv,
      },
      encoding: "utf8",
      maxBuffer: 1 << 20,
    },
  );
  const line = run.stdout.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(line) as ProbeResult;
  } catch {
    throw new Error(`probe failed (${run.status}): ${run.stderr.slice(0, 2000)}`);
  }
}

// ---- formatting -----------------------------------------------------------------------------

function ms(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return "-";
  if (value < 1) return `${value.toFixed(4)} ms`;
  if (value < 100) return `${value.toFixed(1)} ms`;
  if (value < 10_000) return `${Math.round(value)} ms`;
  return `${(value / 1000).toFixed(1)} s`;
}

const rows: { section: string; label: string; cells: Map<number, string>; target?: string }[] = [];
function row(section: string, label: string, target?: string) {
  const r = { section, label, cells: new Map<number, string>(), ...(target ? { target } : {}) };
  rows.push(r);
  return (size: number, text: string) => r.cells.set(size, text);
}
const verdicts: string[] = [];
function verdict(name: string, value: string, target: string, ok: boolean, why = "") {
  verdicts.push(
    `${ok ? "MET   " : "MISSED"} ${name}: ${value} (target ${target})${why ? ` — ${why}` : ""}`,
  );
}

function printTable(): void {
  const label = (r: (typeof rows)[number]) => `${r.section.padEnd(7)} ${r.label}`;
  const w0 = Math.max(...rows.map((r) => label(r).length)) + 2;
  const w = 18;
  const head = `${"".padEnd(w0)}${SIZES.map((s) => `${s.toLocaleString("en")} articles`.padStart(w)).join("")}   target`;
  console.log(head);
  console.log("-".repeat(head.length + 10));
  let section = "";
  for (const r of rows) {
    if (r.section !== section && section !== "") console.log("");
    section = r.section;
    const cells = SIZES.map((s) => (r.cells.get(s) ?? "-").padStart(w)).join("");
    console.log(`${label(r).padEnd(w0)}${cells}   ${r.target ?? ""}`);
  }
}

// ---- the benchmark --------------------------------------------------------------------------

const load = () =>
  loadavg()
    .map((n) => n.toFixed(1))
    .join(" ");
console.log(
  `Dateline bench — Node ${process.version}, ${process.platform}/${process.arch}, ${cpus().length} CPUs, load average ${load()}; ` +
    `warm = median of ${WARM_ITERATIONS} in-process app.fetch() calls, cold = median of fresh runtimes or processes`,
);

await bundle("bench/probe.ts", join(TMP, "probe.mjs"));

const folderCold = row("folder", "cold: runtime + first /feed.xml (in-process)");
const folderWarm200 = row("folder", "warm 200 /feed.xml", "≤ 0.1 ms");
const folderWarm304 = row("folder", "warm 304 (If-None-Match)", "≤ 0.05 ms");
const folderGzip = row("folder", "warm 200 gzip (cached)");
const folderCheck = row("folder", "check for changes (background on npm start)");
const naiveRow = row("naive", "per request (readdir+parse+marked+rss2)");
const naiveRatio = row("naive", "naive ÷ Dateline warm 200", "≥ 100× at 1,000");
const folderProc = row("folder", "fresh process: load + first response");
const folderMem = row("folder", "fresh process: heap / RSS after GC");

const warm200: Record<number, number> = {};
const warm304: Record<number, number> = {};
for (const size of SIZES) {
  const dir = await corpusFolder(size);
  const runtime = () => {
    const config = loadConfig({ CONTENT_DIR: dir, SITE_URL });
    return createRuntime(config, new FolderStore(dir), memoryLogger());
  };
  let loaded: ReturnType<typeof runtime> | undefined;
  folderCold(
    size,
    ms(
      await timed(async () => {
        loaded = runtime();
        await firstResponse(loaded.app);
      }, coldRuns(size)),
    ),
  );
  const app = (loaded as ReturnType<typeof runtime>).app;
  const w = await warm(app);
  warm200[size] = w.ok200;
  warm304[size] = w.notModified;
  folderWarm200(size, ms(w.ok200));
  folderWarm304(size, ms(w.notModified));
  folderGzip(size, ms(w.gzip));

  const naive = naiveHandler({ dir, siteUrl: SITE_URL, limit: 20 });
  const naiveMs = await timed(
    naive,
    flags.quick || size >= 100_000 ? 1 : size >= 10_000 ? 3 : 9,
    1,
  );
  naiveRow(size, ms(naiveMs));
  naiveRatio(size, `${Math.round(naiveMs / w.ok200).toLocaleString("en")}×`);
  if (size === 1_000) {
    const ratio = naiveMs / w.ok200;
    verdict("naive ÷ warm 200 at 1,000", `${Math.round(ratio)}×`, "≥ 100×", ratio >= 100);
  }
  // The periodic check for changes (list + compare; nothing changed). The local server runs it
  // in the background, so no request waits for it.
  const local = (loaded as ReturnType<typeof runtime>).local;
  folderCheck(
    size,
    ms(
      await timed(async () => {
        local.invalidate();
        await local.sync();
      }, coldRuns(size)),
    ),
  );
  loaded = undefined;

  const p = probe({ CONTENT_DIR: dir });
  folderProc(size, ms(p.firstMs));
  folderMem(size, `${p.heapUsedMB} / ${p.rssMB} MB`);
}

const smallest = Math.min(...SIZES);
const largest = Math.max(...SIZES);
const warmWorst = Math.max(...Object.values(warm200));
verdict("warm cached 200 (worst size)", ms(warmWorst), "≤ 0.1 ms", warmWorst <= 0.1);
{
  const worst304 = Math.max(...Object.values(warm304));
  verdict("warm 304 (worst size)", ms(worst304), "≤ 0.05 ms", worst304 <= 0.05);
}
{
  const ratio = (warm200[largest] ?? 0) / (warm200[smallest] ?? 1);
  verdict(
    `warm 200 at ${largest.toLocaleString("en")} ÷ at ${smallest}`,
    `${ratio.toFixed(2)}×`,
    "≤ 1.2× (stated at 100,000)",
    ratio <= 1.2,
  );
}

// ---- the Lambda bundle ----------------------------------------------------------------------

const bundleLines: string[] = [];
if (!flags["no-bundle"]) {
  const out = join(TMP, "lambda", "index.mjs");
  const meta = await bundle("functions/handlers/feed.ts", out);
  const bytes = statSync(out).size;
  const gz = gzipSync(readFileSync(out), { level: 9 }).byteLength;
  const byPackage = new Map<string, number>();
  for (const [path, input] of Object.entries(Object.values(meta.outputs)[0]?.inputs ?? {})) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? "(Dateline's own code)";
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + input.bytesInOutput);
  }
  const top = [...byPackage]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([name, n]) => `${name} ${(n / 1024).toFixed(1)}`)
    .join(", ");
  bundleLines.push(
    `bundle (esbuild as the stack: ESM, minified, node22, @aws-sdk/* external): ${(bytes / 1024).toFixed(1)} KB, ${(gz / 1024).toFixed(1)} KB gzipped  [target ≤ 150 KB]`,
    `  largest inputs (KB in the output): ${top}`,
  );
  verdict(
    "bundle size",
    `${(bytes / 1024).toFixed(1)} KB`,
    "≤ 150 KB",
    bytes <= 150 * 1024,
    "marked, js-yaml, hono and xss alone are ~130 KB",
  );

  // The feed bundle's cold start needs the index (INDEX_TABLE): bench/lambda-cold.ts, run at
  // the end, measures the synthesized bundle in fresh processes against dynalite and s3rver.
}

printTable();
// Issue 9: worst compile over the adversarial corpus, and memory under distinct cursors (in a
// fresh process: this one holds every corpus measured above).
const compileFigures = measureCompile();
console.log(
  `\ncompile, adversarial corpus (${compileFigures.cases} cases, ${compileFigures.refused} refused by a limit): worst ${compileFigures.worstCpuMs.toFixed(1)} ms CPU (${compileFigures.worstCase}), worst wall ${compileFigures.worstWallMs.toFixed(1)} ms  [target ≤ 200 ms]`,
);
verdict(
  "worst per-article compile (CPU)",
  ms(compileFigures.worstCpuMs),
  "≤ 200 ms",
  compileFigures.worstCpuMs <= 200,
);
for (const line of await measureCompression()) console.log(line);
const cursorRun = spawnSync(process.execPath, ["--import", "tsx", join("bench", "cursors.ts")], {
  encoding: "utf8",
});
console.log(cursorRun.stdout.trim() || cursorRun.stderr.trim());
const watchRun = spawnSync(process.execPath, ["--import", "tsx", join("bench", "watch.ts")], {
  encoding: "utf8",
});
console.log(watchRun.stdout.trim() || watchRun.stderr.trim());
printContent(await benchContent("content", flags.quick ? 5 : 30, flags.quick ? 300 : 2_000));
if (bundleLines.length) console.log(`\n${bundleLines.join("\n")}`);
// Issue 10, each figure beside its target (--full: at 100,000 articles too): the index's cost
// of one article change and of a page (bench/index.ts); the synthesized feed and indexer bundles
// in fresh processes against dynalite and s3rver (bench/lambda-cold.ts); npm start's first
// /feed.xml, cold and with its saved index (bench/local-start.ts), and that start's parts
// (list, compile + index, save, load, reconcile: bench/index-file.ts).
await import("./index.ts");
await import("./lambda-warm.ts");
await import("./lambda-cold.ts");
await import("./index-file.ts");
await import("./local-start.ts");
console.log(`\nTargets\n${verdicts.map((v) => `  ${v}`).join("\n")}`);
console.log(`(load average at the end: ${load()})`);
