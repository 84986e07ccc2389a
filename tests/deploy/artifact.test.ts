/**
 * Proof that `cdk deploy` would ship a working site, without an AWS account: the real
 * `npx cdk synth`, then the synthesized Lambda bundle (the very file Lambda would load) run in
 * its own Node process on API Gateway HTTP API v2 events, reading the synthesized content
 * asset from a real S3-compatible server.
 */
import { spawnSync } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { isBuiltin } from "node:module";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { build } from "esbuild";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseArticle } from "../../functions/articles/parse.ts";
import { type S3rver, startS3rver } from "../support/s3rver.ts";
import {
  bodyBytes,
  type FunctionArtifact,
  filesOf,
  header,
  type LambdaHost,
  type LambdaResult,
  linkNodeModules,
  type Synthesized,
  startLambdaHost,
  synthesize,
  tempAssemblyDir,
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

let out: string;
let synth: Synthesized;
let s3: S3rver;
let lambda: LambdaHost;
/** Keys of the content asset as uploaded (relative to the deployment's prefix). */
let contentKeys: string[];

/**
 * A function's environment as the stack synthesizes it, with the bucket reference resolved to
 * `server` and `overrides` applied (undefined deletes).
 */
function envOf(
  fn: FunctionArtifact,
  server: S3rver,
  overrides: Record<string, string | undefined> = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(fn.environment)) {
    if (typeof value === "string") env[name] = value;
    else if (name === "CONTENT_BUCKET") env[name] = server.bucket;
    else throw new Error(`${name} is a CloudFormation expression the test cannot resolve`);
  }
  const merged: Record<string, string | undefined> = {
    ...env,
    ...server.env,
    // What the Lambda runtime sets, and quiet the SDK's Node 20 notice (Lambda runs Node 24).
    TZ: ":UTC",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    ...overrides,
  };
  return Object.fromEntries(
    Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/** The feed function's environment on the shared server. */
function functionEnv(overrides: Record<string, string | undefined>): Record<string, string> {
  return envOf(synth.feedFunction, s3, overrides);
}

beforeAll(async () => {
  out = await tempAssemblyDir();
  synth = await synthesize(out);
  await linkNodeModules(out);

  s3 = await startS3rver();
  const files = await filesOf(synth.content.dir);
  contentKeys = files.map(([key]) => key);
  await s3.putMany(files.map(([key, bytes]) => [synth.content.destinationPrefix + key, bytes]));

  lambda = await startLambdaHost(
    synth.feedFunction.bundleFile,
    synth.feedFunction.exportName,
    functionEnv({ SITE_URL_PARAMETER: undefined, SITE_URL }),
  );
}, 180_000);

afterAll(async () => {
  await lambda?.dispose();
  await s3?.dispose();
  if (out) await rm(out, { recursive: true, force: true });
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

function text(result: LambdaResult): string {
  return bodyBytes(result).toString("utf8");
}

/** Article URLs of the site's JSON feed, newest first. */
async function articleUrls(path = "/feed.json", query = ""): Promise<string[]> {
  const feed = JSON.parse(text(await get(path, {}, query))) as { items: { url: string }[] };
  return feed.items.map((item) => item.url);
}

describe("cdk synth", () => {
  it("ships the feed function's bundle and the content/ folder through the assets manifest", async () => {
    expect(synth.feedFunction.assetName).toBe("FeedFunction/Code");
    expect(synth.feedFunction.runtime).toMatch(/^nodejs(2[2-9]|[3-9]\d)\.x$/);
    expect(synth.feedFunction.bundleFile).toMatch(/index\.mjs$/);
    expect(synth.content.assetName).toBe("ContentDeployment/Asset1");
    expect(synth.content.destinationPrefix).toBe("articles/");

    // Exactly the repository's articles, nothing hidden (dotfiles) and nothing else.
    const repoContent = (await filesOf("content"))
      .map(([key]) => key)
      .filter((key) => !key.split("/").some((part) => part.startsWith(".")));
    expect(contentKeys).toEqual(repoContent);
    expect(contentKeys.some((key) => /\.(md|txt)$/.test(key))).toBe(true);
  });

  it("leaves only the AWS SDK (provided by the Lambda runtime) and Node built-ins external", async () => {
    const result = await build({
      entryPoints: [synth.feedFunction.bundleFile],
      bundle: true,
      write: false,
      metafile: true,
      platform: "node",
      format: "esm",
      packages: "external",
      logLevel: "silent",
    });
    const imports = Object.values(result.metafile.inputs).flatMap((input) =>
      input.imports.filter((i) => i.external).map((i) => i.path),
    );
    expect(imports.length).toBeGreaterThan(0);
    const foreign = imports.filter((path) => !isBuiltin(path) && !path.startsWith("@aws-sdk/"));
    expect(foreign).toEqual([]);
  });

  it("wires the function to the bucket and prefix the content is deployed to", () => {
    const env = synth.feedFunction.environment;
    const deployment = Object.values(synth.resources).find(
      (r) => r.Type === "Custom::CDKBucketDeployment",
    )?.Properties as { DestinationBucketName: unknown; DestinationBucketKeyPrefix: string };
    expect(env.CONTENT_BUCKET).toEqual(deployment.DestinationBucketName);
    expect(env.CONTENT_PREFIX).toBe(deployment.DestinationBucketKeyPrefix);
    expect(env.SITE_URL_PARAMETER).toBe(synth.siteUrlParameterName);
  });

  it("sets only environment variables the bundled handler reads", async () => {
    const bundle = await readFile(synth.feedFunction.bundleFile, "utf8");
    const names = Object.keys(synth.feedFunction.environment).filter((n) => n !== "NODE_OPTIONS");
    expect(names).toEqual(
      expect.arrayContaining(["CONTENT_BUCKET", "CONTENT_PREFIX", "SITE_URL_PARAMETER"]),
    );
    for (const name of names) {
      expect(new RegExp(`\\b${name}\\b`).test(bundle), `${name} is not read by the bundle`).toBe(
        true,
      );
    }
  });
});

describe("the synthesized handler on API Gateway v2 events", () => {
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
    const errors = lambda.logs().filter((l) => l.level === "error" || l.level === "raw");
    expect(errors).toEqual([]);
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

describe("the synthesized environment, verbatim", () => {
  let ssm: Server;
  const asked: string[] = [];

  beforeAll(async () => {
    // A stand-in for SSM on 127.0.0.1 (JSON 1.1 protocol): it knows only the parameter the
    // stack creates, so the handler must ask for exactly that name.
    ssm = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => {
        body += chunk;
      });
      request.on("end", () => {
        const target = request.headers["x-amz-target"];
        const name = (JSON.parse(body || "{}") as { Name?: string }).Name ?? "";
        asked.push(name);
        const found = target === "AmazonSSM.GetParameter" && name === synth.siteUrlParameterName;
        response.writeHead(found ? 200 : 400, { "content-type": "application/x-amz-json-1.1" });
        response.end(
          JSON.stringify(
            found
              ? { Parameter: { Name: name, Type: "String", Value: SITE_URL, Version: 1 } }
              : { __type: "ParameterNotFound", message: `no parameter ${name}` },
          ),
        );
      });
    });
    await new Promise<void>((resolve) => ssm.listen(0, "127.0.0.1", resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => ssm?.close(resolve));
  });

  it("reads the site URL from the SSM parameter the stack creates, then serves the feeds", async () => {
    const address = ssm.address() as { port: number };
    const cold = await startLambdaHost(
      synth.feedFunction.bundleFile,
      synth.feedFunction.exportName,
      functionEnv({ AWS_ENDPOINT_URL_SSM: `http://127.0.0.1:${address.port}` }),
    );
    try {
      const result = await cold.invoke({ path: "/feed.json" });
      expect(result.statusCode, result.body).toBe(200);
      expect(asked).toEqual([synth.siteUrlParameterName]);
      const feed = JSON.parse(text(result)) as { feed_url: string; items: unknown[] };
      expect(feed.feed_url).toBe(`${SITE_URL}/feed.json`);
      expect(feed.items.length).toBeGreaterThan(0);
      // Read once per cold start, not per request.
      expect((await cold.invoke({ path: "/atom.xml" })).statusCode).toBe(200);
      expect(asked).toHaveLength(1);
    } finally {
      await cold.dispose();
    }
  });
});

/** An SQS batch as Lambda's event source mapping delivers it, one message per body. */
function sqsBatch(bodies: unknown[]): unknown {
  return {
    Records: bodies.map((body, i) => ({
      messageId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      receiptHandle: `handle-${i}`,
      body: JSON.stringify(body),
      attributes: {
        ApproximateReceiveCount: "1",
        SentTimestamp: String(Date.now()),
        SenderId: "AIDAEXAMPLE",
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: "",
      eventSource: "aws:sqs",
      eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:ArticleEvents",
      awsRegion: "us-east-1",
    })),
  };
}

/** The notification S3 sends to the queue for one upload (keys are URL-encoded, `+` for space). */
function s3Notification(bucket: string, key: string, size: number): unknown {
  return {
    Records: [
      {
        eventVersion: "2.1",
        eventSource: "aws:s3",
        awsRegion: "us-east-1",
        eventTime: new Date().toISOString(),
        eventName: "ObjectCreated:Put",
        s3: {
          s3SchemaVersion: "1.0",
          configurationId: "ArticleEvents",
          bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
          object: {
            key: encodeURIComponent(key).replaceAll("%2F", "/").replaceAll("%20", "+"),
            size,
            sequencer: "0065A1B2C3D4E5F6",
          },
        },
      },
    ],
  };
}

describe("the article manifest: synthesized indexer and feed function together", () => {
  let server: S3rver;

  beforeEach(async () => {
    server = await startS3rver();
    const files = await filesOf(synth.content.dir);
    await server.putMany(
      files.map(([key, bytes]) => [synth.content.destinationPrefix + key, bytes]),
    );
  });

  afterEach(async () => {
    await server?.dispose();
  });

  const indexer = (): FunctionArtifact => {
    expect(synth.indexerFunction, "the stack has a queue-fed indexer").toBeDefined();
    return synth.indexerFunction as FunctionArtifact;
  };

  /** Runs one event through a fresh indexer process. */
  async function index(event: unknown): Promise<void> {
    const fn = indexer();
    const host = await startLambdaHost(fn.bundleFile, fn.exportName, envOf(fn, server));
    try {
      await host.invokeEvent(event);
      expect(host.logs().filter((l) => l.level === "error" || l.level === "raw")).toEqual([]);
    } finally {
      await host.dispose();
    }
  }

  /** Bodies of the site feeds from a fresh (cold) feed function, and the S3 traffic it caused. */
  async function coldFeeds(overrides: Record<string, string | undefined> = {}) {
    const fn = synth.feedFunction;
    const host = await startLambdaHost(
      fn.bundleFile,
      fn.exportName,
      envOf(fn, server, { SITE_URL_PARAMETER: undefined, SITE_URL, ...overrides }),
    );
    try {
      await server.clearRequests();
      const bodies: Record<string, string> = {};
      for (const name of FEED_NAMES) {
        const result = await host.invoke({ path: `/${name}`, query: "limit=100" });
        expect(result.statusCode, name).toBe(200);
        bodies[name] = text(result);
      }
      const requests = await server.requests();
      return { bodies, lists: requests.filter((r) => r.url.includes("list-type=2")) };
    } finally {
      await host.dispose();
    }
  }

  it("builds the manifest from the bucket, and a cold feed function serves identical feeds from it without listing", async () => {
    const manifestKey = String(synth.feedFunction.environment.CONTENT_MANIFEST ?? "");
    expect(manifestKey).not.toBe("");
    const listed = await coldFeeds({ CONTENT_MANIFEST: undefined });
    expect(listed.lists.length).toBeGreaterThan(0);

    await index(sqsBatch([{ rebuild: true }]));
    const fromManifest = await coldFeeds();
    expect(fromManifest.lists).toEqual([]);
    expect(fromManifest.bodies).toEqual(listed.bodies);
  });

  it("turns an S3 upload event, delivered through the queue, into a new item for a cold feed function", async () => {
    await index(sqsBatch([{ rebuild: true }]));
    const key = `${synth.content.destinationPrefix}breaking/harbour storm warning.md`;
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const body = `---\ntitle: Storm warning for the harbour\ndate: ${yesterday}\n---\n\nFerries stay in port tonight.\n`;
    await server.put(key, body);
    await index(sqsBatch([s3Notification(server.bucket, key, Buffer.byteLength(body))]));

    const { bodies, lists } = await coldFeeds();
    expect(lists).toEqual([]);
    const feed = JSON.parse(bodies["feed.json"] as string) as { items: { title: string }[] };
    expect(feed.items.map((i) => i.title)).toContain("Storm warning for the harbour");
  });
});
