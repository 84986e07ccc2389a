/**
 * The local server's watcher under a burst: 4,000 files in one folder touched at once (by a
 * separate `touch` process) while requests for /feed.xml run every 20 ms; prints the slowest
 * request and the longest event-loop stall, and the same with no change as the floor. In
 * process: the app and the watcher as functions/server.ts wires them.
 *
 *   npx tsx bench/watch.ts      (also printed by `npm run bench`, in its own process)
 */
import { spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { loadConfig } from "../functions/config.ts";
import { memoryLogger } from "../functions/log.ts";
import { createRuntime } from "../functions/runtime.ts";
import { FolderStore } from "../functions/storage/folder.ts";
import { watchFolder } from "../functions/storage/watch.ts";

const FILES = 4_000;
const dir = join(process.cwd(), ".tmp", "watch-bench");
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
for (let i = 0; i < FILES; i++)
  writeFileSync(
    join(dir, `n${i}.md`),
    `---\ntitle: Note ${i}\ndate: 2024-01-01\n---\n\nNote ${i}.\n`,
  );
const config = loadConfig({ SITE_URL: "https://news.example.com", CONTENT_DIR: dir });
const log = memoryLogger();
const { app, local } = createRuntime(config, new FolderStore(dir), log, Date.now, {
  background: true,
  forcedWaitMs: 50,
});
await local.sync();
const stop = watchFolder(
  dir,
  () => {
    local.invalidate();
    void local.sync().catch(() => {});
  },
  log,
);
await new Promise((resolve) => setTimeout(resolve, 1_000));

async function probe(ms: number): Promise<{ worst: number; stall: number }> {
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  let worst = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const started = performance.now();
    await (await app.request("/feed.xml")).arrayBuffer();
    worst = Math.max(worst, performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  delay.disable();
  return { worst, stall: delay.max / 1e6 };
}

const quiet = await probe(2_000);
spawn("sh", ["-c", `touch ${dir}/*.md`], { stdio: "ignore" });
const burst = await probe(5_000);
await stop();
rmSync(dir, { recursive: true, force: true });
console.log(
  `watcher: ${FILES} files touched in one folder: slowest request ${burst.worst.toFixed(0)} ms, longest event-loop stall ${burst.stall.toFixed(0)} ms (no change: ${quiet.worst.toFixed(0)} ms / ${quiet.stall.toFixed(0)} ms)  [target ≤ 100 ms]`,
);
process.exit(0);
