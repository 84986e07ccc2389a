/**
 * Fault injection between the app on a bucket (BucketStore, as `npm start` with CONTENT_BUCKET
 * wires it) and a real S3-compatible server: s3rver stopped mid-run, a TCP proxy that delays,
 * stalls, cuts bodies short, resets or answers 500, and corrupted objects. Each time the last
 * good feed is served (or a 503 on a cold start), the failure is logged with its reason, and
 * nothing hangs. Time bounds are generous: they only prove that nothing hangs.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { corpus } from "../../bench/corpus.ts";
import { S3 } from "../../functions/aws/s3.ts";
import { loadConfig } from "../../functions/config.ts";
import { memoryLogger } from "../../functions/log.ts";
import { createRuntime } from "../../functions/runtime.ts";
import { BucketStore } from "../../functions/storage/bucket.ts";
import { type FaultProxy, s3ErrorBody, startFaultProxy } from "../support/fault-proxy.ts";
import { S3RVER_CREDENTIALS, type S3rver, startS3rver } from "../support/s3rver.ts";

const SITE = "https://news.example.com";
/** The store's per-request time-out here (connect to last body byte). */
const TIMEOUT_MS = 400;
/** Far above that time-out: a response slower than this would be a hang. */
const NO_HANG_MS = 10_000;
const STALE = "article store check failed; serving the last good articles";
const COLD = "article store unavailable and nothing loaded yet";

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
});

/** A library of 12 generated articles under a prefix of its own, read through the proxy. */
async function library() {
  const prefix = `bucket-faults${++libraries}/articles/`;
  const files = [...corpus(12, 61 + libraries)];
  await s3.putMany(files.map((f) => [prefix + f.key, f.text] as const));
  const log = memoryLogger();
  const clock = { now: Date.now() };
  const config = loadConfig({ SITE_URL: SITE, CONTENT_BUCKET: s3.bucket, CONTENT_PREFIX: prefix });
  const runtime = () => {
    const client = new S3(
      {
        url: proxy.endpoint,
        region: "us-east-1",
        service: "s3",
        credentials: S3RVER_CREDENTIALS,
        timeoutMs: TIMEOUT_MS,
      },
      s3.bucket,
    );
    return createRuntime(config, new BucketStore(client, s3.bucket, prefix), log, () => clock.now);
  };
  const visible = files.filter((f) => !/^draft: true$/m.test(f.text)).length;
  return { prefix, files, visible, log, clock, runtime };
}

type Library = Awaited<ReturnType<typeof library>>;

async function timedGet(app: ReturnType<Library["runtime"]>["app"], path: string) {
  const started = performance.now();
  const response = await app.request(path);
  const body = await response.text();
  return { response, body, ms: performance.now() - started };
}

function errorsOf(lib: Library, message: string) {
  return lib.log.entries.filter((e) => e.level === "error" && e.message === message);
}

describe("S3 failing after a good load: the last good feed, within bounds, and a clear log", () => {
  it("s3rver stopped mid-run, then back", async () => {
    const lib = await library();
    const { app } = lib.runtime();
    const good = await timedGet(app, "/feed.xml");
    expect(good.response.status).toBe(200);
    await s3.stop();
    lib.clock.now += 60_000;
    const during = await timedGet(app, "/feed.xml");
    expect(during.response.status).toBe(200);
    expect(during.response.headers.get("etag")).toBe(good.response.headers.get("etag"));
    expect(during.body).toBe(good.body);
    expect(during.ms).toBeLessThan(NO_HANG_MS);
    const [failure] = errorsOf(lib, STALE);
    expect(failure?.fields?.store).toBe(`s3://${s3.bucket}/${lib.prefix}`);
    expect(String(failure?.fields?.reason)).toContain(
      `cannot list s3://${s3.bucket}/${lib.prefix}`,
    );

    await s3.start();
    await s3.put(
      `${lib.prefix}2031/back-online.md`,
      "---\ntitle: Back online\ndate: 2025-06-01\n---\n\nHello.\n",
    );
    lib.clock.now += 60_000;
    expect((await timedGet(app, "/feed.xml")).body).toContain("Back online");
  });

  it.each([
    [
      "slow (each answer held 3 s, past the time-out)",
      { kind: "forward", delayMs: 3_000 },
      /no answer within 400 ms/,
    ],
    ["stalled (requests accepted, never answered)", { kind: "stall" }, /no answer within 400 ms/],
    [
      "answering 500 InternalError to everything",
      { kind: "respond", status: 500 },
      /InternalError \(HTTP 500\)/,
    ],
    ["dropping connections (TCP reset)", { kind: "reset" }, /unreachable/],
  ] as const)("S3 %s", async (_name, fault, reason) => {
    const lib = await library();
    const { app } = lib.runtime();
    const good = await timedGet(app, "/feed.xml");
    expect(good.response.status).toBe(200);
    proxy.decide = () =>
      fault.kind === "respond" ? { ...fault, body: s3ErrorBody(fault.status) } : fault;
    lib.clock.now += 60_000;
    for (const path of ["/feed.xml", "/feed.xml"]) {
      const during = await timedGet(app, path);
      expect(during.response.status).toBe(200);
      expect(during.body).toBe(good.body);
      expect(during.ms).toBeLessThan(NO_HANG_MS);
    }
    const failures = errorsOf(lib, STALE);
    expect(failures).toHaveLength(1);
    expect(String(failures[0]?.fields?.reason)).toMatch(reason);
  });

  it("a changed article's download cut off halfway through its body", async () => {
    const lib = await library();
    const { app } = lib.runtime();
    const good = await timedGet(app, "/feed.xml");
    const key = lib.files[0]?.key ?? "";
    const changed = `---\ntitle: Changed\ndate: 2025-01-01\n---\n\n${"Hello. ".repeat(200)}\n`;
    await s3.put(lib.prefix + key, changed);
    proxy.decide = (r) =>
      r.method === "GET" && !r.target.includes("list-type")
        ? { kind: "forward", stallAfterBytes: 300 }
        : "forward";
    lib.clock.now += 60_000;
    const during = await timedGet(app, "/feed.xml");
    expect(during.body).toBe(good.body);
    expect(during.ms).toBeLessThan(NO_HANG_MS);
    expect(errorsOf(lib, STALE)).toHaveLength(1);
  });
});

describe("S3 failing on a cold start", () => {
  it("answers 503 with Retry-After at once (never an empty feed), then recovers", async () => {
    const lib = await library();
    const { app } = lib.runtime();
    proxy.decide = () => ({ kind: "respond", status: 500, body: s3ErrorBody(500) });
    const cold = await timedGet(app, "/feed.xml");
    expect(cold.response.status).toBe(503);
    expect(Number(cold.response.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(cold.body).not.toContain("<rss");
    expect(cold.ms).toBeLessThan(NO_HANG_MS);
    expect(errorsOf(lib, COLD)).toHaveLength(1);

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
    // Healthy again: the next check loads every article afresh.
    proxy.decide = () => "forward";
    lib.clock.now += 60_000;
    const healthy = await timedGet(app, "/feed.xml");
    expect(healthy.response.status).toBe(200);
    expect(healthy.body.match(/<item>/g)).toHaveLength(lib.visible);
  });
});

describe("corrupted objects", () => {
  it("invalid UTF-8 and a truncated file are skipped with file and reason", async () => {
    const lib = await library();
    const invalidUtf8 = Buffer.concat([
      Buffer.from("---\ntitle: Bad bytes\ndate: 2024-01-01\n---\n\nText "),
      Buffer.from([0xc3, 0x28, 0xff, 0xfe]),
    ]);
    await s3.put(`${lib.prefix}bad/bytes.md`, invalidUtf8);
    await s3.put(`${lib.prefix}bad/truncated.md`, "---\ntitle: Cut off\ndate: 2024-01");
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
});
