/**
 * A real S3-compatible server (s3rver) for tests, run as a child process.
 *
 *   const s3 = await startS3rver();           // temp dir, free port on 127.0.0.1, bucket created
 *   await s3.put("articles/a.md", "# Hi");
 *   await s3.stop();  await s3.start();       // outage and recovery: same port, same data
 *   await s3.dispose();                       // in afterAll: stops it and deletes the temp dir
 *
 * Other code under test can reach it through `s3.env` (AWS_ENDPOINT_URL_S3 plus the only
 * credentials s3rver accepts).
 */
import { type ChildProcess, fork } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { awsRequest } from "../../functions/aws/request.ts";
import { S3 } from "../../functions/aws/s3.ts";
import { encodeRfc3986 } from "../../functions/aws/signer.ts";

const RUNNER = fileURLToPath(new URL("./s3rver-process.mjs", import.meta.url));
const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;

/** s3rver accepts only this access key id; the secret is not checked. */
export const S3RVER_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;
export const S3RVER_REGION = "us-east-1";

/** One request as the server saw it (recorded when the response finished). */
export interface S3rverRequest {
  method: string;
  /** Path and query, e.g. `/bucket/articles/a.md` or `/bucket?list-type=2&prefix=...`. */
  url: string;
  status: number;
  ifNoneMatch: string | null;
}

export interface S3rverOptions {
  /** Bucket created before the server accepts requests. Default `dateline-test`. */
  bucket?: string;
  /** Fixed port; default 0 (a free one, kept for restarts). */
  port?: number;
}

export interface S3rver {
  /** `http://127.0.0.1:<port>`; stays the same across stop()/start(). */
  readonly endpoint: string;
  readonly port: number;
  readonly bucket: string;
  /** The temp directory holding the objects (deleted by dispose()). */
  readonly directory: string;
  /** Environment for code that builds its own client: endpoint, region and credentials. */
  readonly env: Readonly<Record<string, string>>;
  readonly running: boolean;
  /** Uploads one object into the bucket; strings are stored as UTF-8. */
  put(key: string, body: string | Uint8Array, contentType?: string): Promise<void>;
  /** Uploads many objects with bounded parallelism (default 32 at a time). */
  putMany(
    objects: Iterable<readonly [key: string, body: string | Uint8Array]>,
    concurrency?: number,
  ): Promise<void>;
  remove(key: string): Promise<void>;
  /** Requests served since start (or since the last clearRequests()) by the current process. */
  requests(): Promise<S3rverRequest[]>;
  /** Empties the request log (answered by the server process before it resolves). */
  clearRequests(): Promise<void>;
  /** Stops the server process (connections are dropped); the data directory stays. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same directory. */
  start(): Promise<void>;
  /** stop() if running and delete the temp directory. Idempotent. */
  dispose(): Promise<void>;
}

// Whatever a test forgets to dispose is removed when the worker exits.
const live = new Set<{ child: ChildProcess | undefined; directory: string }>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const entry of live) {
      entry.child?.kill("SIGKILL");
      rmSync(entry.directory, { recursive: true, force: true });
    }
  });
}

interface Spawned {
  child: ChildProcess;
  port: number;
}

function spawnServer(directory: string, port: number, bucket: string): Promise<Spawned> {
  const env = { ...process.env };
  // Whatever loaders the test runner put there are not needed by s3rver.
  delete env.NODE_OPTIONS;
  const child = fork(RUNNER, [JSON.stringify({ directory, port, bucket })], {
    execArgv: ["--openssl-legacy-provider"],
    env,
    stdio: ["ignore", "ignore", "pipe", "ipc"],
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    if (stderr.length < 8_000) stderr += chunk;
  });

  return new Promise<Spawned>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      finish(new Error(`s3rver did not become ready within ${READY_TIMEOUT_MS} ms. ${stderr}`));
    }, READY_TIMEOUT_MS);
    const onMessage = (message: unknown) => {
      const m = message as { type?: string; port?: number; code?: string; message?: string };
      if (m.type === "ready" && typeof m.port === "number") {
        finish(undefined, { child, port: m.port });
      } else if (m.type === "failed") {
        const error = new Error(`s3rver failed to start: ${m.message ?? "unknown"}`);
        (error as Error & { code?: string }).code = m.code ?? undefined;
        finish(error);
      }
    };
    const onExit = (code: number | null, signal: string | null) => {
      finish(new Error(`s3rver exited before it was ready (code ${code}, ${signal}). ${stderr}`));
    };
    const onError = (error: Error) => finish(error);
    let done = false;
    function finish(error: Error | undefined, value?: Spawned) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
      child.off("error", onError);
      if (error) {
        child.kill("SIGKILL");
        reject(error);
      } else if (value) {
        resolve(value);
      }
    }
    child.on("message", onMessage);
    child.once("exit", onExit);
    child.once("error", onError);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    if (child.connected) child.send({ type: "stop" });
    else child.kill("SIGTERM");
  });
}

export async function startS3rver(options: S3rverOptions = {}): Promise<S3rver> {
  installExitHook();
  const bucket = options.bucket ?? "dateline-test";
  const directory = await mkdtemp(join(tmpdir(), "dateline-s3rver-"));
  const entry: { child: ChildProcess | undefined; directory: string } = {
    child: undefined,
    directory,
  };
  live.add(entry);

  let spawned: Spawned;
  try {
    spawned = await spawnServer(directory, options.port ?? 0, bucket);
  } catch (error) {
    live.delete(entry);
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  entry.child = spawned.child;
  const port = spawned.port;
  const endpoint = `http://127.0.0.1:${port}`;
  let disposed = false;
  let logRequestId = 0;

  const current = (): ChildProcess | undefined => {
    const child = entry.child;
    return child && child.exitCode === null && child.signalCode === null ? child : undefined;
  };

  /** Round trip to the server process, so that everything sent before is already handled. */
  const askLog = (type: "log" | "clear-log"): Promise<S3rverRequest[]> => {
    const child = current();
    if (!child?.connected) return Promise.resolve([]);
    const id = ++logRequestId;
    return new Promise<S3rverRequest[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.off("message", onMessage);
        reject(new Error("s3rver did not answer the request-log query"));
      }, 5_000);
      const onMessage = (message: unknown) => {
        const m = message as { type?: string; id?: number; entries?: S3rverRequest[] };
        if (m.type === "log" && m.id === id) {
          clearTimeout(timer);
          child.off("message", onMessage);
          resolve(m.entries ?? []);
        }
      };
      child.on("message", onMessage);
      child.send({ type, id });
    });
  };

  const signed = {
    url: endpoint,
    region: S3RVER_REGION,
    service: "s3",
    credentials: S3RVER_CREDENTIALS,
  };
  const objects = new S3({ ...signed, timeoutMs: 10_000 }, bucket);
  const put = async (key: string, body: string | Uint8Array, contentType?: string) => {
    await objects.put(
      key,
      body,
      contentType ?? (key.endsWith(".md") ? "text/markdown" : "text/plain"),
    );
  };

  const handle: S3rver = {
    endpoint,
    port,
    bucket,
    directory,
    env: {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_REGION: S3RVER_REGION,
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    },
    get running() {
      return current() !== undefined;
    },
    put,
    async putMany(objects, concurrency = 32) {
      const queue = [...objects];
      let next = 0;
      const worker = async () => {
        while (next < queue.length) {
          const item = queue[next++];
          if (item) await put(item[0], item[1]);
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
    },
    async remove(key) {
      // DeleteObject: only tests delete, so the product's S3 client has no such call.
      const path = `/${bucket}/${key.split("/").map(encodeRfc3986).join("/")}`;
      const response = await awsRequest(signed, { method: "DELETE", path });
      if (response.status !== 204) throw new Error(`DeleteObject ${key}: HTTP ${response.status}`);
    },
    requests() {
      return askLog("log");
    },
    async clearRequests() {
      await askLog("clear-log");
    },
    async stop() {
      const child = entry.child;
      if (child) await stopChild(child);
    },
    async start() {
      if (disposed) throw new Error("s3rver helper already disposed");
      if (current()) return;
      // The port was just released; retry briefly in case the OS has not caught up yet.
      for (let attempt = 1; ; attempt++) {
        try {
          entry.child = (await spawnServer(directory, port, bucket)).child;
          return;
        } catch (error) {
          const inUse = (error as { code?: string }).code === "EADDRINUSE";
          if (!inUse || attempt >= 20) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      try {
        if (entry.child) await stopChild(entry.child);
      } finally {
        live.delete(entry);
        await rm(directory, { recursive: true, force: true });
      }
    },
  };
  return handle;
}
