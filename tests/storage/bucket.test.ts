/**
 * BucketStore (the bucket as an ArticleStore, on our signed S3 client) against s3rver: which
 * keys it lists, the bytes it reads, how it is configured from the environment, and that every
 * way of failing to reach or use the bucket is a bounded StoreUnavailableError.
 */
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { S3 } from "../../functions/aws/s3.ts";
import { NotFoundError, StoreUnavailableError } from "../../functions/errors.ts";
import { BucketStore, openBucket } from "../../functions/storage/bucket.ts";
import { type FaultProxy, s3ErrorBody, startFaultProxy } from "../support/fault-proxy.ts";
import { S3RVER_CREDENTIALS, type S3rver, startS3rver } from "../support/s3rver.ts";

const PREFIX = "articles/";
const BOM = new Uint8Array([0xef, 0xbb, 0xbf]);
const KOREAN = "---\ntitle: 안녕하세요\n---\n\n# 서울의 봄\n\n한국어 본문입니다. ✓\n";
/** Far above any time-out used here: slower than this would be a hang. */
const NO_HANG_MS = 10_000;

let s3: S3rver;
let proxy: FaultProxy;

beforeAll(async () => {
  s3 = await startS3rver();
  proxy = await startFaultProxy(s3.port);
  await s3.putMany([
    [`${PREFIX}hello.md`, "# Hello\n"],
    [`${PREFIX}notes.txt`, "plain notes\n"],
    [`${PREFIX}LOUD.MD`, "# Upper-case extension\n"],
    [`${PREFIX}2024/05/deep.md`, "# Nested\n"],
    [`${PREFIX}2024/image.png`, new Uint8Array([0x89, 0x50, 0x4e, 0x47])],
    [`${PREFIX}README`, "no extension"],
    [`${PREFIX}draft.md.bak`, "backup"],
    [`${PREFIX}drafts/`, ""],
    ["other/outside.md", "# Not under the prefix\n"],
    ["articles.md", "# Shares the prefix string but not the folder\n"],
  ]);
});

afterAll(async () => {
  await proxy?.close();
  await s3?.dispose();
});

afterEach(async () => {
  vi.unstubAllEnvs();
  proxy.decide = () => "forward";
  if (!s3.running) await s3.start();
});

function store(
  prefix = PREFIX,
  options: { url?: string; bucket?: string; timeoutMs?: number } = {},
): BucketStore {
  const bucket = options.bucket ?? s3.bucket;
  const client = new S3(
    {
      url: options.url ?? s3.endpoint,
      region: "us-east-1",
      service: "s3",
      credentials: S3RVER_CREDENTIALS,
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    },
    bucket,
  );
  return new BucketStore(client, bucket, prefix);
}

/** Credentials and region s3rver accepts, for stores built from the environment. */
function stubCredentials(): void {
  vi.stubEnv("AWS_ACCESS_KEY_ID", s3.env.AWS_ACCESS_KEY_ID);
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", s3.env.AWS_SECRET_ACCESS_KEY);
  vi.stubEnv("AWS_REGION", "us-east-1");
  vi.stubEnv("AWS_SESSION_TOKEN", undefined);
  vi.stubEnv("AWS_ENDPOINT_URL", undefined);
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const keys = async (s: BucketStore) => (await s.list()).map((f) => f.key).sort();
const ARTICLES = ["2024/05/deep.md", "LOUD.MD", "hello.md", "notes.txt"];

describe("BucketStore.list", () => {
  it("lists .md and .txt files under the prefix with keys relative to it", async () => {
    const files = await store().list();
    expect(files.map((f) => f.key).sort()).toEqual(ARTICLES);
    const hello = files.find((f) => f.key === "hello.md");
    expect(hello?.size).toBe(8);
    expect(hello?.modified.getTime()).toBeGreaterThan(Date.parse("2020-01-01"));
    expect(hello?.version).toMatch(/^"?[0-9a-f]{32}"?$/);
  });

  it("accepts a prefix without the trailing slash and describes its location", async () => {
    const s = store("articles");
    expect(s.location).toBe(`s3://${s3.bucket}/articles/`);
    expect(await keys(s)).toEqual(ARTICLES);
  });

  it("follows continuation tokens past 1000 objects", async () => {
    const count = 1_050;
    const objects: [string, string][] = [];
    for (let i = 0; i < count; i++) objects.push([`bulk/${String(i).padStart(4, "0")}.md`, `${i}`]);
    objects.push(["bulk/ignored.json", "{}"]);
    await s3.putMany(objects, 48);

    await s3.clearRequests();
    const files = await store("bulk/").list();
    expect(files).toHaveLength(count);
    expect(new Set(files.map((f) => f.key)).size).toBe(count);
    expect(files.some((f) => f.key === "1049.md")).toBe(true);
    const lists = (await s3.requests()).filter((r) => r.url.includes("list-type=2"));
    expect(lists).toHaveLength(2);
    expect(lists.some((r) => r.url.includes("continuation-token="))).toBe(true);
  });
});

describe("BucketStore.read and fetch", () => {
  it("returns the exact bytes: UTF-8 BOM and Korean text under a Korean key", async () => {
    const bytes = new Uint8Array([...BOM, ...new TextEncoder().encode(KOREAN)]);
    await s3.put(`${PREFIX}korean/봄.md`, bytes);
    const s = store();
    expect((await s.list()).some((f) => f.key === "korean/봄.md")).toBe(true);
    const read = await s.read("korean/봄.md");
    expect(read).toBeInstanceOf(Uint8Array);
    expect(Array.from(read)).toEqual(Array.from(bytes));
  });

  it("returns new bytes and a new version after the object changed", async () => {
    const key = "changing.md";
    await s3.put(PREFIX + key, "# Before\n");
    const s = store();
    const before = await s.fetch(key);
    expect(before && text(before.bytes)).toBe("# Before\n");
    await s3.put(PREFIX + key, "# After, longer than before\n");
    const after = await s.fetch(key);
    expect(after && text(after.bytes)).toBe("# After, longer than before\n");
    expect(after?.file.version).not.toBe(before?.file.version);
    expect(after?.file.version).toBe((await s.list()).find((f) => f.key === key)?.version);
  });

  it("a missing or deleted object is NotFoundError for read, undefined for fetch", async () => {
    const s = store();
    await expect(s.read("never-existed.md")).rejects.toBeInstanceOf(NotFoundError);
    const key = "deleted.md";
    await s3.put(PREFIX + key, "# Soon gone\n");
    await s.read(key);
    await s3.remove(PREFIX + key);
    await expect(s.read(key)).rejects.toBeInstanceOf(NotFoundError);
    expect(await s.fetch(key)).toBeUndefined();
    expect((await s.list()).some((f) => f.key === key)).toBe(false);
  });

  it("never asks the server for a hostile key", async () => {
    const s = store();
    await s3.clearRequests();
    for (const key of [
      "../secret.md",
      "2024/../../other/outside.md",
      "..",
      "a/..",
      "..\\outside.md",
      "/etc/passwd.md",
      "hello.md\0.txt",
      "",
    ]) {
      await expect(s.read(key), JSON.stringify(key)).rejects.toBeInstanceOf(NotFoundError);
      expect(await s.fetch(key), JSON.stringify(key)).toBeUndefined();
    }
    expect(await s3.requests()).toEqual([]);
    await s3.put(`${PREFIX}v1..2.md`, "# Dots\n"); // dots inside a name are fine
    expect(text(await s.read("v1..2.md"))).toBe("# Dots\n");
  });
});

describe("openBucket: configured from the environment", () => {
  it("honors AWS_ENDPOINT_URL_S3 with path-style addressing", async () => {
    stubCredentials();
    // A host name, not an IP: path style must not depend on the endpoint being an address.
    vi.stubEnv("AWS_ENDPOINT_URL_S3", `http://localhost:${s3.port}`);
    const s = openBucket({ bucket: s3.bucket, prefix: PREFIX });
    await s3.clearRequests();
    expect(await keys(s)).toEqual(expect.arrayContaining(ARTICLES));
    expect(text(await s.read("hello.md"))).toBe("# Hello\n");
    const log = await s3.requests();
    expect(log.length).toBeGreaterThanOrEqual(2);
    expect(log.every((r) => r.url.startsWith(`/${s3.bucket}`))).toBe(true);
  });

  it("uses the endpoint option over the environment", async () => {
    stubCredentials();
    vi.stubEnv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9"); // discard port: nothing listens
    const s = openBucket({ bucket: s3.bucket, prefix: PREFIX, endpoint: s3.endpoint });
    expect(await keys(s)).toEqual(expect.arrayContaining(ARTICLES));
  });
});

describe("BucketStore failures: StoreUnavailableError, within bounds", () => {
  it("a missing bucket (404 NoSuchBucket) is unavailable, not a missing article", async () => {
    const s = store(PREFIX, { bucket: "no-such-bucket" });
    const error = await s.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toContain("s3://no-such-bucket/articles/");
    await expect(s.read("hello.md")).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(s.fetch("hello.md")).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it("rejected credentials are unavailable (with the status), not NotFoundError", async () => {
    stubCredentials();
    vi.stubEnv("AWS_ACCESS_KEY_ID", "WRONG");
    const s = openBucket({ bucket: s3.bucket, prefix: PREFIX, endpoint: s3.endpoint });
    const listError = await s.list().catch((e: unknown) => e);
    expect(listError).toBeInstanceOf(StoreUnavailableError);
    expect((listError as Error).cause).toBeDefined();
    const readError = await s.read("hello.md").catch((e: unknown) => e);
    expect(readError).toBeInstanceOf(StoreUnavailableError);
    expect((readError as Error).message).toContain(`s3://${s3.bucket}/${PREFIX}hello.md`);
    expect((readError as Error).message).toContain("403");
  });

  it("a 403 AccessDenied for a key (S3's answer for a missing key without s3:ListBucket) is unavailable, never a deletion", async () => {
    const s = store(PREFIX, { url: proxy.endpoint });
    proxy.decide = (r) =>
      r.method === "GET" && r.target.includes("hello.md")
        ? { kind: "respond", status: 403, body: s3ErrorBody(403) }
        : "forward";
    const error = await s.fetch("hello.md").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(/AccessDenied \(HTTP 403\)/);
  });

  it.each([
    ["500 InternalError", { kind: "respond", status: 500 }, /InternalError \(HTTP 500\)/],
    ["503 SlowDown", { kind: "respond", status: 503 }, /SlowDown \(HTTP 503\)/],
    ["a TCP reset", { kind: "reset" }, /unreachable/],
    ["a body cut off halfway", { kind: "forward", stallAfterBytes: 100 }, /no answer within/],
  ] as const)("%s is unavailable, with the reason", async (_name, fault, reason) => {
    const s = store(PREFIX, { url: proxy.endpoint, timeoutMs: 400 });
    proxy.decide = () =>
      fault.kind === "respond" ? { ...fault, body: s3ErrorBody(fault.status) } : fault;
    const started = Date.now();
    const read = await s.read("hello.md").catch((e: unknown) => e);
    expect(read).toBeInstanceOf(StoreUnavailableError);
    expect((read as Error).message).toMatch(reason);
    if (fault.kind !== "forward")
      await expect(s.list()).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(NO_HANG_MS);
  });

  it("rejects while the server is down, and recovers", async () => {
    const s = store();
    expect(text(await s.read("hello.md"))).toBe("# Hello\n");
    await s3.stop();
    const started = Date.now();
    const listError = await s.list().catch((e: unknown) => e);
    expect(listError).toBeInstanceOf(StoreUnavailableError);
    expect((listError as Error).message).toContain(`s3://${s3.bucket}/${PREFIX}`);
    const readError = await s.read("hello.md").catch((e: unknown) => e);
    expect(readError).toBeInstanceOf(StoreUnavailableError);
    expect((readError as Error).message).toContain(`${s3.bucket}/${PREFIX}hello.md`);
    expect(Date.now() - started).toBeLessThan(NO_HANG_MS);
    await s3.start();
    expect(await keys(s)).toEqual(expect.arrayContaining(ARTICLES));
    expect(text(await s.read("hello.md"))).toBe("# Hello\n");
  });

  describe("against a server that accepts connections but never answers", () => {
    let server: Server;
    const sockets = new Set<Socket>();
    let endpoint: string;

    beforeAll(async () => {
      server = createServer((socket) => {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
        socket.on("error", () => {});
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const address = server.address();
      if (!address || typeof address === "string") throw new Error("no port");
      endpoint = `http://127.0.0.1:${address.port}`;
    });

    afterAll(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it("gives up with StoreUnavailableError instead of hanging", async () => {
      stubCredentials();
      const s = openBucket({ bucket: "stalled", prefix: PREFIX, endpoint, timeoutMs: 300 });
      const started = Date.now();
      await expect(s.list()).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(s.read("hello.md")).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(Date.now() - started).toBeLessThan(NO_HANG_MS);
    });
  });
});
