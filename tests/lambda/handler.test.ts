/**
 * The feed Lambda entry (functions/handlers/feed.ts) on API Gateway v2 / Function URL events,
 * over a real index: the sample content and the hard cases in s3rver, indexed into dynalite by
 * the indexer's own wiring, then read by the handler as its environment wires it.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { indexerFromEnv } from "../../functions/handlers/indexer.ts";
import { handleIndexerEvent } from "../../functions/handlers/indexer-batch.ts";
import { type Dynalite, startDynalite } from "../support/dynalite.ts";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy.ts";
import { sqsEvent } from "../support/s3-events.ts";
import { type S3rver, startS3rver } from "../support/s3rver.ts";
import { HARD_CASES, SAMPLE_CONTENT, SITE } from "../support/server.ts";
import { type EventOptions, httpEvent } from "./events.ts";

type Handler = typeof import("../../functions/handlers/feed.ts")["handler"];

const TABLE = "feed-handler";
const PREFIX = "articles/";
const ENV_KEYS = [
  "SITE_URL",
  "SITE_URL_PARAMETER",
  "CONTENT_BUCKET",
  "CONTENT_PREFIX",
  "INDEX_TABLE",
  "PREVIEW_DRAFTS",
  "FEED_LIMIT",
  "AWS_REGION",
  "AWS_ENDPOINT_URL_S3",
  "AWS_ENDPOINT_URL_DYNAMODB",
  "AWS_ENDPOINT_URL_SSM",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
];
const saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));

let s3: S3rver;
let db: Dynalite;
let dynamoProxy: FaultProxy;
/** The environment the stack gives the feed function, on these servers. */
let baseEnv: Record<string, string>;

/** The handler keeps its cold start in a module variable: every environment needs a fresh import. */
async function freshHandler(env: Record<string, string | undefined>): Promise<Handler> {
  for (const key of ENV_KEYS) delete process.env[key];
  for (const [key, value] of Object.entries(env)) if (value !== undefined) process.env[key] = value;
  vi.resetModules();
  return (await import("../../functions/handlers/feed.ts")).handler;
}

async function invoke(handler: Handler, options: EventOptions | APIGatewayProxyEventV2) {
  const event = "rawPath" in options ? options : httpEvent(options);
  return (await handler(event)) as APIGatewayProxyStructuredResultV2 & {
    headers: Record<string, string>;
    body: string;
    statusCode: number;
  };
}

/** The response body as bytes, decoding base64 when the result says so. */
function bodyBytes(result: { body?: string; isBase64Encoded?: boolean }): Buffer {
  return result.isBase64Encoded
    ? Buffer.from(result.body ?? "", "base64")
    : Buffer.from(result.body ?? "", "utf8");
}

/** The repository's sample articles plus the hard cases, as keys below the prefix. */
async function articles(): Promise<[string, string][]> {
  const entries = await readdir(SAMPLE_CONTENT, { recursive: true, withFileTypes: true });
  const sample = await Promise.all(
    entries
      .filter((e) => e.isFile() && !e.name.startsWith("."))
      .map(async (e) => {
        const path = join(e.parentPath, e.name);
        return [relative(SAMPLE_CONTENT, path), await readFile(path, "utf8")] as [string, string];
      }),
  );
  return [...sample, ...Object.entries(HARD_CASES)];
}

let handler: Handler;

beforeAll(async () => {
  vi.spyOn(console, "log").mockImplementation(() => {});
  vi.spyOn(console, "error").mockImplementation(() => {});
  [s3, db] = await Promise.all([startS3rver(), startDynalite()]);
  dynamoProxy = await startFaultProxy(Number(new URL(db.endpoint).port));
  await db.table(TABLE);
  await s3.putMany((await articles()).map(([key, text]) => [`${PREFIX}${key}`, text]));
  baseEnv = {
    ...s3.env,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoProxy.endpoint,
    SITE_URL: SITE,
    CONTENT_BUCKET: s3.bucket,
    CONTENT_PREFIX: PREFIX,
    INDEX_TABLE: TABLE,
  };
  // The signed clients read credentials where Lambda puts them: the process environment.
  handler = await freshHandler(baseEnv);
  const indexer = await indexerFromEnv(baseEnv);
  expect(await handleIndexerEvent(sqsEvent([{ rebuild: true }]), indexer)).toEqual({
    batchItemFailures: [],
  });
});
afterAll(async () => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  vi.restoreAllMocks();
  await Promise.all([s3?.dispose(), db?.stop(), dynamoProxy?.close()]);
});

describe("Lambda handler with API Gateway v2 events", () => {
  it.each([
    ["/feed.xml", "application/rss+xml; charset=utf-8", "<rss "],
    ["/atom.xml", "application/atom+xml; charset=utf-8", "<feed "],
    [
      "/feed.json",
      "application/feed+json; charset=utf-8",
      '"version": "https://jsonfeed.org/version/1.1"',
    ],
    ["/", "text/html; charset=utf-8", "<!doctype html>"],
    ["/articles/markup", "text/html; charset=utf-8", "<!doctype html>"],
    ["/tags/culture/atom.xml", "application/atom+xml; charset=utf-8", "<feed "],
    ["/authors/ana-muller/feed.json", "application/feed+json; charset=utf-8", "Ana Müller"],
  ])("GET %s → 200 %s, plain-text body", async (path, type, marker) => {
    const result = await invoke(handler, { path });
    expect(result.statusCode).toBe(200);
    expect(result.isBase64Encoded).toBe(false);
    expect(result.headers["content-type"]).toBe(type);
    expect(result.headers.etag).toMatch(/^"[^"]+"$/);
    expect(result.headers["last-modified"]).toMatch(/GMT$/);
    expect(result.headers["cache-control"]).toMatch(/^public, max-age=300,/);
    expect(result.headers.vary).toContain("Accept-Encoding");
    expect(result.body).toContain(marker);
    expect(Number(result.headers["content-length"])).toBe(Buffer.byteLength(result.body, "utf8"));
    expect(result.cookies ?? []).toEqual([]);
  });

  it("uses SITE_URL for every link, never the API Gateway host", async () => {
    for (const path of ["/feed.xml", "/atom.xml", "/feed.json", "/", "/articles/markup"]) {
      const { body } = await invoke(handler, { path });
      expect(body).toContain(SITE);
      expect(body).not.toContain("execute-api");
    }
  });

  it.each([
    ["br", brotliDecompressSync],
    ["gzip", gunzipSync],
  ] as const)(
    "Accept-Encoding %s → base64 body that decodes to the identity bytes",
    async (encoding, decode) => {
      const plain = await invoke(handler, { path: "/feed.xml" });
      const result = await invoke(handler, {
        path: "/feed.xml",
        headers: { "accept-encoding": encoding === "br" ? "gzip, deflate, br" : "gzip" },
      });
      expect(result.statusCode).toBe(200);
      expect(result.isBase64Encoded).toBe(true);
      expect(result.headers["content-encoding"]).toBe(encoding);
      const compressed = bodyBytes(result);
      expect(Number(result.headers["content-length"])).toBe(compressed.byteLength);
      expect(decode(compressed).equals(bodyBytes(plain))).toBe(true);
      expect(result.headers.etag).not.toBe(plain.headers.etag);
    },
  );

  it("If-None-Match → 304 with no body, for the identity and the compressed ETag", async () => {
    const plain = await invoke(handler, { path: "/atom.xml" });
    const br = await invoke(handler, { path: "/atom.xml", headers: { "accept-encoding": "br" } });
    for (const [tag, accept] of [
      [plain.headers.etag, ""],
      [br.headers.etag, "br"],
      [`W/${br.headers.etag}`, "br"],
      [`"x", ${plain.headers.etag}`, ""],
    ]) {
      const result = await invoke(handler, {
        path: "/atom.xml",
        headers: { "if-none-match": tag as string, "accept-encoding": accept as string },
      });
      expect(result.statusCode, tag).toBe(304);
      expect(result.body).toBe("");
      expect(result.isBase64Encoded).toBe(false);
    }
  });

  it("If-Modified-Since equal → 304; earlier → 200", async () => {
    const first = await invoke(handler, { path: "/feed.json" });
    const lm = first.headers["last-modified"] as string;
    expect(
      (await invoke(handler, { path: "/feed.json", headers: { "if-modified-since": lm } }))
        .statusCode,
    ).toBe(304);
    const earlier = new Date(Date.parse(lm) - 1000).toUTCString();
    expect(
      (await invoke(handler, { path: "/feed.json", headers: { "if-modified-since": earlier } }))
        .statusCode,
    ).toBe(200);
  });

  it("HEAD → the GET headers and an empty body", async () => {
    const get = await invoke(handler, { path: "/feed.xml" });
    const head = await invoke(handler, { method: "HEAD", path: "/feed.xml" });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe("");
    for (const name of [
      "content-type",
      "etag",
      "last-modified",
      "cache-control",
      "content-length",
    ]) {
      expect(head.headers[name], name).toBe(get.headers[name]);
    }
  });

  it.each(["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])("%s → 405 with Allow", async (method) => {
    const result = await invoke(handler, {
      method,
      path: "/feed.xml",
      headers: { "content-type": "application/json" },
    });
    expect(result.statusCode).toBe(405);
    expect(result.headers.allow).toBe("GET, HEAD");
    expect(result.body).toBe("Method not allowed\n");
  });

  it("a POST with a body is still a 405", async () => {
    const event = {
      ...httpEvent({ method: "POST", path: "/" }),
      body: "eyJhIjoxfQ==",
      isBase64Encoded: true,
    };
    expect((await invoke(handler, event)).statusCode).toBe(405);
  });

  it.each([
    ["/nope", "", 404],
    ["/articles/..%2F..%2Fetc%2Fpasswd", "", 404],
    ["/articles/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "", 404],
    ["/articles/markup%00", "", 404],
    ["/articles/%E0%A4%A", "", 404],
    ["/feed.xml", "limit=0", 400],
    ["/feed.xml", "limit=101", 400],
    ["/feed.xml", "limit=abc", 400],
    ["/feed.xml", "limit=1&limit=2", 400],
    ["/feed.json", "before=not-a-cursor", 400],
    [`/articles/${"a".repeat(10_240)}`, "", 414],
  ])("GET %s?%s → %i with a short plain-text reason", async (path, query, status) => {
    const result = await invoke(handler, { path, query });
    expect(result.statusCode).toBe(status);
    expect(result.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(result.body.length).toBeLessThan(80);
    expect(result.body).not.toMatch(/\bat |Error/);
  });

  it("pages with the cursor from a next link, as rawQueryString", async () => {
    const first = JSON.parse(
      (await invoke(handler, { path: "/feed.json", query: "limit=2" })).body,
    ) as {
      items: { id: string }[];
      next_url: string;
    };
    const next = new URL(first.next_url);
    const second = JSON.parse(
      (await invoke(handler, { path: next.pathname, query: next.search.slice(1) })).body,
    ) as {
      items: { id: string }[];
    };
    expect(second.items).toHaveLength(2);
    expect(second.items.map((i) => i.id)).not.toContain(first.items[0]?.id);
  });

  it("ignores cookies when they are present", async () => {
    const plain = await invoke(handler, { path: "/feed.xml" });
    const withCookies = await invoke(handler, {
      path: "/feed.xml",
      cookies: ["session=abc", "x=y"],
    });
    expect(withCookies.body).toBe(plain.body);
    expect(withCookies.headers["set-cookie"]).toBeUndefined();
  });
});

describe("Lambda handler with malformed events: 400, no-store, never a 500 or a throw", () => {
  const get = httpEvent({ path: "/feed.xml" });
  const { requestContext } = get;
  it.each([
    ["null", null],
    ["a string", "GET /feed.xml"],
    ["an array", [get]],
    ["an empty object", {}],
    ["no requestContext", { ...get, requestContext: undefined }],
    ["no http method", { ...get, requestContext: { ...requestContext, http: {} } }],
    [
      "a numeric method",
      {
        ...get,
        requestContext: { ...requestContext, http: { ...requestContext.http, method: 1 } },
      },
    ],
    ["no rawPath", { ...get, rawPath: undefined }],
    ["a relative rawPath", { ...get, rawPath: "feed.xml" }],
    ["a numeric rawQueryString", { ...get, rawQueryString: 5 }],
    ["headers as a list", { ...get, headers: ["accept"] }],
    ["a numeric header", { ...get, headers: { accept: 1 } }],
    ["cookies as a string", { ...get, cookies: "a=1" }],
    ["isBase64Encoded as a string", { ...get, isBase64Encoded: "true" }],
    [
      "invalid base64 flagged as base64",
      { ...get, body: "%%% not base64 %%%", isBase64Encoded: true },
    ],
    ["a GET with a body", { ...get, body: "hello" }],
    [
      "a HEAD with a body",
      { ...httpEvent({ method: "HEAD", path: "/feed.xml" }), body: "aGk=", isBase64Encoded: true },
    ],
    ["a numeric body", { ...get, body: 42 }],
  ])("%s", async (_name, event) => {
    const result = (await handler(event as never)) as {
      statusCode: number;
      headers: Record<string, string>;
      body: string;
    };
    expect(result.statusCode).toBe(400);
    expect(result.headers["cache-control"]).toBe("no-store");
    expect(result.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(result.body).toMatch(/^Bad request: .{1,80}\n$/);
  });

  it("a well-formed event without headers, query or cookies still serves", async () => {
    const { headers: _headers, cookies: _cookies, ...bare } = get;
    const result = await invoke(handler, { ...bare, rawQueryString: "" } as APIGatewayProxyEventV2);
    expect(result.statusCode).toBe(200);
  });
});

describe("Lambda cold starts", () => {
  afterEach(() => {
    vi.mocked(console.error).mockClear();
    dynamoProxy.decide = () => "forward";
  });

  const logged = () => vi.mocked(console.error).mock.calls.map((c) => String(c[0]));

  it("the index unreachable at cold start → 503 with Retry-After and a short message, no stack", async () => {
    const down = await freshHandler({
      ...baseEnv,
      AWS_ENDPOINT_URL_DYNAMODB: "http://127.0.0.1:9",
    });
    const result = await invoke(down, { path: "/feed.xml" });
    expect(result.statusCode).toBe(503);
    expect(Number(result.headers["retry-after"])).toBeGreaterThan(0);
    expect(result.body).toBe("Service temporarily unavailable\n");
  });

  it("the index throttling at cold start → 503; once it answers, the feed", async () => {
    const throttled = await freshHandler(baseEnv);
    dynamoProxy.decide = () => ({
      kind: "respond",
      status: 400,
      headers: { "content-type": "application/x-amz-json-1.0" },
      body: JSON.stringify({
        __type: "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
        message: "injected by the fault proxy",
      }),
    });
    const result = await invoke(throttled, { path: "/feed.xml" });
    expect(result.statusCode).toBe(503);
    expect(Number(result.headers["retry-after"])).toBeGreaterThan(0);
    dynamoProxy.decide = () => "forward";
    expect((await invoke(throttled, { path: "/feed.xml" })).statusCode).toBe(200);
  });

  it("a bad configuration answers 500 without details, logs why, and is retried on the next event", async () => {
    const bad = await freshHandler({ ...baseEnv, SITE_URL: "not a url" });
    const result = await invoke(bad, { path: "/feed.xml" });
    expect(result.statusCode).toBe(500);
    expect(result.body).toBe("Internal server error\n");
    expect(result.body).not.toContain("SITE_URL");
    expect(logged().some((l) => l.includes("cold start failed") && l.includes("SITE_URL"))).toBe(
      true,
    );

    process.env.SITE_URL = SITE;
    const retried = await invoke(bad, { path: "/feed.xml" });
    expect(retried.statusCode).toBe(200);
  });

  it.each([
    ["SITE_URL (or its SSM parameter)", { SITE_URL: undefined }, "SITE_URL_PARAMETER"],
    ["INDEX_TABLE", { INDEX_TABLE: undefined }, "INDEX_TABLE"],
    ["CONTENT_BUCKET", { CONTENT_BUCKET: undefined }, "CONTENT_BUCKET"],
    ["PREVIEW_DRAFTS refused", { PREVIEW_DRAFTS: "1" }, "PREVIEW_DRAFTS is for local preview only"],
  ])("without %s: 500, and the log says why", async (_name, change, reason) => {
    const unset = await freshHandler({ ...baseEnv, ...change });
    const result = await invoke(unset, { path: "/feed.xml" });
    expect(result.statusCode).toBe(500);
    expect(result.body).toBe("Internal server error\n");
    expect(logged().some((line) => line.includes(reason))).toBe(true);
  });

  it("an unreachable SSM parameter → 503 (retryable), not an invocation error", async () => {
    const ssm = await freshHandler({
      ...baseEnv,
      SITE_URL: undefined,
      SITE_URL_PARAMETER: "/dateline/site-url",
      AWS_ENDPOINT_URL_SSM: "http://127.0.0.1:9",
    });
    const result = await invoke(ssm, { path: "/feed.xml" });
    expect(result.statusCode).toBe(503);
    expect(result.headers["retry-after"]).toBe("30");
  });
});
