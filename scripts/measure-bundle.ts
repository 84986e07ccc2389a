/**
 * Measures what `cdk deploy` would ship, to size the feed function (memory, timeout):
 *
 *   npx tsx scripts/measure-bundle.ts [--out <existing cdk.out>] [--runs 7] [--articles 200]
 *
 * - bundle size: index.mjs and its source map, raw, gzip -9, and as the zip Lambda receives;
 * - cold import of the bundled handler in a fresh `node` process (median wall time minus a
 *   bare `node` start), with and without the synthesized NODE_OPTIONS (--enable-source-maps);
 * - first request against s3rver in a fresh process per run, then warm requests, for the
 *   repository's content/ and a larger generated library: with the manifest the synthesized
 *   indexer writes (as deployed), and without one (list, read and parse every article).
 *
 * Timings are of this machine; Lambda gives a function CPU in proportion to its memory
 * (1 vCPU at 1,769 MB), so CPU-bound figures scale by about 1769 / memoryMB.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import {
  filesOf,
  linkNodeModules,
  locate,
  type Synthesized,
  startLambdaHost,
  synthesize,
  tempAssemblyDir,
} from "../tests/deploy/support.ts";
import { type S3rver, startS3rver } from "../tests/support/s3rver.ts";

// The SDK warns on Node 20 (Lambda runs 24); the notice would only clutter the table.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const { values: args } = parseArgs({
  options: {
    out: { type: "string" },
    runs: { type: "string", default: "7" },
    articles: { type: "string", default: "200" },
  },
});
const RUNS = Math.max(5, Number(args.runs));
const LIBRARY = Math.max(1, Number(args.articles));

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const ms = (x: number) => `${x.toFixed(0)} ms`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

function table(title: string, rows: [string, string][]): void {
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`\n${title}`);
  console.log(`| ${"what".padEnd(width)} | value |`);
  console.log(`|${"-".repeat(width + 2)}|-------|`);
  for (const [k, v] of rows) console.log(`| ${k.padEnd(width)} | ${v} |`);
}

/** Wall time of `node <args>` in ms, as a parent sees it (process start to exit). */
function wall(nodeArgs: string[], env: Record<string, string>, cwd: string): number {
  const started = performance.now();
  const run = spawnSync(process.execPath, nodeArgs, { env, cwd, encoding: "utf8" });
  const took = performance.now() - started;
  if (run.status !== 0) throw new Error(`node ${nodeArgs.join(" ")} failed: ${run.stderr}`);
  return took;
}

function sizes(synth: Synthesized): [string, string][] {
  const bundle = readFileSync(synth.feedFunction.bundleFile);
  const mapFile = `${synth.feedFunction.bundleFile}.map`;
  const map = readFileSync(mapFile);
  const zipDir = execFileSync("mktemp", ["-d"], { encoding: "utf8" }).trim();
  const zip = join(zipDir, "code.zip");
  // The same deflate zip the CDK CLI uploads for the asset (bundle + map).
  execFileSync("/usr/bin/python3", [
    "-c",
    "import sys,zipfile,os\nz=zipfile.ZipFile(sys.argv[1],'w',zipfile.ZIP_DEFLATED)\nfor f in sys.argv[2:]: z.write(f, os.path.basename(f))\nz.close()",
    zip,
    synth.feedFunction.bundleFile,
    mapFile,
  ]);
  const zipBytes = statSync(zip).size;
  execFileSync("rm", ["-rf", zipDir]);
  return [
    ["index.mjs", `${bundle.byteLength} B (${kb(bundle.byteLength)})`],
    ["index.mjs gzip -9", `${gzipSync(bundle, { level: 9 }).byteLength} B`],
    ["index.mjs.map", `${map.byteLength} B (${kb(map.byteLength)})`],
    ["deployment zip (bundle + map)", `${zipBytes} B (${kb(zipBytes)})`],
  ];
}

function lambdaEnv(synth: Synthesized, s3: S3rver | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(synth.feedFunction.environment)) {
    if (typeof value === "string") env[name] = value;
  }
  delete env.SITE_URL_PARAMETER;
  return {
    ...env,
    CONTENT_BUCKET: s3?.bucket ?? "dateline-test",
    SITE_URL: "https://dxxxx.cloudfront.net",
    TZ: ":UTC",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    ...(s3?.env ?? {}),
  };
}

function coldImport(synth: Synthesized): [string, string][] {
  const cwd = dirname(synth.feedFunction.bundleFile);
  const url = pathToFileURL(synth.feedFunction.bundleFile).href;
  const base: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    ...lambdaEnv(synth, undefined),
  };
  const withMaps = { ...base, NODE_OPTIONS: "--enable-source-maps" };
  const noMaps = { ...base };
  delete noMaps.NODE_OPTIONS;
  const importScript = ["--input-type=module", "-e", `await import(${JSON.stringify(url)})`];
  const bareScript = ["--input-type=module", "-e", ""];
  // One warm-up each so the OS file cache is in the same state for every measured run.
  wall(bareScript, noMaps, cwd);
  wall(importScript, withMaps, cwd);
  const bare: number[] = [];
  const plain: number[] = [];
  const maps: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    bare.push(wall(bareScript, noMaps, cwd));
    plain.push(wall(importScript, noMaps, cwd));
    maps.push(wall(importScript, withMaps, cwd));
  }
  return [
    [`bare node start (median of ${RUNS})`, ms(median(bare))],
    ["cold import, no source maps (minus bare start)", ms(median(plain) - median(bare))],
    [
      "cold import, NODE_OPTIONS=--enable-source-maps (as deployed)",
      ms(median(maps) - median(bare)),
    ],
  ];
}

/** n generated articles: the repository's, cycled, each with its own slug and date. */
function generated(files: [string, Uint8Array][], n: number): [string, Uint8Array][] {
  const markdown = files.filter(([key]) => key.endsWith(".md"));
  const out: [string, Uint8Array][] = [];
  for (let i = 0; i < n; i++) {
    const [, bytes] = markdown[i % markdown.length] as [string, Uint8Array];
    const day = new Date(Date.UTC(2020, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
    const text = Buffer.from(bytes)
      .toString("utf8")
      .replace(/^date: .*$/m, `date: ${day}`)
      .replace(/^slug: .*$/m, "");
    out.push([`gen/${String(i).padStart(4, "0")}.md`, Buffer.from(text, "utf8")]);
  }
  return out;
}

/**
 * `listing`: no manifest, the catalog lists and reads the bucket (CONTENT_MANIFEST unset).
 * `manifest`: the synthesized indexer bundle writes the manifest first (a rebuild), as in AWS.
 */
async function firstRequests(
  synth: Synthesized,
  label: string,
  objects: [string, Uint8Array][],
  mode: "listing" | "manifest",
): Promise<[string, string][]> {
  const s3 = await startS3rver();
  try {
    await s3.putMany(
      objects.map(([key, bytes]) => [`${synth.content.destinationPrefix}${key}`, bytes]),
    );
    const env = lambdaEnv(synth, s3);
    if (mode === "listing") delete env.CONTENT_MANIFEST;
    else await rebuildManifest(synth, s3);
    const importMs: number[] = [];
    const first: number[] = [];
    const second: number[] = [];
    const cached: number[] = [];
    const brotli: number[] = [];
    const rss: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const host = await startLambdaHost(
        synth.feedFunction.bundleFile,
        synth.feedFunction.exportName,
        env,
      );
      try {
        importMs.push(host.importMs);
        const a = await host.invoke({ path: "/feed.xml" });
        if (a.statusCode !== 200) throw new Error(`first request: ${a.statusCode} ${a.body}`);
        first.push(a.ms);
        second.push((await host.invoke({ path: "/atom.xml" })).ms);
        cached.push((await host.invoke({ path: "/feed.xml" })).ms);
        const br = await host.invoke({ path: "/feed.xml", headers: { "accept-encoding": "br" } });
        brotli.push(br.ms);
        rss.push(br.rss);
      } finally {
        await host.dispose();
      }
    }
    return [
      [`${label}: import() inside the process`, ms(median(importMs))],
      [`${label}: first request /feed.xml (cold catalog)`, ms(median(first))],
      [`${label}: next request /atom.xml (render only)`, ms(median(second))],
      [`${label}: repeat /feed.xml (cached)`, ms(median(cached))],
      [`${label}: first br-encoded /feed.xml (brotli q11)`, ms(median(brotli))],
      [`${label}: process RSS after these`, mb(median(rss))],
    ];
  } finally {
    await s3.dispose();
  }
}

/** Runs the synthesized indexer once with a rebuild request, as the hourly rule sends it. */
async function rebuildManifest(synth: Synthesized, s3: S3rver): Promise<void> {
  const indexer = synth.indexerFunction;
  if (!indexer) throw new Error("the stack has no indexer function");
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(indexer.environment)) {
    if (typeof value === "string") env[name] = value;
  }
  const host = await startLambdaHost(indexer.bundleFile, indexer.exportName, {
    ...env,
    CONTENT_BUCKET: s3.bucket,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    ...s3.env,
  });
  try {
    const { ms: took } = await host.invokeEvent({
      Records: [{ eventSource: "aws:sqs", body: JSON.stringify({ rebuild: true }) }],
    });
    process.stderr.write(`manifest rebuilt in ${ms(took)}\n`);
  } finally {
    await host.dispose();
  }
}

async function main(): Promise<void> {
  let outDir = args.out;
  let temp: string | undefined;
  if (!outDir) {
    temp = await tempAssemblyDir();
    outDir = temp;
    process.stderr.write(`synthesizing into ${outDir} ...\n`);
  }
  try {
    const synth = args.out ? await locate(outDir) : await synthesize(outDir);
    await linkNodeModules(outDir);
    console.log(
      `Feed function: ${synth.feedFunction.runtime}, ${synth.feedFunction.memorySize} MB, ${synth.feedFunction.timeout} s; node ${process.version} on this machine`,
    );
    table("Bundle size", sizes(synth));
    table("Cold import in a fresh node process", coldImport(synth));
    const content = await filesOf(synth.content.dir);
    const library = generated(content, LIBRARY);
    for (const mode of ["manifest", "listing"] as const) {
      const how =
        mode === "manifest"
          ? "manifest written by the indexer (as deployed)"
          : "no manifest: list + read every article";
      table(`First request against s3rver, ${how} (median of ${RUNS} fresh processes)`, [
        ...(await firstRequests(synth, `content/ (${content.length} files)`, content, mode)),
        ...(await firstRequests(synth, `${LIBRARY} articles`, library, mode)),
      ]);
    }
  } finally {
    if (temp) await rm(temp, { recursive: true, force: true });
  }
}

await main();
