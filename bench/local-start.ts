/**
 * `npm start` at scale: the local server (node + tsx functions/server.ts, as `npm start` runs
 * it) in a fresh process on a generated folder of 100 articles (and 100,000 with --full), timed
 * from spawn to the first 200 of /feed.xml:
 *
 * - cold: no state folder, so no saved index (every article compiled);
 * - warm: a restart after the server saved its index (only changed files compiled);
 * - warm after one edit made while stopped (that file compiled, the rest loaded).
 *
 * A saved index is served as soon as it is loaded; the check of the folder runs behind it, so
 * each start also prints when that check ended (from then on what changed while stopped is
 * served), the server's own CPU to its first feed (the figure to compare on a busy machine),
 * and whether a restart over an unchanged folder wrote the index again (it should not).
 *
 * Each figure beside its target (issue 10: first /feed.xml at 100,000 articles ≤ 5 s), with
 * the server's RSS after the first feed.
 *
 *   npx tsx bench/local-start.ts [--full] [--start-sizes=100,10000] [--runs=3]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, utimesSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { corpusFolder } from "./corpus.ts";

const { values: args } = parseArgs({
  options: {
    full: { type: "boolean", default: false },
    quick: { type: "boolean", default: false },
    "start-sizes": { type: "string" },
    runs: { type: "string" },
  },
  strict: false,
});
const SIZES =
  typeof args["start-sizes"] === "string"
    ? args["start-sizes"].split(",").map(Number)
    : args.full
      ? [100, 100_000]
      : [100];
const TARGET_MS = 5_000;
/** The cold start compiles everything: minutes at 100,000 on a slow machine. */
const START_LIMIT_MS = 20 * 60_000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const seconds = (x: number) => (x < 10_000 ? `${Math.round(x)} ms` : `${(x / 1000).toFixed(1)} s`);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

interface Started {
  child: ChildProcess;
  firstMs: number;
  rssMB: number;
  /** The server's own CPU (user + system) up to its first feed, ms. */
  cpuMs: number;
  output: () => string;
  /** Ms from spawn to the end of the first folder check ("articles loaded"): up to date. */
  checked: () => Promise<number>;
}

/** Spawns the server and waits for the first 200 of /feed.xml (polling every 25 ms). */
async function start(dir: string, state: string): Promise<Started> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, ["--import", "tsx", "functions/server.ts"], {
    env: {
      PATH: process.env.PATH ?? "",
      CONTENT_DIR: dir,
      SITE_URL: "https://news.example.com",
      PORT: String(port),
      HOST: "127.0.0.1",
      STATE_FILE: join(state, "state.json"),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let checkedMs: number | undefined;
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
    if (checkedMs === undefined && output.includes('"articles loaded"'))
      checkedMs = performance.now() - t0;
  };
  const checked = async () => {
    while (
      checkedMs === undefined &&
      child.exitCode === null &&
      performance.now() - t0 < START_LIMIT_MS
    )
      await new Promise((resolve) => setTimeout(resolve, 25));
    return checkedMs ?? Number.NaN;
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const url = `http://127.0.0.1:${port}/feed.xml`;
  while (performance.now() - t0 < START_LIMIT_MS) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}):\n${output}`);
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status === 200) {
        const firstMs = performance.now() - t0;
        const cpuMs = cpuOf(child.pid);
        return { child, firstMs, rssMB: rssOf(child.pid), cpuMs, output: () => output, checked };
      }
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  child.kill("SIGKILL");
  throw new Error(`no 200 from /feed.xml within ${START_LIMIT_MS} ms:\n${output}`);
}

function rssOf(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
  } catch {
    return 0;
  }
}

/** User + system CPU of a process so far, ms (Linux: /proc/<pid>/stat, in clock ticks of 10 ms). */
function cpuOf(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** SIGTERM (the server saves what is pending), then waits for the exit. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  await exited;
  clearTimeout(timer);
}

/** Some article of the folder (the corpus nests them by year and month). */
function firstArticle(dir: string): string {
  const found = readdirSync(dir, { recursive: true, encoding: "utf8" }).find((name) =>
    name.endsWith(".md"),
  );
  if (!found) throw new Error(`no article in ${dir}`);
  return found;
}

/** Files the server keeps in its state folder, other than the state file itself. */
const saved = (state: string) =>
  existsSync(state) ? readdirSync(state).filter((name) => !name.startsWith("state.json")) : [];

console.log(
  "\nnpm start (issue 10), a fresh server process per figure, spawn → first 200 /feed.xml",
);
interface Figures {
  first: number[];
  cpu: number[];
  checked: number[];
  rss: number;
}
const figures = (): Figures => ({ first: [], cpu: [], checked: [], rss: 0 });
/** Records a start's figures, once its first folder check has ended. */
async function record(into: Figures, server: Started): Promise<void> {
  into.first.push(server.firstMs);
  into.cpu.push(server.cpuMs);
  into.rss = server.rssMB;
  into.checked.push(await server.checked());
}

for (const size of SIZES) {
  const dir = await corpusFolder(size);
  const runs = Number(args.runs ?? (args.quick || size >= 10_000 ? 1 : 3));
  const cold = figures();
  const warm = figures();
  const edited = figures();
  let files: string[] = [];
  let resaved = false;
  for (let r = 0; r < runs; r++) {
    const state = await mkdtemp(join(tmpdir(), "dateline-bench-start-"));
    try {
      const first = await start(dir, state);
      await record(cold, first);
      // Let the server finish its start (and its background save), then stop it.
      await waitForSave(first, state);
      await stop(first.child);
      files = saved(state);
      const second = await start(dir, state);
      await record(warm, second);
      // Nothing changed while stopped: nothing to save (a save at 100,000 is a minute of CPU).
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      resaved ||= /index file saved/.test(second.output());
      await stop(second.child);
      // One file edited while stopped: a new mtime is a new listed version.
      const touched = join(dir, firstArticle(dir));
      const when = new Date(Date.now() - 1_000 * r);
      utimesSync(touched, when, when);
      const third = await start(dir, state);
      await record(edited, third);
      await waitForSave(third, state);
      await stop(third.child);
    } finally {
      await rm(state, { recursive: true, force: true });
    }
  }
  const label = `${size.toLocaleString("en")} articles`;
  const target = size >= 100_000 ? `≤ ${TARGET_MS / 1000} s at 100,000` : "-";
  const met = (x: number) => (size >= 100_000 ? (x <= TARGET_MS ? " met" : " NOT met") : "");
  const line = (name: string, f: Figures) => {
    const first = median(f.first);
    console.log(
      `  ${label}: ${name} ${seconds(first)} (server CPU ${seconds(median(f.cpu))}), RSS ${f.rss} MB, folder checked at ${seconds(median(f.checked))}  [target ${target}]${met(first)}`,
    );
  };
  line("cold (no saved index)", cold);
  line(`warm (saved index: ${files.join(", ") || "none written"})`, warm);
  console.log(
    `  ${label}: warm start over an unchanged folder saved the index again: ${resaved ? "yes" : "no"}  [target no]`,
  );
  line("warm after one file edited while stopped", edited);
}

/**
 * Waits until the state folder holds a saved index and no save is in progress (no temporary
 * file): the server's own "index file saved" line, or the same files for 3 s. Gives up after
 * 30 s if none ever appears (a server that keeps no index file) and after 10 minutes in any case.
 */
async function waitForSave(server: Started, state: string): Promise<void> {
  const t0 = performance.now();
  let last = "";
  let stableSince = performance.now();
  while (performance.now() - t0 < 10 * 60_000) {
    const names = saved(state);
    const saving = names.some((name) => name.endsWith(".tmp"));
    const now = names
      .map((name) => `${name}:${statSync(join(state, name), { throwIfNoEntry: false })?.size}`)
      .join(",");
    if (now === "" && performance.now() - t0 > 30_000) return;
    if (!saving && now !== "" && /index file saved/.test(server.output())) return;
    if (now !== last) {
      last = now;
      stableSince = performance.now();
    } else if (!saving && now !== "" && performance.now() - stableSince > 3_000) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
