import { createServer, type Server, type Socket } from "node:net";
import { S3Client } from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { NotFoundError, StoreUnavailableError } from "../../functions/errors.ts";
import { S3Store } from "../../functions/storage/s3.ts";
import { type S3rver, type S3rverRequest, startS3rver } from "../support/s3rver.ts";

const PREFIX = "articles/";
const BOM = new Uint8Array([0xef, 0xbb, 0xbf]);
const KOREAN = "---\ntitle: 안녕하세요\n---\n\n# 서울의 봄\n\n한국어 본문입니다. ✓\n";

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

/** Requests for one object key (GETs only), as the server saw them. */
function getsOf(log: S3rverRequest[], bucket: string, fullKey: string): S3rverRequest[] {
  const path = `/${bucket}/${fullKey.split("/").map(encodeURIComponent).join("/")}`;
  return log.filter((r) => r.method === "GET" && r.url.split("?")[0] === path);
}

let s3: S3rver;

beforeAll(async () => {
  s3 = await startS3rver();
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
  await s3?.dispose();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

function store(options: Partial<ConstructorParameters<typeof S3Store>[0]> = {}): S3Store {
  return new S3Store({ bucket: s3.bucket, prefix: PREFIX, client: s3.client, ...options });
}

/** Credentials s3rver accepts, for stores that build their own client. */
function stubCredentials(): void {
  vi.stubEnv("AWS_ACCESS_KEY_ID", s3.env.AWS_ACCESS_KEY_ID);
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", s3.env.AWS_SECRET_ACCESS_KEY);
  vi.stubEnv("AWS_REGION", "us-east-1");
  vi.stubEnv("AWS_SESSION_TOKEN", undefined);
  vi.stubEnv("AWS_PROFILE", undefined);
}

describe("S3Store.list", () => {
  it("lists .md and .txt files under the prefix with keys relative to it", async () => {
    const files = await store().list();
    expect(files.map((f) => f.key).sort()).toEqual([
      "2024/05/deep.md",
      "LOUD.MD",
      "hello.md",
      "notes.txt",
    ]);
    const hello = files.find((f) => f.key === "hello.md");
    expect(hello?.size).toBe(8);
    expect(hello?.modified).toBeInstanceOf(Date);
    expect(hello?.modified.getTime()).toBeGreaterThan(Date.parse("2020-01-01"));
    expect(hello?.version).toMatch(/^"?[0-9a-f]{32}"?$/);
  });

  it("accepts a prefix without the trailing slash and describes its location", async () => {
    const s = store({ prefix: "articles" });
    expect(s.location).toBe(`s3://${s3.bucket}/articles/`);
    expect((await s.list()).map((f) => f.key).sort()).toEqual([
      "2024/05/deep.md",
      "LOUD.MD",
      "hello.md",
      "notes.txt",
    ]);
  });

  it("follows continuation tokens past 1000 objects", async () => {
    const count = 1_050;
    const objects: [string, string][] = [];
    for (let i = 0; i < count; i++) {
      objects.push([`bulk/${String(i).padStart(4, "0")}.md`, `# ${i}\n`]);
    }
    objects.push(["bulk/ignored.json", "{}"]);
    await s3.putMany(objects, 48);

    await s3.clearRequests();
    const files = await store({ prefix: "bulk/" }).list();
    expect(files).toHaveLength(count);
    expect(new Set(files.map((f) => f.key)).size).toBe(count);
    expect(files.some((f) => f.key === "1049.md")).toBe(true);

    const lists = (await s3.requests()).filter((r) => r.url.includes("list-type=2"));
    expect(lists).toHaveLength(2);
    expect(lists.some((r) => r.url.includes("continuation-token="))).toBe(true);
    expect(lists.every((r) => r.status === 200)).toBe(true);
  });
});

describe("S3Store.read", () => {
  it("returns the exact bytes: UTF-8 BOM and Korean text", async () => {
    const bytes = concat(BOM, utf8(KOREAN));
    await s3.put(`${PREFIX}korean/봄.md`, bytes);
    const s = store();
    expect((await s.list()).some((f) => f.key === "korean/봄.md")).toBe(true);
    const read = await s.read("korean/봄.md");
    expect(read).toBeInstanceOf(Uint8Array);
    expect(Array.from(read)).toEqual(Array.from(bytes));
    expect(Array.from(read.subarray(0, 3))).toEqual([0xef, 0xbb, 0xbf]);
  });

  it("revalidates with If-None-Match and serves the cached bytes on 304", async () => {
    const key = "revalidate.md";
    await s3.put(PREFIX + key, "# First version\n");
    const s = store();
    const listed = (await s.list()).find((f) => f.key === key);

    await s3.clearRequests();
    const first = await s.read(key);
    const second = await s.read(key);
    expect(new TextDecoder().decode(second)).toBe("# First version\n");
    expect(second).toEqual(first);

    const gets = getsOf(await s3.requests(), s3.bucket, PREFIX + key);
    expect(gets.map((r) => r.status)).toEqual([200, 304]);
    expect(gets[0]?.ifNoneMatch).toBeNull();
    expect(gets[1]?.ifNoneMatch).toBe(listed?.version);
  });

  it("returns new bytes after the object changed", async () => {
    const key = "changing.md";
    await s3.put(PREFIX + key, "# Before\n");
    const s = store();
    expect(new TextDecoder().decode(await s.read(key))).toBe("# Before\n");
    const before = (await s.list()).find((f) => f.key === key)?.version;

    await s3.put(PREFIX + key, "# After, longer than before\n");
    await s3.clearRequests();
    expect(new TextDecoder().decode(await s.read(key))).toBe("# After, longer than before\n");
    const after = (await s.list()).find((f) => f.key === key)?.version;
    expect(after).not.toBe(before);

    const gets = getsOf(await s3.requests(), s3.bucket, PREFIX + key);
    expect(gets).toHaveLength(1);
    expect(gets[0]?.ifNoneMatch).toBe(before);
    expect(gets[0]?.status).toBe(200);
    // The new ETag is what the next revalidation sends.
    await s3.clearRequests();
    await s.read(key);
    const again = getsOf(await s3.requests(), s3.bucket, PREFIX + key);
    expect(again.map((r) => [r.status, r.ifNoneMatch])).toEqual([[304, after]]);
  });

  it("does not let callers alter the cached bytes", async () => {
    const key = "mutable.md";
    await s3.put(PREFIX + key, "# Intact\n");
    const s = store();
    const first = await s.read(key);
    first.fill(0);
    expect(new TextDecoder().decode(await s.read(key))).toBe("# Intact\n");
  });

  it("keeps a bounded LRU cache", async () => {
    const s = store({ cacheEntries: 2 });
    await s3.putMany([
      [`${PREFIX}lru/a.md`, "a"],
      [`${PREFIX}lru/b.md`, "b"],
      [`${PREFIX}lru/c.md`, "c"],
    ]);
    await s.read("lru/a.md");
    await s.read("lru/b.md");
    await s.read("lru/a.md"); // a becomes the most recent; b is now the oldest
    await s.read("lru/c.md"); // evicts b
    await s3.clearRequests();
    await s.read("lru/a.md");
    await s.read("lru/b.md");
    const log = await s3.requests();
    expect(getsOf(log, s3.bucket, `${PREFIX}lru/a.md`).map((r) => r.status)).toEqual([304]);
    expect(
      getsOf(log, s3.bucket, `${PREFIX}lru/b.md`).map((r) => [r.status, r.ifNoneMatch]),
    ).toEqual([[200, null]]);
  });

  it("rejects with NotFoundError for a missing or deleted object, even when cached", async () => {
    const s = store();
    await expect(s.read("never-existed.md")).rejects.toBeInstanceOf(NotFoundError);

    const key = "deleted.md";
    await s3.put(PREFIX + key, "# Soon gone\n");
    await s.read(key);
    await s3.remove(PREFIX + key);
    await expect(s.read(key)).rejects.toBeInstanceOf(NotFoundError);
    expect((await s.list()).some((f) => f.key === key)).toBe(false);
  });

  it("rejects hostile keys with NotFoundError without asking the server", async () => {
    const s = store();
    await s3.clearRequests();
    for (const key of [
      "../secret.md",
      "2024/../../other/outside.md",
      "..",
      "a/..",
      "..\\outside.md",
      "/etc/passwd.md",
      "/hello.md",
      "hello.md\0.txt",
      "",
    ]) {
      await expect(s.read(key), JSON.stringify(key)).rejects.toBeInstanceOf(NotFoundError);
    }
    expect(await s3.requests()).toEqual([]);
    // Dots inside a name are fine.
    await s3.put(`${PREFIX}v1..2.md`, "# Dots\n");
    expect(new TextDecoder().decode(await s.read("v1..2.md"))).toBe("# Dots\n");
  });
});

describe("S3Store client configuration", () => {
  it("honors AWS_ENDPOINT_URL_S3 with path-style addressing when no endpoint is given", async () => {
    stubCredentials();
    // A host name, not an IP: with an IP the SDK would fall back to path style by itself.
    vi.stubEnv("AWS_ENDPOINT_URL_S3", `http://localhost:${s3.port}`);
    vi.stubEnv("AWS_ENDPOINT_URL", undefined);
    vi.stubEnv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", undefined);
    const s = new S3Store({ bucket: s3.bucket, prefix: PREFIX });
    await s3.clearRequests();
    expect((await s.list()).map((f) => f.key)).toContain("hello.md");
    expect(new TextDecoder().decode(await s.read("hello.md"))).toBe("# Hello\n");
    const log = await s3.requests();
    expect(log.length).toBeGreaterThanOrEqual(2);
    // Path style: the bucket is the first path segment.
    expect(log.every((r) => r.url.startsWith(`/${s3.bucket}`))).toBe(true);
  });

  it("uses the endpoint option over the environment", async () => {
    stubCredentials();
    vi.stubEnv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9"); // discard port: nothing listens
    const endpoint = `http://localhost:${s3.port}`;
    const s = new S3Store({ bucket: s3.bucket, prefix: PREFIX, endpoint });
    expect((await s.list()).map((f) => f.key)).toContain("hello.md");
  });
});

describe("S3Store failures", () => {
  it("reports a missing bucket as StoreUnavailableError", async () => {
    const s = new S3Store({ bucket: "no-such-bucket", prefix: PREFIX, client: s3.client });
    const error = await s.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toContain("no-such-bucket");
    await expect(s.read("hello.md")).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it("reports rejected credentials as StoreUnavailableError, not NotFoundError", async () => {
    const client = new S3Client({
      region: "us-east-1",
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: "WRONG", secretAccessKey: "WRONG" },
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      maxAttempts: 1,
    });
    try {
      const s = new S3Store({ bucket: s3.bucket, prefix: PREFIX, client });
      const listError = await s.list().catch((e: unknown) => e);
      expect(listError).toBeInstanceOf(StoreUnavailableError);
      expect((listError as Error).cause).toBeDefined();
      const readError = await s.read("hello.md").catch((e: unknown) => e);
      expect(readError).toBeInstanceOf(StoreUnavailableError);
      expect((readError as Error).message).toContain(`s3://${s3.bucket}/${PREFIX}hello.md`);
      expect((readError as Error).message).toContain("403");
    } finally {
      client.destroy();
    }
  });

  it("rejects with StoreUnavailableError while the server is down, and recovers", async () => {
    stubCredentials();
    const s = new S3Store({ bucket: s3.bucket, prefix: PREFIX, endpoint: s3.endpoint });
    expect(new TextDecoder().decode(await s.read("hello.md"))).toBe("# Hello\n");

    await s3.stop();
    try {
      expect(s3.running).toBe(false);
      const started = Date.now();
      const listError = await s.list().catch((e: unknown) => e);
      expect(listError).toBeInstanceOf(StoreUnavailableError);
      expect((listError as Error).message).toContain(`s3://${s3.bucket}/${PREFIX}`);
      expect((listError as Error).cause).toBeDefined();
      // Cached bytes do not hide the outage: the core decides about stale content.
      const readError = await s.read("hello.md").catch((e: unknown) => e);
      expect(readError).toBeInstanceOf(StoreUnavailableError);
      expect((readError as Error).message).toContain(`${s3.bucket}/${PREFIX}hello.md`);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await s3.start();
    }
    expect(s3.running).toBe(true);
    expect((await s.list()).map((f) => f.key)).toContain("hello.md");
    expect(new TextDecoder().decode(await s.read("hello.md"))).toBe("# Hello\n");
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
      const s = new S3Store({ bucket: "stalled", prefix: PREFIX, endpoint, timeoutMs: 300 });
      const started = Date.now();
      await expect(s.list()).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(s.read("hello.md")).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    it("bounds a supplied client too, through the per-call deadline", async () => {
      const client = new S3Client({
        region: "us-east-1",
        endpoint,
        forcePathStyle: true,
        credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
        maxAttempts: 1,
      });
      try {
        const s = new S3Store({ bucket: "stalled", prefix: PREFIX, client, timeoutMs: 200 });
        const error = await s.read("hello.md").catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StoreUnavailableError);
      } finally {
        client.destroy();
      }
    });
  });
});
