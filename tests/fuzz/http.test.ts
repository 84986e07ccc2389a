/**
 * Property-based fuzzing of the HTTP surface (fast-check, fixed seed): any method, path, query
 * and headers (validators, Accept, Accept-Encoding, Range; huge and odd values) get a 2xx, 304
 * or a short 4xx, never a 5xx or a thrown error, and every feed answered parses.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { corpus } from "../../bench/corpus.ts";
import type { ArticleMeta } from "../../functions/articles/article.ts";
import { loadConfig } from "../../functions/config.ts";
import type { App } from "../../functions/http/app.ts";
import { memoryLogger } from "../../functions/log.ts";
import { createRuntime } from "../../functions/runtime.ts";
import { memoryStore } from "../fixtures/store.ts";

const SEED = 20_261_130;
// 302: a `before` cursor naming no article is redirected to the canonical one.
const ALLOWED = new Set([200, 302, 304, 400, 404, 405, 414]);

let app: App;
let snapshot: { articles: ArticleMeta[] };
let etags: string[] = [];
const log = memoryLogger();
const scratch = mkdtempSync(join(tmpdir(), "dateline-fuzz-http-"));

beforeAll(async () => {
  const files: Record<string, string> = Object.fromEntries(
    [...corpus(40, 11)].map((f) => [f.key, f.text]),
  );
  files["ko/festival.md"] =
    "---\ntitle: 수영강 등불 축제\ndate: 2022-10-08T19:00:00+09:00\nauthor: 김서연\ntags: [축제, Culture]\nlang: ko\n---\n\n등불 축제.\n";
  files["wire/summit.txt"] =
    "date 2019-04-16 SEOUL (BLOOMBERG)- Leaders met on Tuesday. Talks went on.\n";
  const config = loadConfig({
    SITE_URL: "https://news.example.com",
    HUB_URL: "https://hub.example.com/",
  });
  const runtime = createRuntime(config, memoryStore(files), log);
  app = runtime.app;
  await runtime.local.sync();
  snapshot = { articles: await runtime.local.articles() };
  for (const path of ["/feed.xml", "/atom.xml", "/feed.json", "/"]) {
    etags.push((await app.request(path)).headers.get("etag") ?? "");
  }
  etags = etags.filter(Boolean);
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// ---- generators -----------------------------------------------------------------------------

const odd = fc.constantFrom(
  "..",
  ".",
  "%2e%2e",
  "%2F",
  "%00",
  "%ZZ",
  "%",
  "%E0%A4%A",
  "%C3%28",
  "%F0%9F%8E%89",
  "%EC%B6%95%EC%A0%9C",
  "é",
  "\u00a0",
  "a".repeat(1500),
  "",
  " ",
  "+",
  "@",
  ";x=1",
  "\\",
  "~",
  "'",
  '"',
  "<script>",
  "CON",
  "index.html",
  "feed.XML",
);

/** Paths the app serves, so that a good share of requests reach the renderers. */
const knownPath = fc.constant(null).chain(() => {
  const a = snapshot.articles;
  const tags = [...new Set(a.flatMap((x) => x.tags))].slice(0, 6);
  const authors = [...new Set(a.flatMap((x) => x.authors.map((p) => p.name)))].slice(0, 4);
  const scopes = [
    "",
    ...tags.map((t) => `/tags/${encodeURIComponent(t)}`),
    ...authors.map((n) => `/authors/${encodeURIComponent(n.toLowerCase().replace(/\s+/g, "-"))}`),
  ];
  return fc.oneof(
    fc
      .tuple(
        fc.constantFrom(...scopes),
        fc.constantFrom("/feed.xml", "/atom.xml", "/feed.json", ""),
      )
      .map(([scope, doc]) => `${scope}${doc}` || "/"),
    fc.constantFrom(...a.slice(0, 10).map((x) => `/articles/${encodeURIComponent(x.slug)}`)),
    fc.constantFrom("/opml.xml", "/feed.xsl"),
  );
});

const randomPath = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        "feed.xml",
        "atom.xml",
        "feed.json",
        "opml.xml",
        "feed.xsl",
        "tags",
        "authors",
        "articles",
      ),
      fc.constant(null).map(() => snapshot.articles[0]?.slug ?? "x"),
      fc.constant(null).map(() => encodeURIComponent(snapshot.articles[1]?.tags[0] ?? "x")),
      odd,
      fc.string({ maxLength: 20 }).map(encodeURIComponent),
    ),
    { maxLength: 5 },
  )
  .chain((segments) =>
    fc.constantFrom("", "/", "//").map((tail) => `/${segments.join("/")}${tail}`),
  );

const pathArb = fc.oneof({ arbitrary: knownPath, weight: 3 }, { arbitrary: randomPath, weight: 2 });

const queryValue = fc.oneof(
  fc.integer({ min: -5, max: 150 }).map(String),
  fc.constantFrom("", "1e2", "0x10", "99999999999999999999", "NaN", "20 ", " 20", "1,2", "١٢"),
  fc.constant(null).map(() => {
    const a = snapshot.articles[3];
    return a ? `${Math.floor(a.date.getTime() / 1000)}-${a.slug}` : "1-x";
  }),
  fc.constantFrom(
    "1-x",
    "9999999999999-x",
    "1712345678-",
    "-slug",
    "1712345678-a/b",
    "1712345678-%00",
  ),
  fc.string({ maxLength: 300 }).map(encodeURIComponent),
);
const queryArb = fc
  .array(
    fc.tuple(fc.constantFrom("limit", "before", "page", "x", "", "limit[]", "LIMIT"), queryValue),
    { maxLength: 4 },
  )
  .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${v}`).join("&")}` : ""));

/** Header values a client can actually send: Latin-1 without CR, LF and NUL. */
const headerText = (maxLength: number) =>
  fc
    .string({
      unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)),
      maxLength,
    })
    .map((s) => s.replace(/\u007f/g, ""));

const httpDate = fc
  .date({ min: new Date("1970-01-01"), max: new Date("2100-01-01"), noInvalidDate: true })
  .map((d) => d.toUTCString());

const headersArb = fc.record(
  {
    "if-none-match": fc.oneof(
      fc.constant(null).map(() => etags[0] ?? '"x"'),
      fc.constant(null).map(() => `W/${etags[1] ?? '"x"'}`),
      fc.constant(null).map(() => `${etags[0]?.slice(0, -1) ?? '"x'}-gzip"`),
      fc.constant(null).map(() => etags.join(", ")),
      fc.constantFrom("*", '""', '"', "W/", "*, *", ",,,"),
      headerText(200),
      fc.constant(`"${"a".repeat(8000)}"`),
    ),
    "if-modified-since": fc.oneof(
      httpDate,
      fc.constantFrom(
        "0",
        "99999",
        "Thu, 01 Jan 1970 00:00:00 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
        "Fri, 31 Feb 2025 00:00:00 GMT",
      ),
      headerText(100),
    ),
    accept: fc.oneof(
      fc.constantFrom(
        "text/html",
        "application/rss+xml",
        "*/*",
        "application/json;q=0",
        "text/html;q=0.9, */*;q=0.1",
      ),
      headerText(300),
    ),
    "accept-encoding": fc.oneof(
      fc.constantFrom(
        "gzip",
        "br",
        "gzip, br",
        "br;q=0",
        "gzip;q=0, *;q=1",
        "identity;q=0",
        "*",
        "x-gzip",
        "deflate",
        "gzip;q=abc",
        "br;q=1.5",
      ),
      headerText(100),
      fc.constant("gzip, ".repeat(2000)),
    ),
    range: fc.oneof(
      fc.constantFrom("bytes=0-10", "bytes=-5", "bytes=5-", "bytes=9999999-", "lines=1-2"),
      headerText(50),
    ),
    "sec-fetch-dest": fc.constantFrom("document", "empty", "image"),
    "x-forwarded-host": headerText(100),
    "content-type": headerText(50),
  },
  { requiredKeys: [] },
);

const methodArb = fc.oneof(
  fc.constantFrom("GET", "GET", "GET", "HEAD", "HEAD"),
  fc.constantFrom("POST", "PUT", "DELETE", "OPTIONS", "PATCH", "PROPFIND", "get"),
);

// ---- the property ---------------------------------------------------------------------------

describe("any request", () => {
  it("gets 2xx, 304 or a short 4xx; never a 5xx, a throw or a malformed feed", async () => {
    const feeds = new Map<string, { type: string; body: Buffer }>();
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(
        methodArb,
        pathArb,
        queryArb,
        headersArb,
        async (method, path, query, headers) => {
          let request: Request;
          try {
            request = new Request(`http://localhost${path}${query}`, {
              method,
              headers: headers as Record<string, string>,
            });
          } catch {
            return; // not a request any HTTP stack would pass on
          }
          const response = await app.fetch(request);
          const body = Buffer.from(await response.arrayBuffer());
          expect(
            ALLOWED.has(response.status),
            `${method} ${path}${query} → ${response.status}`,
          ).toBe(true);
          statuses.add(response.status);
          if (response.status === 304 || method === "HEAD") expect(body.byteLength).toBe(0);
          if (response.status >= 400) {
            expect(body.byteLength).toBeLessThan(300);
            expect(body.toString()).not.toMatch(/ at |Error:/);
          }
          if (response.status !== 200 || method === "HEAD") return;
          const encoding = response.headers.get("content-encoding");
          const identity =
            encoding === "gzip"
              ? gunzipSync(body)
              : encoding === "br"
                ? brotliDecompressSync(body)
                : body;
          const type = response.headers.get("content-type") ?? "";
          feeds.set(response.headers.get("etag") ?? `${path}${query}`, { type, body: identity });
        },
      ),
      { seed: SEED, numRuns: 4_000 },
    );
    expect(log.entries.filter((e) => e.message === "request failed")).toEqual([]);
    // The generators reached every kind of answer, not just the 404s.
    expect([...statuses].sort()).toEqual([200, 302, 304, 400, 404, 405, 414]);

    // Every distinct representation answered: XML ones well-formed, JSON ones parse.
    const xml: string[] = [];
    for (const [i, { type, body }] of [...feeds.values()].entries()) {
      if (/json/.test(type)) expect(() => JSON.parse(body.toString("utf8"))).not.toThrow();
      if (/xml|xsl|opml/.test(type)) {
        const file = join(scratch, `r${i}.xml`);
        writeFileSync(file, body);
        xml.push(file);
      }
    }
    expect(xml.length).toBeGreaterThan(20);
    const run = spawnSync("xmllint", ["--noout", "--nonet", ...xml], { encoding: "utf8" });
    if (run.error) throw new Error(`xmllint could not run: ${run.error.message}`);
    expect(run.stderr).toBe("");
  });
});
