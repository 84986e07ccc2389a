/**
 * The synthesized feed function as CloudFront reaches it: the very bundle Lambda would load, in
 * its own Node process, on Function URL events (payload 2.0) signed by the distribution's
 * origin access control, over the deployed content as the synthesized indexer indexed it
 * (s3rver and dynalite, tests/deploy/deployed.ts). Feeds are checked by xmllint and
 * python3-feedparser, the parser behind many aggregators.
 */
import { spawnSync } from "node:child_process";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseArticle } from "../../functions/articles/parse.ts";
import { type SsmStub, startSsmStub } from "../support/ssm-stub.ts";
import { type DeployedSite, errorLines, servedSite } from "./deployed.ts";
import {
  bodyBytes,
  filesOf,
  header,
  type LambdaHost,
  type Synthesized,
  bodyText as text,
} from "./support.ts";

const SITE_URL = "https://dxxxx.cloudfront.net";
/** RSS and Atom: an XML media type (which one is the HTTP layer's choice); JSON Feed's own. */
const FEED_TYPES = {
  "feed.xml": /^application\/([a-z]+\+)?xml; charset=utf-8$/,
  "atom.xml": /^application\/([a-z]+\+)?xml; charset=utf-8$/,
  "feed.json": /^application\/feed\+json; charset=utf-8$/,
} as const;
type FeedName = keyof typeof FEED_TYPES;
const FEED_NAMES = Object.keys(FEED_TYPES) as FeedName[];

let synth: Synthesized;
let site: DeployedSite;
let lambda: LambdaHost;

beforeAll(async () => {
  ({ synth, site, feed: lambda } = await servedSite({ SITE_URL_PARAMETER: undefined, SITE_URL }));
}, 240_000);

afterAll(async () => {
  await lambda?.dispose();
  await site?.dispose();
});

const get = (path: string, headers: Record<string, string> = {}, query = "") =>
  lambda.invoke({ path, headers, query });

/** xmllint's complaints about a document ("" when well-formed). */
function xmllint(xml: string): string {
  const run = spawnSync("xmllint", ["--noout", "--nonet", "-"], { input: xml, encoding: "utf8" });
  if (run.error) throw new Error(`xmllint could not run: ${run.error.message}`);
  return run.status === 0 ? "" : run.stderr || `xmllint exited with ${run.status}`;
}

const FEEDPARSER = `
import json, sys, feedparser
d = feedparser.parse(sys.stdin.buffer.read())
print(json.dumps({
  "bozo": int(d.bozo),
  "exception": str(d.get("bozo_exception", "")),
  "version": d.version,
  "title": d.feed.get("title"),
  "links": [e.get("link") for e in d.entries],
}))
`;

/** What python3-feedparser (the parser behind many aggregators) makes of a feed. */
function feedparser(xml: string): {
  bozo: number;
  exception: string;
  version: string;
  title: string;
  links: string[];
} {
  const run = spawnSync("/usr/bin/python3", ["-c", FEEDPARSER], { input: xml, encoding: "utf8" });
  if (run.error || run.status !== 0) {
    throw new Error(`feedparser could not run: ${run.error?.message ?? run.stderr}`);
  }
  return JSON.parse(run.stdout);
}

/** Article URLs of the site's JSON feed, newest first. */
async function articleUrls(path = "/feed.json", query = ""): Promise<string[]> {
  const feed = JSON.parse(text(await get(path, {}, query))) as { items: { url: string }[] };
  return feed.items.map((item) => item.url);
}

describe("the synthesized handler on Function URL events (as CloudFront forwards them)", () => {
  it("serves valid RSS and Atom feeds of the deployed content", async () => {
    for (const name of ["feed.xml", "atom.xml"] as const) {
      const result = await get(`/${name}`);
      expect(result.statusCode, name).toBe(200);
      expect(header(result, "content-type"), name).toMatch(FEED_TYPES[name]);
      expect(result.isBase64Encoded, name).toBe(false);
      const xml = text(result);
      expect(xmllint(xml), name).toBe("");
      const parsed = feedparser(xml);
      expect(parsed, name).toMatchObject({ bozo: 0, exception: "", title: "Dateline" });
      expect(parsed.version, name).toBe(name === "feed.xml" ? "rss20" : "atom10");
      expect(parsed.links.length, name).toBeGreaterThan(0);
      for (const link of parsed.links) expect(link, name).toMatch(`${SITE_URL}/articles/`);
    }
  });

  it("serves a JSON Feed 1.1 with the same articles as the XML feeds", async () => {
    const result = await get("/feed.json");
    expect(result.statusCode).toBe(200);
    expect(header(result, "content-type")).toMatch(FEED_TYPES["feed.json"]);
    const feed = JSON.parse(text(result)) as {
      version: string;
      home_page_url: string;
      feed_url: string;
      items: { url: string }[];
    };
    expect(feed.version).toBe("https://jsonfeed.org/version/1.1");
    expect(feed.home_page_url).toBe(`${SITE_URL}/`);
    expect(feed.feed_url).toBe(`${SITE_URL}/feed.json`);
    expect(feed.items.map((i) => i.url)).toEqual(feedparser(text(await get("/feed.xml"))).links);
    expect(feed.items.map((i) => i.url)).toEqual(feedparser(text(await get("/atom.xml"))).links);
  });

  it("publishes every deployed article that is due, without an error in the function's log", async () => {
    // The source's own parser says which files are visible now (not drafts, not future-dated).
    const due = (await filesOf(synth.content.dir))
      .filter(([key]) => /\.(md|txt)$/i.test(key))
      .map(([key, bytes]) => {
        const file = { key, version: "1", modified: new Date(0), size: bytes.byteLength };
        return parseArticle(file, bytes).article;
      })
      .filter((a) => !a.draft && a.date.getTime() <= Date.now())
      .map((a) => `${SITE_URL}/articles/${a.slug}`);
    expect(due.length).toBeGreaterThan(0);
    const published = await articleUrls("/feed.json", "limit=100");
    expect([...published].sort()).toEqual([...due].sort());
    expect(errorLines(lambda)).toEqual([]);
  });

  it("serves the home page and an article page for each article in the feed", async () => {
    const home = await get("/");
    expect(home.statusCode).toBe(200);
    expect(header(home, "content-type")).toBe("text/html; charset=utf-8");
    expect(text(home)).toContain(`href="${SITE_URL}/feed.xml"`);

    for (const url of await articleUrls()) {
      expect(url.startsWith(`${SITE_URL}/articles/`), url).toBe(true);
      const page = await get(new URL(url).pathname);
      expect(page.statusCode, url).toBe(200);
      expect(header(page, "content-type"), url).toBe("text/html; charset=utf-8");
      expect(header(page, "etag"), url).toMatch(/^"[^"]+"$/);
    }
  });

  it("serves a tag page and the tag's three feeds", async () => {
    const home = text(await get("/"));
    const tagPath = new RegExp(`href="${SITE_URL}(/tags/[a-z0-9-]+)"`).exec(home)?.[1];
    expect(tagPath, "the home page links to a tag").toBeDefined();
    const page = await get(tagPath as string);
    expect(page.statusCode).toBe(200);
    expect(header(page, "content-type")).toBe("text/html; charset=utf-8");
    for (const name of FEED_NAMES) {
      const feed = await get(`${tagPath}/${name}`);
      expect(feed.statusCode, name).toBe(200);
      expect(header(feed, "content-type"), name).toMatch(FEED_TYPES[name]);
    }
    const tagXml = text(await get(`${tagPath}/feed.xml`));
    expect(xmllint(tagXml)).toBe("");
    expect(feedparser(tagXml).bozo).toBe(0);
    const tagged = await articleUrls(`${tagPath}/feed.json`);
    expect(tagged.length).toBeGreaterThan(0);
    expect(await articleUrls()).toEqual(expect.arrayContaining(tagged.slice(0, 1)));
  });

  it("pages a feed with the cursor from its next link", async () => {
    const first = JSON.parse(text(await get("/feed.json", {}, "limit=1"))) as {
      items: { url: string }[];
      next_url?: string;
    };
    expect(first.items).toHaveLength(1);
    expect(first.next_url).toMatch(`${SITE_URL}/feed.json?`);
    const next = new URL(first.next_url as string);
    const second = JSON.parse(text(await get(next.pathname, {}, next.search.slice(1)))) as {
      items: { url: string }[];
    };
    expect(second.items).toHaveLength(1);
    expect((await articleUrls()).slice(0, 2)).toEqual([first.items[0]?.url, second.items[0]?.url]);
  });

  it("answers 404, 405 and 400 with a short plain-text reason", async () => {
    const missing = await get("/no-such-page");
    expect(missing.statusCode).toBe(404);
    expect(header(missing, "content-type")).toBe("text/plain; charset=utf-8");
    expect((await get("/articles/no-such-article")).statusCode).toBe(404);
    expect((await get("/tags/no-such-tag/feed.xml")).statusCode).toBe(404);

    const post = await lambda.invoke({ method: "POST", path: "/feed.xml" });
    expect(post.statusCode).toBe(405);
    expect(header(post, "allow")).toBe("GET, HEAD");

    for (const query of ["limit=0", "limit=101", "limit=abc", "before=garbage"]) {
      const bad = await get("/feed.xml", {}, query);
      expect(bad.statusCode, query).toBe(400);
      expect(header(bad, "content-type"), query).toBe("text/plain; charset=utf-8");
      expect(text(bad), query).toMatch(/^(limit|before) /);
      expect(text(bad), query).not.toMatch(/\bat .*:\d+:\d+/);
    }
  });

  it("answers 304 to If-None-Match with the current ETag", async () => {
    for (const path of ["/feed.xml", "/atom.xml", "/feed.json", "/"]) {
      const first = await get(path);
      const etag = header(first, "etag");
      expect(etag, path).toMatch(/^"[^"]+"$/);
      const again = await get(path, { "if-none-match": etag as string });
      expect(again.statusCode, path).toBe(304);
      expect(again.body, path).toBe("");
      expect(header(again, "etag"), path).toBe(etag);
      expect((await get(path, { "if-none-match": '"stale"' })).statusCode, path).toBe(200);
    }
  });

  it("sends br and gzip bodies base64-encoded, decoding to the identity bytes", async () => {
    for (const name of FEED_NAMES) {
      const identity = bodyBytes(await get(`/${name}`));
      for (const [encoding, decode] of [
        ["br", brotliDecompressSync],
        ["gzip", gunzipSync],
      ] as const) {
        const result = await get(`/${name}`, { "accept-encoding": encoding });
        const label = `${name} ${encoding}`;
        expect(result.statusCode, label).toBe(200);
        expect(header(result, "content-encoding"), label).toBe(encoding);
        expect(header(result, "vary"), label).toContain("Accept-Encoding");
        expect(result.isBase64Encoded, label).toBe(true);
        const compressed = bodyBytes(result);
        expect(Number(header(result, "content-length")), label).toBe(compressed.byteLength);
        expect(compressed.byteLength, label).toBeLessThan(identity.byteLength);
        expect(decode(compressed).equals(identity), label).toBe(true);
      }
    }
  });

  it("answers HEAD with the GET headers and no body", async () => {
    for (const path of ["/feed.xml", "/feed.json", "/"]) {
      const got = await get(path);
      const head = await lambda.invoke({ method: "HEAD", path });
      expect(head.statusCode, path).toBe(200);
      expect(head.body, path).toBe("");
      expect(header(head, "etag"), path).toBe(header(got, "etag"));
      expect(header(head, "content-type"), path).toBe(header(got, "content-type"));
      expect(header(head, "content-length"), path).toBe(String(bodyBytes(got).byteLength));
    }
  });
});

describe("issue 12 routes and the preview switch in the shipped bundle", () => {
  it("serves robots.txt and both sitemaps, listing every deployed article the feed lists", async () => {
    const robots = text(await get("/robots.txt"));
    expect(robots).toContain(`Sitemap: ${SITE_URL}/sitemap.xml`);
    expect(robots).toContain(`Sitemap: ${SITE_URL}/news-sitemap.xml`);
    expect(xmllint(text(await get("/sitemap.xml")))).toBe("");
    const page = text(await get("/sitemaps/1.xml"));
    const locs = [...page.matchAll(/<loc>([^<]*)<\/loc>/g)].map((m) => m[1]);
    for (const url of await articleUrls("/feed.json", "limit=100")) expect(locs).toContain(url);
    expect(xmllint(text(await get("/news-sitemap.xml")))).toBe("");
  });

  it("refuses to start with PREVIEW_DRAFTS (which no synthesized function sets)", async () => {
    const host = await site.feed({ SITE_URL_PARAMETER: undefined, SITE_URL, PREVIEW_DRAFTS: "1" });
    try {
      const result = await host.invoke({ path: "/feed.json" });
      expect(result.statusCode).toBe(500);
      expect(result.body).toBe("Internal server error\n");
      expect(JSON.stringify(host.logs())).toMatch(/PREVIEW_DRAFTS is for local preview only/);
    } finally {
      await host.dispose();
    }
  });
});

describe("the synthesized environment, verbatim", () => {
  let ssm: SsmStub;

  beforeAll(async () => {
    ssm = await startSsmStub(synth.siteUrlParameterName ?? "", SITE_URL);
  });

  afterAll(() => ssm?.close());

  it("reads the site URL from the SSM parameter the stack creates, then serves the feeds", async () => {
    const cold = await site.feed({ AWS_ENDPOINT_URL_SSM: ssm.url });
    try {
      const result = await cold.invoke({ path: "/feed.json" });
      expect(result.statusCode, result.body).toBe(200);
      expect(ssm.asked).toEqual([synth.siteUrlParameterName]);
      const feed = JSON.parse(text(result)) as { feed_url: string; items: unknown[] };
      expect(feed.feed_url).toBe(`${SITE_URL}/feed.json`);
      expect(feed.items.length).toBeGreaterThan(0);
      // Read once per cold start, not per request.
      expect((await cold.invoke({ path: "/atom.xml" })).statusCode).toBe(200);
      expect(ssm.asked).toHaveLength(1);
    } finally {
      await cold.dispose();
    }
  });
});
