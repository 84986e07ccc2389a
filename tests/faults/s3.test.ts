/**
 * Fault injection between the feed runtime (and the indexer) and a real S3-compatible server:
 * s3rver stopped mid-run, a TCP proxy that delays, stalls, cuts bodies short or answers 500,
 * and corrupted objects. Each time the last good feed is served, the failure is logged with its
 * reason, and nothing hangs. Time bounds are generous: they only prove that nothing hangs.
 */
import { GetObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { corpus } from "../../bench/corpus.ts";
import { loadConfig } from "../../functions/config.ts";
import { Indexer } from "../../functions/indexer.ts";
import { memoryLogger } from "../../functions/log.ts";
import { createRuntime } from "../../functions/runtime.ts";
import { decodeManifest, manifestKeyFor } from "../../functions/storage/manifest.ts";
import { S3Store } from "../../functions/storage/s3.ts";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy.ts";
import { s3Record, sqsEvent } from "../support/s3-events.ts";
import { type S3rver, s3rverClient, startS3rver } from "../support/s3rver.ts";

const SITE = "https://news.example.com";
/** The store's per-request time-out here; each call's deadline is 2 × this + 1 s. */
const TIMEOUT_MS = 400;
/** Far above that deadline: a response slower than this would be a hang. */
const NO_HANG_MS = 10_000;

let s3: S3rver;
let proxy: FaultProxy;
let libraries = 0;

beforeAll(async () => {
  s3 = await startS3rver();
  proxy = await startFaultProxy(s3.port);
});

afterAll(async () => {
  await proxy?.close();
  await s3?.dispose();
});

afterEach(async () => {
  proxy.decide = () => "forward";
  if (!s3.running) await s3.start();
  vi.unstubAllEnvs();
});

/** A library of 12 generated articles under a prefix of its own, indexed into a manifest. */
async function library() {
  const prefix = `faults${++libraries}/articles/`;
  const manifestKey = manifestKeyFor(prefix);
  const files = [...corpus(12, 31 + libraries)];
  await s3.putMany(files.map((f) => [prefix + f.key, f.text] as const));
  const log = memoryLogger();
  const indexer = new Indexer({ client: s3.client, bucket: s3.bucket, prefix, manifestKey, log });
  await indexer.rebuild();
  const clock = { now: Date.now() };
  // The store builds its own client through the proxy, with short time-outs.
  vi.stubEnv("AWS_ACCESS_KEY_ID", s3.env.AWS_ACCESS_KEY_ID);
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", s3.env.AWS_SECRET_ACCESS_KEY);
  vi.stubEnv("AWS_REGION", s3.env.AWS_REGION);
  vi.stubEnv("AWS_SESSION_TOKEN", undefined);
  vi.stubEnv("AWS_PROFILE", undefined);
  const runtime = () => {
    const config = loadConfig({
      SITE_URL: SITE,
      CONTENT_BUCKET: s3.bucket,
      CONTENT_PREFIX: prefix,
      CONTENT_MANIFEST: manifestKey,
    });
    const store = new S3Store({
      bucket: s3.bucket,
      prefix,
      endpoint: proxy.endpoint,
      timeoutMs: TIMEOUT_MS,
      manifestKey,
    });
    return createRuntime(config, store, log, () => clock.now);
  };
  const visible = files.filter((f) => !/^draft: true$/m.test(f.text)).length;
  return { prefix, manifestKey, files, visible, log, clock, indexer, runtime };
}

type Library = Awaited<ReturnType<typeof library>>;

async function timedGet(app: ReturnType<Library["runtime"]>["app"], path: string) {
  const started = performance.now();
  const response = await app.request(path);
  const body = await response.text();
  return { response, body, ms: performance.now() - started };
}

/** Loads the feeds once (healthy), then returns what a later request must still match. */
async function warmed(lib: Library) {
  const { app } = lib.runtime();
  const good = await timedGet(app, "/feed.xml");
  expect(good.response.status).toBe(200);
  return { app, etag: good.response.headers.get("etag"), body: good.body };
}

function errorsOf(lib: Library, message: string) {
  return lib.log.entries.filter((e) => e.level === "error" && e.message === message);
}

describe("S3 failing after a good load: the last good feed, within bounds, and a clear log", () => {
  it("s3rver stopped mid-run, then back", async () => {
    const lib = await library();
    const good = await warmed(lib);
    await s3.stop();
    lib.clock.now += 60_000;
    const during = await timedGet(good.app, "/feed.xml");
    expect(during.response.status).toBe(200);
    expect(during.response.headers.get("etag")).toBe(good.etag);
    expect(during.body).toBe(good.body);
    expect(during.ms).toBeLessThan(NO_HANG_MS);
    const [failure] = errorsOf(lib, "article store check failed; serving the last good articles");
    expect(failure?.fields?.store).toBe(`s3://${s3.bucket}/${lib.prefix}`);
    expect(String(failure?.fields?.reason)).toContain(
      `cannot read s3://${s3.bucket}/${lib.manifestKey}`,
    );

    await s3.start();
    const key = "2031/back-online.md";
    await s3.put(lib.prefix + key, "---\ntitle: Back online\ndate: 2025-06-01\n---\n\nHello.\n");
    await lib.indexer.update([key]);
    lib.clock.now += 60_000;
    const after = await timedGet(good.app, "/feed.xml");
    expect(after.body).toContain("Back online");
  });

  it.each([
    ["slow (each answer held 3 s, past the time-out)", { kind: "forward", delayMs: 3_000 }],
    ["stalled (requests accepted, never answered)", { kind: "stall" }],
    ["answering 500 InternalError to everything", { kind: "respond", status: 500 }],
    ["dropping connections (TCP reset)", { kind: "reset" }],
  ] as const)("S3 %s", async (_name, fault) => {
    const lib = await library();
    const good = await warmed(lib);
    proxy.decide = () => fault;
    lib.clock.now += 60_000;
    for (const path of ["/feed.xml", "/feed.xml"]) {
      const during = await timedGet(good.app, path);
      expect(during.response.status).toBe(200);
      expect(during.body).toBe(good.body);
      expect(during.ms).toBeLessThan(NO_HANG_MS);
    }
    const failures = errorsOf(lib, "article store check failed; serving the last good articles");
    expect(failures).toHaveLength(1);
    expect(String(failures[0]?.fields?.reason)).toMatch(
      fault.kind === "respond" ? /InternalError \(HTTP 500\)/ : /manifest/,
    );
  });

  it("a manifest download cut off halfway through its body", async () => {
    const lib = await library();
    const good = await warmed(lib);
    // A new article changes the manifest, so the next check downloads it instead of a 304.
    const key = "2031/changed.md";
    await s3.put(lib.prefix + key, "---\ntitle: Changed\ndate: 2031-01-01\n---\n\nHello.\n");
    await lib.indexer.update([key]);
    proxy.decide = (r) =>
      r.target.includes("index/manifest") ? { kind: "forward", stallAfterBytes: 300 } : "forward";
    lib.clock.now += 60_000;
    const during = await timedGet(good.app, "/feed.xml");
    expect(during.body).toBe(good.body);
    expect(during.ms).toBeLessThan(NO_HANG_MS);
    expect(
      errorsOf(lib, "article store check failed; serving the last good articles"),
    ).toHaveLength(1);
  });
});

describe("S3 failing on a cold start", () => {
  it("answers 503 with Retry-After at once (never an empty feed), then recovers", async () => {
    const lib = await library();
    const { app } = lib.runtime();
    proxy.decide = () => ({ kind: "respond", status: 500 });
    const cold = await timedGet(app, "/feed.xml");
    expect(cold.response.status).toBe(503);
    expect(Number(cold.response.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(cold.body).not.toContain("<rss");
    expect(cold.ms).toBeLessThan(NO_HANG_MS);
    expect(errorsOf(lib, "article store unavailable and nothing loaded yet")).toHaveLength(1);

    proxy.decide = () => "forward";
    lib.clock.now += 60_000;
    expect((await timedGet(app, "/feed.xml")).response.status).toBe(200);
  });

  it("a body read that stalls fails the response with 503; nothing broken is cached", async () => {
    const lib = await library();
    const { app } = lib.runtime();
    proxy.decide = (r) =>
      r.target.includes("/articles/") ? { kind: "forward", stallAfterBytes: 100 } : "forward";
    const cold = await timedGet(app, "/feed.xml");
    expect(cold.response.status).toBe(503);
    expect(cold.ms).toBeLessThan(NO_HANG_MS);
    // Healthy again: reads already in flight still fail until their own deadline, after which
    // the next request renders the feed afresh.
    proxy.decide = () => "forward";
    const started = performance.now();
    let healthy = await timedGet(app, "/feed.xml");
    while (healthy.response.status === 503 && performance.now() - started < NO_HANG_MS) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      healthy = await timedGet(app, "/feed.xml");
    }
    expect(healthy.response.status).toBe(200);
    expect(healthy.body.match(/<item>/g)).toHaveLength(lib.visible);
  });
});

describe("corrupted objects", () => {
  const invalidUtf8 = Buffer.concat([
    Buffer.from("---\ntitle: Bad bytes\ndate: 2024-01-01\n---\n\nText "),
    Buffer.from([0xc3, 0x28, 0xff, 0xfe]),
  ]);
  const truncated = "---\ntitle: Cut off\ndate: 2024-01";

  // The same without the manifest (listing the bucket): tests/faults/bucket.test.ts.
  it("invalid UTF-8 and a truncated file are skipped with file and reason (with the manifest)", async () => {
    const lib = await library();
    await s3.put(`${lib.prefix}bad/bytes.md`, invalidUtf8);
    await s3.put(`${lib.prefix}bad/truncated.md`, truncated);
    await lib.indexer.handle(
      sqsEvent([
        [s3Record(s3.bucket, `${lib.prefix}bad/bytes.md`)],
        [s3Record(s3.bucket, `${lib.prefix}bad/truncated.md`)],
      ]),
    );
    lib.log.entries.length = 0;
    const { app } = lib.runtime();
    const feed = await timedGet(app, "/feed.xml");
    expect(feed.response.status).toBe(200);
    expect(feed.body.match(/<item>/g)).toHaveLength(lib.visible);
    const skipped = lib.log.entries.filter((e) => e.message === "article skipped");
    expect(Object.fromEntries(skipped.map((e) => [e.fields?.file, e.fields?.reason]))).toEqual({
      "bad/bytes.md": "not valid UTF-8 text",
      "bad/truncated.md": expect.stringMatching(/front matter|---/),
    });
  });

  it("an object corrupted after it was indexed does not take the feed down", async () => {
    const lib = await library();
    const victim = lib.files[0]?.key ?? "";
    await s3.put(lib.prefix + victim, invalidUtf8); // no event: the manifest still vouches for it
    const { app } = lib.runtime();
    const feed = await timedGet(app, "/feed.json?limit=20");
    expect(feed.response.status).toBe(200);
    const items = (JSON.parse(feed.body) as { items: { content_html: string }[] }).items;
    expect(items).toHaveLength(lib.visible);
    expect(items.every((item) => item.content_html.length > 0)).toBe(true);
  });
});

describe("indexer under a lost race", () => {
  it("a conditional write answered 412 is redone from the new manifest; nothing is lost", async () => {
    const lib = await library();
    const mine = "2032/mine.md";
    const theirs = "2032/theirs.md";
    await s3.put(lib.prefix + mine, "---\ntitle: Mine\ndate: 2032-01-01\n---\n\nA.\n");
    await s3.put(lib.prefix + theirs, "---\ntitle: Theirs\ndate: 2032-01-02\n---\n\nB.\n");
    // Another writer adds `theirs` between this indexer's read and its write; S3 then answers
    // the write's If-Match with 412 (s3rver itself ignores If-Match, the proxy plays S3 here).
    const other = new Indexer({
      client: s3.client,
      bucket: s3.bucket,
      prefix: lib.prefix,
      manifestKey: lib.manifestKey,
      log: memoryLogger(),
    });
    let raced = false;
    proxy.decide = async (r) => {
      if (r.method === "PUT" && r.target.includes("index/manifest") && !raced) {
        raced = true;
        expect(r.headers["if-match"]).toMatch(/^".+"$/);
        await other.update([theirs]);
        return { kind: "respond", status: 412 };
      }
      return "forward";
    };
    const log = memoryLogger();
    const indexer = new Indexer({
      client: s3rverClient(proxy.endpoint),
      bucket: s3.bucket,
      prefix: lib.prefix,
      manifestKey: lib.manifestKey,
      log,
    });
    await indexer.handle(sqsEvent([[s3Record(s3.bucket, lib.prefix + mine)]]));
    expect(raced).toBe(true);
    expect(log.entries.map((e) => e.message)).toContain(
      "manifest changed while indexing; retrying",
    );
    const stored = await s3.client.send(
      new GetObjectCommand({
        Bucket: s3.bucket,
        Key: lib.manifestKey,
      }),
    );
    const keys = (
      await decodeManifest((await stored.Body?.transformToByteArray()) ?? new Uint8Array())
    ).map((e) => e.key);
    expect(keys).toContain(mine);
    expect(keys).toContain(theirs);
    expect(keys).toHaveLength(14);
  });

  it("two indexers writing at once (the event source's maximum concurrency, 2) lose nothing", async () => {
    const lib = await library();
    const head = () =>
      s3.client
        .send(new HeadObjectCommand({ Bucket: s3.bucket, Key: lib.manifestKey }))
        .then((h) => h.ETag)
        .catch(() => undefined);
    // S3's conditional write, played by the proxy (s3rver ignores If-Match): one check-and-write
    // at a time, and a write whose If-Match is no longer the current ETag gets 412. The first two
    // writes are held until both arrived, so the two indexers really race on the same manifest.
    let lock: Promise<void> = Promise.resolve();
    let arrived = 0;
    let bothArrived!: () => void;
    const barrier = new Promise<void>((resolve) => {
      bothArrived = resolve;
    });
    let refused = 0;
    proxy.decide = async (r) => {
      if (r.method !== "PUT" || !r.target.includes("index/manifest")) return "forward";
      if (++arrived === 2) bothArrived();
      if (arrived <= 2) await Promise.race([barrier, new Promise((ok) => setTimeout(ok, 5_000))]);
      let release!: () => void;
      const previous = lock;
      lock = new Promise((resolve) => {
        release = resolve;
      });
      await previous;
      const current = await head();
      if (r.headers["if-match"] !== current) {
        refused++;
        release();
        return { kind: "respond", status: 412 };
      }
      void (async () => {
        // Hold the next check until this write has landed (the manifest's ETag changed).
        for (let i = 0; i < 500 && (await head()) === current; i++)
          await new Promise((ok) => setTimeout(ok, 10));
        release();
      })();
      return "forward";
    };
    const writer = () =>
      new Indexer({
        client: s3rverClient(proxy.endpoint),
        bucket: s3.bucket,
        prefix: lib.prefix,
        manifestKey: lib.manifestKey,
        log: memoryLogger(),
      });
    const [a, b] = [writer(), writer()];
    const added = Array.from({ length: 8 }, (_, i) => `2033/added-${i}.md`);
    for (const [i, key] of added.entries())
      await s3.put(
        lib.prefix + key,
        `---\ntitle: Added ${i}\ndate: 2033-01-0${i + 1}\n---\n\nText.\n`,
      );
    await Promise.all(
      added.map((key, i) =>
        (i % 2 === 0 ? a : b).handle(sqsEvent([[s3Record(s3.bucket, lib.prefix + key)]])),
      ),
    );
    expect(refused).toBeGreaterThan(0);
    const stored = await s3.client.send(
      new GetObjectCommand({ Bucket: s3.bucket, Key: lib.manifestKey }),
    );
    const keys = (
      await decodeManifest((await stored.Body?.transformToByteArray()) ?? new Uint8Array())
    ).map((e) => e.key);
    expect(keys).toEqual(expect.arrayContaining(added));
    expect(keys).toHaveLength(12 + added.length);
  });

  it("creates the first manifest only if none exists (If-None-Match: *)", async () => {
    const lib = await library();
    await s3.remove(lib.manifestKey); // the library comes indexed: start without a manifest
    let condition: string | undefined;
    proxy.decide = (r) => {
      if (r.method === "PUT") condition = r.headers["if-none-match"];
      return "forward";
    };
    const indexer = new Indexer({
      client: s3rverClient(proxy.endpoint),
      bucket: s3.bucket,
      prefix: lib.prefix,
      manifestKey: lib.manifestKey,
      log: memoryLogger(),
    });
    await indexer.rebuild();
    expect(condition).toBe("*");
  });
});
