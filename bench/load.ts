/**
 * Load test: `npm start` on a generated corpus, then autocannon for 30 s with a mix of plain 200s,
 * conditional 304s and gzip/br 200s over feeds, pages and articles, sampling the server process's
 * RSS every second. Passes when there are no errors, time-outs or non-200/304 answers and the RSS
 * after the run is within 10% of the RSS after warm-up.
 *
 *   npm run bench -- --load [--seconds=30] [--connections=32] [--articles=1000]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { corpusFolder } from "./corpus.ts";

const { values } = parseArgs({
  options: {
    load: { type: "boolean" },
    seconds: { type: "string", default: "30" },
    connections: { type: "string", default: "32" },
    articles: { type: "string", default: "1000" },
  },
  strict: false,
});
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const ARTICLES = Number(values.articles);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** Every process below `pid` (via /proc/<pid>/task/<tid>/children). */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const visit = (p: number) => {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const tid of tasks) {
      let children = "";
      try {
        children = readFileSync(`/proc/${p}/task/${tid}/children`, "utf8");
      } catch {
        continue;
      }
      for (const child of children.trim().split(/\s+/).filter(Boolean).map(Number)) {
        out.push(child);
        visit(child);
      }
    }
  };
  visit(pid);
  return out;
}

/** RSS in MB of a process, from /proc/<pid>/status. */
function rssMB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

/** The node process that runs functions/server.ts under `npm start` (npm → sh → tsx → node). */
function serverPid(npmPid: number): number | undefined {
  const candidates = descendants(npmPid).filter((pid) => {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      return cmd.includes("server.ts") && !cmd.includes("npm");
    } catch {
      return false;
    }
  });
  // tsx's CLI wraps the real server process; the server is the deepest, biggest one.
  return candidates.sort((a, b) => rssMB(b) - rssMB(a))[0];
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || !child.pid) return resolve();
    child.once("exit", () => resolve());
    process.kill(-child.pid, "SIGTERM"); // our own process group (npm and what it started)
    setTimeout(() => child.pid && process.kill(-child.pid, "SIGKILL"), 5_000).unref();
  });
}

const dir = await corpusFolder(ARTICLES);
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const npm = spawn("npm", ["start", "--silent"], {
  env: {
    ...process.env,
    CONTENT_DIR: dir,
    PORT: String(port),
    SITE_URL: "https://news.example.com",
  },
  stdio: ["ignore", "ignore", "pipe"],
  detached: true,
});
// The server's JSON log lines (warnings about generated articles) are kept for a failure only.
let serverLog = "";
npm.stderr?.on("data", (chunk: Buffer) => {
  serverLog = (serverLog + chunk.toString()).slice(-4_000);
});

try {
  const started = Date.now();
  for (;;) {
    try {
      const response = await fetch(`${base}/feed.xml`);
      await response.arrayBuffer();
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() - started > 600_000 || npm.exitCode !== null) {
      throw new Error(`npm start did not serve /feed.xml:\n${serverLog}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const pid = serverPid(npm.pid ?? 0);
  if (!pid) throw new Error("cannot find the server process under npm start");

  // Validators and paths for the mix.
  const feed = await fetch(`${base}/feed.json`);
  const json = (await feed.json()) as { items: { url: string; tags?: string[] }[] };
  const article = new URL(json.items[0]?.url ?? `${base}/`).pathname;
  const tag = encodeURIComponent(
    (json.items[0]?.tags?.[0] ?? "x").toLowerCase().replace(/[^a-z0-9]+/g, "-"),
  );
  const etag = async (path: string) => (await fetch(`${base}${path}`)).headers.get("etag") ?? "";
  const paths = ["/feed.xml", "/atom.xml", "/feed.json", "/", `/tags/${tag}/feed.xml`, article];
  const etags = Object.fromEntries(await Promise.all(paths.map(async (p) => [p, await etag(p)])));
  const requests = paths.flatMap((path): { path: string; headers: Record<string, string> }[] => [
    { path, headers: {} },
    { path, headers: { "if-none-match": String(etags[path] ?? "") } },
    { path, headers: { "accept-encoding": "gzip" } },
    { path, headers: { "accept-encoding": "br, gzip" } },
  ]);

  const run = (duration: number) =>
    autocannon({ url: base, connections: CONNECTIONS, duration, requests, timeout: 10 });

  await run(5); // warm-up: JIT, compressed variants, buffers
  const before = rssMB(pid);
  const samples: number[] = [];
  const sampler = setInterval(() => samples.push(rssMB(pid)), 1_000);
  const result = await run(SECONDS);
  clearInterval(sampler);
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const after = rssMB(pid);

  const statuses = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [
      code,
      (s as { count: number }).count,
    ]),
  ) as Record<string, number>;
  const unexpected = Object.entries(statuses)
    .filter(([code]) => code !== "200" && code !== "304")
    .reduce((n, [, count]) => n + count, 0);
  const growth = (after - before) / before;
  const report = {
    articles: ARTICLES,
    seconds: SECONDS,
    connections: CONNECTIONS,
    requests: result.requests.total,
    requestsPerSecond: Math.round(result.requests.average),
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    statuses,
    errors: result.errors,
    timeouts: result.timeouts,
    unexpected,
    rssMB: {
      afterWarmup: before,
      min: Math.min(...samples),
      max: Math.max(...samples),
      afterRun: after,
    },
  };
  await mkdir(join(process.cwd(), ".tmp", "bench"), { recursive: true });
  await writeFile(
    join(process.cwd(), ".tmp", "bench", "load.json"),
    `${JSON.stringify(report, null, 2)}\n`,
  );

  console.log(
    `Load: npm start on ${ARTICLES.toLocaleString("en")} articles, autocannon ${CONNECTIONS} connections × ${SECONDS} s, ` +
      `${requests.length} requests in rotation (200 / 304 / gzip / br over ${paths.length} paths)`,
  );
  console.log(
    `  ${report.requests.toLocaleString("en")} requests, ${report.requestsPerSecond.toLocaleString("en")}/s; latency p50 ${report.latencyMs.p50} ms, p99 ${report.latencyMs.p99} ms, max ${report.latencyMs.max} ms`,
  );
  console.log(
    `  statuses ${JSON.stringify(statuses)}; errors ${result.errors}, time-outs ${result.timeouts}, other statuses ${unexpected}  [target 0]`,
  );
  console.log(
    `  server RSS: ${before} MB after warm-up, ${report.rssMB.min}–${report.rssMB.max} MB during, ${after} MB after (${(growth * 100).toFixed(1)}%)  [target flat: within 10%]`,
  );
  const ok =
    result.errors === 0 && result.timeouts === 0 && unexpected === 0 && Math.abs(growth) <= 0.1;
  console.log(`  ${ok ? "MET" : "MISSED"}`);
  process.exitCode = ok ? 0 : 1;
} finally {
  await stop(npm);
}
