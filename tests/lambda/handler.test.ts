import { brotliDecompressSync, gunzipSync } from "node:zlib";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type ContentDir, contentDir, HARD_CASES, SITE } from "../support/server.ts";
import { type EventOptions, httpEvent, lambdaContext } from "./events.ts";

type Handler = typeof import("../../functions/lambda.ts")["handler"];

const ENV_KEYS = [
  "CONTENT_DIR",
  "SITE_URL",
  "CONTENT_BUCKET",
  "SITE_URL_PARAMETER",
  "FEED_LIMIT",
  "AWS_REGION",
  "AWS_ENDPOINT_URL_SSM",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_MAX_ATTEMPTS",
];
const saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));

/** lambda.ts keeps its cold start in a module variable: every environment needs a fresh import. */
async function freshHandler(env: Record<string, string | undefined>): Promise<Handler> {
  for (const key of ENV_KEYS) delete process.env[key];
  for (const [key, value] of Object.entries(env)) if (value !== undefined) process.env[key] = value;
  vi.resetModules();
  return (await import("../../functions/lambda.ts")).handler;
}

async function invoke(handler: Handler, options: EventOptions | APIGatewayProxyEventV2) {
  const event = "rawPath" in options ? options : httpEvent(options);
  return (await handler(event, lambdaContext())) as APIGatewayProxyStructuredResultV2 & {
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

let content: ContentDir;
let handler: Handler;

beforeAll(async () => {
  content = await contentDir({ files: HARD_CASES });
  vi.spyOn(console, "log").mockImplementation(() => {});
  vi.spyOn(console, "error").mockImplementation(() => {});
  handler = await freshHandler({ CONTENT_DIR: content.dir, SITE_URL: SITE });
});
afterAll(async () => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  vi.restoreAllMocks();
  await content.dispose();
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
    const result = (await handler(event as never, lambdaContext())) as {
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
  });

  it("store down at cold start → 503 with Retry-After and a short message, no stack", async () => {
    const down = await freshHandler({ CONTENT_DIR: `${content.dir}/missing`, SITE_URL: SITE });
    const result = await invoke(down, { path: "/feed.xml" });
    expect(result.statusCode).toBe(503);
    expect(Number(result.headers["retry-after"])).toBeGreaterThan(0);
    expect(result.body).toBe("Service temporarily unavailable\n");
  });

  it("a bad configuration answers 500 without details, logs why, and is retried on the next event", async () => {
    const bad = await freshHandler({ CONTENT_DIR: content.dir, SITE_URL: "not a url" });
    const result = await invoke(bad, { path: "/feed.xml" });
    expect(result.statusCode).toBe(500);
    expect(result.body).toBe("Internal server error\n");
    expect(result.body).not.toContain("SITE_URL");
    const logged = vi.mocked(console.error).mock.calls.map((c) => String(c[0]));
    expect(
      logged.some((line) => line.includes("cold start failed") && line.includes("SITE_URL")),
    ).toBe(true);

    process.env.SITE_URL = SITE;
    const retried = await invoke(bad, { path: "/feed.xml" });
    expect(retried.statusCode).toBe(200);
  });

  it("without SITE_URL (or its SSM parameter) refuses to serve localhost links", async () => {
    const unset = await freshHandler({ CONTENT_DIR: content.dir });
    const result = await invoke(unset, { path: "/feed.xml" });
    expect(result.statusCode).toBe(500);
    expect(result.body).toBe("Internal server error\n");
    const logged = vi.mocked(console.error).mock.calls.map((c) => String(c[0]));
    expect(logged.some((line) => line.includes("SITE_URL_PARAMETER"))).toBe(true);
  });

  it("an unreachable SSM parameter → 503 (retryable), not an invocation error", async () => {
    const ssm = await freshHandler({
      CONTENT_DIR: content.dir,
      SITE_URL_PARAMETER: "/dateline/site-url",
      AWS_REGION: "eu-west-1",
      AWS_ENDPOINT_URL_SSM: "http://127.0.0.1:9",
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_MAX_ATTEMPTS: "1",
    });
    const result = await invoke(ssm, { path: "/feed.xml" });
    expect(result.statusCode).toBe(503);
    expect(result.headers["retry-after"]).toBe("30");
  });
});
