/**
 * s3rver for the benchmark, with its data kept under .tmp/s3rver between runs (uploading
 * 100,000 articles takes minutes): the same child-process runner the tests use, but a fixed
 * directory, and each corpus uploaded once under its own prefix.
 */
import { type ChildProcess, fork } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { S3RVER_CREDENTIALS, type S3rverRequest, s3rverClient } from "../tests/support/s3rver.ts";
import { corpus } from "./corpus.ts";

const RUNNER = fileURLToPath(new URL("../tests/support/s3rver-process.mjs", import.meta.url));
export const BENCH_BUCKET = "dateline-bench";

export interface BenchS3 {
  endpoint: string;
  client: S3Client;
  bucket: string;
  /** Environment for code that builds its own S3 client. */
  env: Record<string, string>;
  /** Requests served since the last clearRequests(). */
  requests(): Promise<S3rverRequest[]>;
  clearRequests(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts s3rver on a free port over `directory` (created if missing). */
export async function startBenchS3(directory = join(process.cwd(), ".tmp", "s3rver")) {
  mkdirSync(directory, { recursive: true });
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const child: ChildProcess = fork(
    RUNNER,
    [JSON.stringify({ directory, port: 0, bucket: BENCH_BUCKET })],
    { execArgv: ["--openssl-legacy-provider"], env, stdio: ["ignore", "ignore", "inherit", "ipc"] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.on("message", (m: { type?: string; port?: number; message?: string }) => {
      if (m.type === "ready" && m.port) resolve(m.port);
      if (m.type === "failed") reject(new Error(`s3rver failed: ${m.message}`));
    });
    child.once("exit", (code) => reject(new Error(`s3rver exited (${code})`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = s3rverClient(endpoint);
  let id = 0;
  const ask = (type: "log" | "clear-log") =>
    new Promise<S3rverRequest[]>((resolve) => {
      const mine = ++id;
      const onMessage = (m: { type?: string; id?: number; entries?: S3rverRequest[] }) => {
        if (m.type !== "log" || m.id !== mine) return;
        child.off("message", onMessage);
        resolve(m.entries ?? []);
      };
      child.on("message", onMessage);
      child.send({ type, id: mine });
    });
  const handle: BenchS3 = {
    endpoint,
    client,
    bucket: BENCH_BUCKET,
    env: {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    },
    requests: () => ask("log"),
    clearRequests: async () => {
      await ask("clear-log");
    },
    async stop() {
      client.destroy();
      await new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.send({ type: "stop" });
      });
    },
  };
  return handle;
}

/** Article prefix of the `count`-article corpus in the bench bucket. */
export function benchPrefix(count: number): string {
  return `n${count}/articles/`;
}

/**
 * Uploads the corpus once (a marker object records completion). Returns the upload time in
 * ms, or undefined when it was already there.
 */
export async function ensureS3Corpus(
  s3: BenchS3,
  count: number,
  seed = 1,
): Promise<number | undefined> {
  const marker = `n${count}/complete-seed${seed}`;
  try {
    await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: marker }));
    return undefined;
  } catch {
    // not uploaded yet
  }
  const started = performance.now();
  const prefix = benchPrefix(count);
  const files = corpus(count, seed);
  const worker = async () => {
    for (let next = files.next(); !next.done; next = files.next()) {
      const body = Buffer.from(next.value.text, "utf8");
      await s3.client.send(
        new PutObjectCommand({
          Bucket: s3.bucket,
          Key: prefix + next.value.key,
          Body: body,
          ContentLength: body.byteLength,
          ContentType: "text/markdown",
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  await s3.client.send(
    new PutObjectCommand({
      Bucket: s3.bucket,
      Key: marker,
      Body: new Uint8Array(0),
      ContentLength: 0,
    }),
  );
  return performance.now() - started;
}
