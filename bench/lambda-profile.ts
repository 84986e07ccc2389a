/**
 * Where a cold feed function spends its time: the synthesized feed bundle in fresh processes
 * under `node --cpu-prof` (tests/deploy/lambda-host.mjs, as bench/lambda-cold.ts runs it) on the
 * cached corpus of `--size` articles (bench/corpus-cache.ts), importing and answering one
 * /feed.xml; self time summed over the runs by original source (through the bundle's source map)
 * and by function.
 *
 *   npx tsx bench/lambda-profile.ts [--size 100000] [--runs 5] [--top 25] [--keep <empty dir>]
 */
import { fork } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { SourceMap } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { bundleFor } from "../tests/deploy/bundles.ts";
import { httpEvent, linkNodeModules } from "../tests/deploy/support.ts";
import { sharedSynth } from "../tests/deploy/synth-cache.ts";
import { S3RVER_CREDENTIALS, startS3rver } from "../tests/support/s3rver.ts";
import { corpusServer } from "./corpus-cache.ts";

const { values: args } = parseArgs({
  options: {
    size: { type: "string", default: "100000" },
    runs: { type: "string", default: "5" },
    top: { type: "string", default: "25" },
    keep: { type: "string" },
  },
});
const SIZE = Number(args.size);
const HOST = fileURLToPath(new URL("../tests/deploy/lambda-host.mjs", import.meta.url));
const RUNS = Number(args.runs);

interface Profile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  }[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * tests/deploy/lambda-host.mjs under --cpu-prof (not allowed in NODE_OPTIONS, so not through
 * startLambdaHost): the import, one invocation, then exit (which writes the profile).
 */
async function profiledHost(bundle: string, exportName: string, env: Record<string, string>) {
  const child = fork(HOST, [bundle, exportName], {
    cwd: dirname(bundle),
    execArgv: ["--cpu-prof", "--cpu-prof-interval=100", `--cpu-prof-dir=${profiles}`],
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  type Message = { type: string; importMs?: number; ms?: number; result?: { statusCode?: number } };
  const next = () =>
    new Promise<Message>((resolve, reject) => {
      child.once("message", (m) => resolve(m as Message));
      child.once("exit", (code) => reject(new Error(`the host exited (${code})`)));
    });
  const ready = await next();
  if (ready.type !== "ready") throw new Error(`the host failed: ${JSON.stringify(ready)}`);
  return {
    importMs: ready.importMs ?? 0,
    async first(path: string): Promise<number> {
      const answer = next();
      child.send({ type: "invoke", id: 1, event: httpEvent({ path }) });
      const m = await answer;
      if (m.type !== "result" || m.result?.statusCode !== 200)
        throw new Error(`${path}: ${JSON.stringify(m).slice(0, 300)}`);
      return m.ms ?? 0;
    },
    exit: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.disconnect();
      }),
  };
}

const scratch = await mkdtemp(join(tmpdir(), "dateline-bench-profile-"));
const profiles = args.keep ?? join(scratch, "profiles");
const synth = await sharedSynth();
await linkNodeModules(synth.outDir);
const feed = await bundleFor(synth.feedFunction, "functions/handlers/feed.ts", scratch);
const s3 = await startS3rver();
const corpus = await corpusServer(SIZE, scratch);
const walls: number[] = [];
try {
  for (let r = 0; r < RUNS; r++) {
    const host = await profiledHost(feed.file, feed.exportName, {
      TZ: ":UTC",
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: corpus.db.endpoint,
      SITE_URL: "https://news.example.com",
      INDEX_TABLE: corpus.table,
      CONTENT_BUCKET: s3.bucket,
      CONTENT_PREFIX: "articles/",
      ORIGIN_AUTH: "iam",
      REVALIDATE_SECONDS: "60",
      NODE_OPTIONS: "--enable-source-maps",
    });
    walls.push(host.importMs + (await host.first("/feed.xml")));
    await host.exit();
  }
} finally {
  await Promise.all([corpus.stop(), s3.dispose()]);
  // A failed run leaves nothing behind either.
  if (walls.length < RUNS) await rm(scratch, { recursive: true, force: true, maxRetries: 3 });
}

const map = new SourceMap(JSON.parse(readFileSync(`${feed.file}.map`, "utf8")));
const bundleUrl = `file://${feed.file}`;
const bySource = new Map<string, number>();
const byFunction = new Map<string, number>();
let total = 0;
const add = (m: Map<string, number>, k: string, us: number) => m.set(k, (m.get(k) ?? 0) + us);
const files = readdirSync(profiles).filter((f) => f.endsWith(".cpuprofile"));
for (const file of files) {
  const profile = JSON.parse(readFileSync(join(profiles, file), "utf8")) as Profile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const frame = nodes.get(id);
    if (!frame) return;
    total += us;
    let source = frame.url || `(${frame.functionName || "native"})`;
    let name = frame.functionName || "(anonymous)";
    if (frame.url === bundleUrl) {
      const entry = map.findEntry(frame.lineNumber, frame.columnNumber);
      source =
        "originalSource" in entry
          ? entry.originalSource.replace(/^.*?\/(?=functions\/|node_modules\/)/, "")
          : source;
      if ("name" in entry && typeof entry.name === "string" && entry.name) name = entry.name;
    } else source = source.replace(/^file:\/\/.*\/node_modules\//, "node_modules/");
    add(bySource, source, us);
    add(byFunction, `${name} (${source})`, us);
  });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const top = (m: Map<string, number>) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, Number(args.top))
    .map(([k, us]) => `  ${(us / 1000 / files.length).toFixed(1).padStart(7)} ms  ${k}`)
    .join("\n");
console.log(
  `\nCold feed function at ${SIZE} articles: import + first /feed.xml ${median(walls).toFixed(1)} ms (median of ${RUNS}, profiled); sampled CPU ${(total / 1000 / files.length).toFixed(1)} ms per process`,
);
console.log(`\nself time per process, by source\n${top(bySource)}`);
console.log(`\nself time per process, by function\n${top(byFunction)}`);
await rm(scratch, { recursive: true, force: true, maxRetries: 3 });
