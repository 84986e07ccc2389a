/**
 * One cold start in a fresh process, for the benchmark: builds the runtime on a folder or an S3
 * prefix, answers one request, then reports its time and the process's memory (after a full GC
 * when run with --expose-gc) as one JSON line. bench/run.ts bundles this file with esbuild and
 * runs it with plain `node`, so no TypeScript loader sits in the measured memory.
 */
import { loadConfig } from "../functions/config.ts";
import { memoryLogger } from "../functions/log.ts";
import { createRuntime } from "../functions/runtime.ts";
import { openStore } from "../functions/storage/open.ts";

export interface ProbeResult {
  status: number;
  /** Runtime creation + first request + reading its body, in ms. */
  firstMs: number;
  articles: number;
  heapUsedMB: number;
  rssMB: number;
  /** Highest RSS seen by the OS for this process (includes the load's transient peak). */
  maxRssMB: number;
}

async function main(): Promise<void> {
  const env = JSON.parse(process.argv[2] ?? "{}") as Record<string, string>;
  const path = process.argv[3] ?? "/feed.xml";
  const started = performance.now();
  const config = loadConfig({ SITE_URL: "https://news.example.com", ...env });
  const { app, local } = createRuntime(config, openStore(config), memoryLogger());
  const response = await app.request(path);
  await response.arrayBuffer();
  const firstMs = performance.now() - started;
  const articles = (await local.articles()).length;
  (globalThis as { gc?: () => void }).gc?.();
  const memory = process.memoryUsage();
  const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
  const result: ProbeResult = {
    status: response.status,
    firstMs,
    articles,
    heapUsedMB: mb(memory.heapUsed),
    rssMB: mb(memory.rss),
    maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
