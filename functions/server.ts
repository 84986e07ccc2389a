import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { type Http2Bindings, type HttpBindings, serve } from "@hono/node-server";
import { type Config, loadConfig } from "./config.ts";
import { ConfigError } from "./errors.ts";
import { compilePool } from "./index/compile-pool.ts";
import { MemoryTable } from "./index/table.ts";
import { indexFingerprint, TableCache } from "./index/table-cache.ts";
import { LocalBlobs } from "./index/table-file.ts";
import { jsonLogger } from "./log.ts";
import { createRuntime } from "./runtime.ts";
import { openStore } from "./storage/open.ts";
import { StateFile } from "./storage/state-file.ts";
import { watchFolder } from "./storage/watch.ts";
import { indexNotifier } from "./websub/notify.ts";

/**
 * Over a saved index, the first check of the folder starts this long after the start: the first
 * requests, served from the index file, get the CPU (at 100,000 files the check is seconds of it).
 */
const FIRST_CHECK_AFTER_MS = 1_000;

/**
 * A check that compiles this many files or more (the first start with no saved index) spreads
 * the compiling over worker threads, one per core: the main thread's share (reading the files)
 * is a third of a worker's (measured at 10,000 files), so it needs no core of its own. Each worker
 * loads its own Markdown and sanitizer: at most 8.
 */
const PARALLEL_MIN_FILES = 500;
const cores = availableParallelism();
const COMPILE_THREADS = cores > 1 ? Math.min(cores, 8) : 0;

/** Local adapter: the same app on Node's HTTP server, reloading content when files change. */
async function main(): Promise<void> {
  const log = jsonLogger();
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const store = openStore(config, log);
  // Timed checks in the background: a request never waits for a folder scan (seconds at
  // 100,000 files). A request waits at most 50 ms for a check the watcher forced (a small change
  // shows at once; thousands of changed files never hold a request up).
  // Survives restarts: when each feed's bytes were first served, and the compiled index (a
  // restart compiles only what changed, and keeps each edit's date).
  const state = new StateFile(config.stateFile, log);
  let busy = () => false;
  const table = new MemoryTable();
  const blobs = new LocalBlobs();
  const cache = new TableCache({
    path: join(dirname(config.stateFile), "index.bin"),
    // Of this folder (or bucket) only: a file another folder's server saved is not served.
    fingerprint: indexFingerprint({
      siteUrl: config.siteUrl,
      preview: config.previewDrafts,
      store: store.location,
    }),
    log,
    table,
    blobs,
    busy: () => busy(),
  });
  // Preview marks depend on the clock at compile time: a preview compiles afresh every start.
  // A saved index is served at once; the first check of the folder runs behind it (what changed
  // while the server was stopped shows when that check ends, seconds at 100,000 files).
  const fromFile = !config.previewDrafts && (await cache.load()).fromFile;
  const { app, local } = createRuntime(config, store, log, Date.now, {
    background: true,
    forcedWaitMs: 50,
    served: state.served,
    table,
    blobs,
    loaded: fromFile,
    firstCheckAfterMs: FIRST_CHECK_AFTER_MS,
    ...(COMPILE_THREADS > 0
      ? {
          parallel: {
            minFiles: PARALLEL_MIN_FILES,
            open: () => compilePool(COMPILE_THREADS),
          },
        }
      : {}),
  });
  busy = () => local.busy;
  // Saved only when something changed: a restart over an unchanged folder writes nothing.
  if (!config.previewDrafts) {
    local.onLoad((result) => {
      if (!fromFile || result.outcome === "applied") cache.changed();
    });
    local.onChange(() => cache.changed());
  }
  // With HUB_URL, the hub hears about every feed that changed: after the watcher reloads, and on
  // a timer for what no file event announces (a future-dated article going live, an S3 store).
  if (config.hubUrl)
    local.onChange(indexNotifier({ siteUrl: config.siteUrl, hubUrl: config.hubUrl, log }));
  const sync = () =>
    local
      .sync()
      .catch((error: Error) =>
        log.error("articles could not be checked", { reason: error.message }),
      );
  setInterval(() => void sync(), Math.max(config.revalidateSeconds, 5) * 1000).unref();
  const recheck = () => {
    local.invalidate();
    void sync();
  };
  // The watcher starts after the first check: setting it up stats every file (~20 s of CPU at
  // 100,000 files), which must not hold the first requests up. Once it watches everything, one
  // more check finds what changed in between.
  const watch = () => {
    if (config.store.kind === "folder") watchFolder(config.store.dir, recheck, log, recheck);
  };

  // One request log line per request: `npm run subscribers` counts subscribers from these.
  const fetch = async (request: Request, env: HttpBindings | Http2Bindings) => {
    const response = await app.fetch(request);
    log.info("request", {
      time: new Date().toISOString(),
      method: request.method,
      path: new URL(request.url).pathname,
      status: response.status,
      ip: env.incoming?.socket.remoteAddress ?? "",
      userAgent: request.headers.get("user-agent") ?? "",
    });
    return response;
  };
  const server = serve({ fetch, port: config.port, hostname: config.host }, (info) => {
    // Loopback by default: a development server is not for the network unless HOST says so.
    const shown = config.host.includes(":") ? `[${config.host}]` : config.host;
    log.info("Dateline is serving", {
      url: `http://${shown}:${info.port}`,
      siteUrl: config.siteUrl,
      store: store.location,
      ...(config.previewDrafts
        ? { preview: "drafts and future-dated articles shown, marked" }
        : {}),
    });
  });
  // Load the articles now so the first request is already warm and problems show at start-up;
  // over a saved index, a moment later (the first requests are served from it meanwhile).
  const firstCheck = new Promise<void>((resolve) => {
    setTimeout(resolve, fromFile ? FIRST_CHECK_AFTER_MS : 0);
  });
  firstCheck
    .then(() => local.sync())
    .then(() => local.settled())
    .then(
      () => log.info("articles loaded", { store: store.location }),
      (error: Error) => log.error("articles could not be loaded yet", { reason: error.message }),
    )
    .finally(watch);
  // Open keep-alive connections (or a request stuck on a bad file) must not keep a stopped
  // server alive: give in-flight requests a moment, then exit.
  // The index file is saved first (a minute at 100,000 articles: cut off, the next start
  // would compile everything again); a second signal exits at once.
  let stopping = false;
  const stop = () => {
    if (stopping) process.exit(0);
    stopping = true;
    state.flush();
    server.close();
    if ("closeIdleConnections" in server) server.closeIdleConnections();
    const saved = config.previewDrafts ? Promise.resolve() : cache.flush();
    void saved.finally(() => {
      // In-flight requests get a moment once the file is safe.
      setTimeout(() => process.exit(0), 500).unref();
      server.close(() => process.exit(0));
    });
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

void main();
