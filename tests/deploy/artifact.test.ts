/**
 * Proof that `cdk deploy` would ship a working site, without an AWS account: the real
 * `npx cdk synth` (with a WebSub hub set, so every function of the stack is built), then the
 * synthesized Lambda bundles (the very files Lambda would load) run in their own Node processes
 * on Function URL and SQS events, reading the synthesized content asset from a real
 * S3-compatible server, with every AWS call they make evaluated against the synthesized IAM.
 */
import { spawnSync } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { isBuiltin } from "node:module";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { build } from "esbuild";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseArticle } from "../../functions/articles/parse.ts";
import { cloudFrontLog, gz, LOG_FILES as SUBSCRIBER_LOGS } from "../subscribers/fixtures.ts";
import type { Resolver } from "../support/cfn-resolve.ts";
import { type Edge, type Invalidation, startEdge } from "../support/cloudfront-edge.ts";
import { type Hub, startHub } from "../support/hub.ts";
import {
  denials,
  evaluate,
  IamProof,
  type IamRequest,
  iamRequestsOf,
  proveCalls,
  type RecordedRequest,
  startRecordingProxy,
} from "../support/iam-proof.ts";
import { type S3rver, startS3rver } from "../support/s3rver.ts";
import { type SqsStub, startSqsStub } from "../support/sqs-stub.ts";
import { type SsmStub, startSsmStub } from "../support/ssm-stub.ts";
import {
  bodyBytes,
  DEPLOY_CONTEXT,
  type FunctionArtifact,
  filesOf,
  header,
  type LambdaHost,
  type LambdaResult,
  lambdaEnv,
  linkNodeModules,
  resolverFor,
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

/** A function's environment on `server` (the queue it would announce to left out). */
function envOf(
  fn: FunctionArtifact,
  server: S3rver,
  overrides: Record<string, string | undefined> = {},
): Record<string, string> {
  return lambdaEnv(fn, server, { WEBSUB_QUEUE_URL: undefined, ...overrides });
}

/** The feed function's environment on the shared server. */
function functionEnv(overrides: Record<string, string | undefined>): Record<string, string> {
  return envOf(synth.feedFunction, s3, overrides);
}

beforeAll(async () => {
  out = await tempAssemblyDir();
  synth = await synthesize(out, DEPLOY_CONTEXT);
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
    expect(synth.feedFunction.assetName).toBe("Feed/Function/Code");
    expect(synth.feedFunction.runtime).toMatch(/^nodejs(2[2-9]|[3-9]\d)\.x$/);
    expect(synth.feedFunction.bundleFile).toMatch(/index\.mjs$/);
    expect(synth.content.assetName).toBe("Storage/ContentDeployment/Asset1");
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

  it("no synthesized function sets PREVIEW_DRAFTS, and the bundle refuses to start with it", async () => {
    for (const resource of Object.values(synth.resources)) {
      if (resource.Type !== "AWS::Lambda::Function") continue;
      const env = (resource.Properties.Environment as { Variables?: object } | undefined)
        ?.Variables;
      expect(Object.keys(env ?? {})).not.toContain("PREVIEW_DRAFTS");
    }
    const host = await startLambdaHost(
      synth.feedFunction.bundleFile,
      synth.feedFunction.exportName,
      functionEnv({ SITE_URL_PARAMETER: undefined, SITE_URL, PREVIEW_DRAFTS: "1" }),
    );
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

describe("the synthesized subscriber job on CloudFront log files", () => {
  it("reads the day's gzipped log files from the log bucket and writes the EMF metrics", async () => {
    const ids = Object.entries(synth.resources)
      .filter(([, r]) => r.Type === "AWS::Lambda::Function")
      .filter(([, r]) => JSON.stringify(r.Properties.Environment ?? {}).includes("LOG_BUCKET"))
      .map(([id]) => id);
    expect(ids).toHaveLength(1);
    const job = synth.artifact(ids[0] as string);
    const env: Record<string, string> = { ...s3.env };
    for (const [name, value] of Object.entries(job.environment)) {
      if (typeof value === "string") env[name] = value;
      else if (name === "LOG_BUCKET") env[name] = s3.bucket;
      else if (name === "DISTRIBUTION_ID") env[name] = "EDFDVBD6EXAMPLE";
      else throw new Error(`${name} is a CloudFormation expression the test cannot resolve`);
    }
    for (const [hour, fetches] of Object.entries(SUBSCRIBER_LOGS)) {
      await s3.put(
        `${env.LOG_PREFIX}EDFDVBD6EXAMPLE.${hour}.a1b2c3d4.gz`,
        gz(cloudFrontLog(fetches)),
      );
    }
    const host = await startLambdaHost(job.bundleFile, job.exportName, env);
    try {
      const { result } = await host.invokeEvent({
        "detail-type": "Scheduled Event",
        source: "aws.events",
        time: "2026-06-01T02:30:00Z",
        detail: {},
      });
      expect(result).toEqual({ day: "2026-05-31", files: 3, fetches: 17, feeds: 3 });
      const metrics = host
        .logs()
        .filter((l) => "_aws" in l)
        .map(({ _aws, ...rest }) => rest);
      expect(metrics).toContainEqual({ Feed: "/feed.xml", Subscribers: 183 });
      expect(metrics).toContainEqual({ Aggregator: "Feedly", Subscribers: 45 });
      expect(metrics).toContainEqual({ Site: "all feeds", Subscribers: 192 });
      const emf = host.logs().find((l) => "_aws" in l) as {
        _aws: { CloudWatchMetrics: { Namespace: string }[] };
      };
      expect(emf._aws.CloudWatchMetrics[0]?.Namespace).toBe(env.METRIC_NAMESPACE);
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
    const cold = await startLambdaHost(
      synth.feedFunction.bundleFile,
      synth.feedFunction.exportName,
      functionEnv({ AWS_ENDPOINT_URL_SSM: ssm.url }),
    );
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

describe("the origin answers only CloudFront", () => {
  const proof = () => new IamProof(synth.resources, resolverFor(synth, s3.bucket));
  const resolver = () => resolverFor(synth, s3.bucket);
  const functionArn = () => resolver().getAtt(synth.feedFunction.logicalId, "Arn");
  const distributionArn = () => {
    const id = Object.entries(synth.resources).find(
      ([, r]) => r.Type === "AWS::CloudFront::Distribution",
    )?.[0] as string;
    return `arn:aws:cloudfront::${resolver().env.account}:distribution/${resolver().ref(id)}`;
  };
  /** lambda:InvokeFunctionUrl and the lambda:InvokeFunction it implies, as Lambda checks them. */
  const urlRequests = (context: Record<string, string>): IamRequest[] =>
    ["lambda:InvokeFunctionUrl", "lambda:InvokeFunction"].map((action) => ({
      action,
      resource: functionArn(),
      context: {
        "lambda:FunctionUrlAuthType": "AWS_IAM",
        "lambda:InvokedViaFunctionUrl": "true",
        ...context,
      },
      from: `GET https://<url-id>.lambda-url.<region>.on.aws/feed.xml (${action})`,
    }));

  it("is a Function URL with IAM auth, and no API Gateway or other route leads to the function", () => {
    const types = Object.values(synth.resources).map((r) => r.Type);
    expect(types.filter((t) => t.startsWith("AWS::ApiGateway"))).toEqual([]);
    const urls = Object.values(synth.resources).filter((r) => r.Type === "AWS::Lambda::Url");
    expect(urls.map((u) => u.Properties.AuthType)).toEqual(["AWS_IAM"]);
    const permissions = Object.values(synth.resources).filter(
      (r) => r.Type === "AWS::Lambda::Permission",
    );
    const onFeed = permissions.filter(
      (p) => resolver().string(p.Properties.FunctionName) === functionArn(),
    );
    expect(onFeed.map((p) => [p.Properties.Action, p.Properties.Principal]).sort()).toEqual([
      ["lambda:InvokeFunction", "cloudfront.amazonaws.com"],
      ["lambda:InvokeFunctionUrl", "cloudfront.amazonaws.com"],
    ]);
  });

  it("lets this distribution's origin access control call the URL, and nobody else (IAM evaluation)", async () => {
    const p = proof();
    const account = resolver().env.account;
    const cloudfront = { service: "cloudfront.amazonaws.com" };
    const own = { "aws:SourceArn": distributionArn(), "aws:SourceAccount": account };
    for (const request of urlRequests(own))
      expect(await evaluate(p, cloudfront, request), request.action).toBe("Allowed");

    // The direct URL: an unsigned request, a stranger's role, a role of the same account without
    // an identity policy for it, another account's distribution: all denied, which a Function URL
    // with IAM auth answers with 403 Forbidden.
    const other = "arn:aws:cloudfront::444455556666:distribution/EOTHERDISTRIBUTION";
    const callers: [string, Parameters<typeof evaluate>[1], Record<string, string>][] = [
      ["anonymous", "anonymous", {}],
      ["another account's role", { arn: "arn:aws:iam::444455556666:role/curious" }, {}],
      ["a role of this account", { arn: `arn:aws:iam::${account}:role/some-app` }, {}],
      [
        "another distribution",
        cloudfront,
        { "aws:SourceArn": other, "aws:SourceAccount": "444455556666" },
      ],
    ];
    for (const [label, principal, context] of callers) {
      for (const request of urlRequests(context))
        expect(await evaluate(p, principal, request), `${label}: ${request.action}`).not.toBe(
          "Allowed",
        );
    }
  });

  it("serves CloudFront's signed requests (200) and refuses events without the IAM authorizer (403)", async () => {
    const through = await lambda.invoke({ path: "/feed.xml" });
    expect(through.statusCode).toBe(200);
    for (const path of ["/feed.xml", "/", "/no-such-page"]) {
      const direct = await lambda.invoke({ path, via: "unauthenticated" });
      expect(direct.statusCode, path).toBe(403);
      expect(header(direct, "content-type"), path).toBe("text/plain; charset=utf-8");
      expect(header(direct, "cache-control"), path).toBe("no-store");
      expect(text(direct), path).toMatch(/^Forbidden/);
    }
    expect(synth.feedFunction.environment.ORIGIN_AUTH).toBe("iam");
  });
});

describe("WebSub after the change is visible, and every AWS call proven allowed", () => {
  const NEW_TITLE = "Night ferry resumes service";
  const NEW_KEY = "articles/2026/night-ferry.md";
  let server: S3rver;
  let ssm: SsmStub;
  let sqs: SqsStub;
  let edge: Edge;
  let hub: Hub;
  let feedHost: LambdaHost;
  let resolver: Resolver;
  let siteUrl: string;
  /** What each function sent to AWS, recorded at its endpoints. */
  const calls: Record<"feed" | "indexer" | "websub", RecordedRequest[]> = {
    feed: [],
    indexer: [],
    websub: [],
  };
  /** A feed fetched through the edge after the indexer's write, before any invalidation. */
  let beforeInvalidation: { body: string; fromCache: boolean };
  let queueDelay: number;

  const fn = (name: "indexerFunction" | "websubFunction"): FunctionArtifact => {
    const found = synth[name];
    if (!found) throw new Error(`the stack has no ${name}`);
    return found;
  };

  /** Runs one event through a fresh process of `artifact`, its AWS calls recorded. */
  async function run(
    who: "indexer" | "websub",
    event: unknown,
    backends: Parameters<typeof startRecordingProxy>[0],
    overrides: Record<string, string> = {},
  ): Promise<void> {
    const artifact = fn(who === "indexer" ? "indexerFunction" : "websubFunction");
    const proxy = await startRecordingProxy(backends);
    const host = await startLambdaHost(
      artifact.bundleFile,
      artifact.exportName,
      lambdaEnv(artifact, server, { ...proxy.env, ...overrides }, resolver),
    );
    try {
      await host.invokeEvent(event);
      expect(host.logs().filter((l) => l.level === "error" || l.level === "raw")).toEqual([]);
    } finally {
      await host.dispose();
      calls[who].push(...proxy.records());
      await proxy.close();
    }
  }

  const indexerEvent = (key: string, eventName = "ObjectCreated:Put") => {
    const record = s3Notification(server.bucket, key, 1) as { Records: { eventName: string }[] };
    for (const r of record.Records) r.eventName = eventName;
    return sqsBatch([record]);
  };

  beforeAll(async () => {
    server = await startS3rver();
    resolver = resolverFor(synth, server.bucket);
    const distributionId = resolver.ref(
      Object.entries(synth.resources).find(
        ([, r]) => r.Type === "AWS::CloudFront::Distribution",
      )?.[0] as string,
    );
    siteUrl = resolver.string(fn("websubFunction").environment.SITE_URL);
    const files = await filesOf(synth.content.dir);
    await server.putMany(
      files.map(([key, bytes]) => [synth.content.destinationPrefix + key, bytes]),
    );
    ssm = await startSsmStub(synth.siteUrlParameterName ?? "", siteUrl);
    sqs = await startSqsStub();

    // The feed function, warm, behind the edge; it revalidates every second here (60 s on AWS).
    const feedProxy = await startRecordingProxy({ s3: server.endpoint, ssm: ssm.url });
    feedHost = await startLambdaHost(
      synth.feedFunction.bundleFile,
      synth.feedFunction.exportName,
      lambdaEnv(
        synth.feedFunction,
        server,
        { ...feedProxy.env, REVALIDATE_SECONDS: "1" },
        resolver,
      ),
    );
    edge = await startEdge({
      distributionId,
      origin: async (path, query) => {
        const r = await feedHost.invoke({ path, query });
        return {
          statusCode: r.statusCode,
          headers: Object.fromEntries(
            Object.entries(r.headers).map(([k, v]) => [k.toLowerCase(), String(v)]),
          ),
          body: bodyBytes(r),
        };
      },
    });
    hub = await startHub({
      fetchTopic: async (url) => (await edge.get(new URL(url).pathname)).body.toString("utf8"),
    });

    // 1. A fresh deploy: no manifest yet. The feed function lists; the first build writes one.
    for (const path of ["/feed.json", "/feed.xml", "/atom.xml", "/articles/no-such-article"])
      await edge.get(path);
    await run("indexer", sqsBatch([{ rebuild: true }]), { s3: server.endpoint, sqs: sqs.url });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    for (const name of ["feed.json", "feed.xml", "atom.xml"])
      await feedHost.invoke({ path: `/${name}` });
    expect((await edge.get("/feed.json")).fromCache).toBe(true);

    // 2. An author uploads an article; S3's event reaches the indexer, which writes and announces.
    const sent = sqs.messages.length;
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    await server.put(
      NEW_KEY,
      `---\ntitle: ${NEW_TITLE}\ndate: ${yesterday}\ntags: [Harbour, Night Ferries]\nauthor: Ines Duarte\n---\n\nThe night ferry sails again.\n`,
    );
    await run("indexer", indexerEvent(NEW_KEY), { s3: server.endpoint, sqs: sqs.url });
    const announced = sqs.messages.slice(sent);
    expect(announced).toHaveLength(1);
    const edgeCopy = await edge.get("/feed.json");
    beforeInvalidation = { body: edgeCopy.body.toString("utf8"), fromCache: edgeCopy.fromCache };

    // 3. The queue holds the message past the feed function's revalidation (90 s > 60 s on AWS;
    //    here the function revalidates every 1 s, so 1.5 s stands for the delay).
    const pings = Object.values(synth.resources).find(
      (r) => r.Type === "AWS::SQS::Queue" && r.Properties.DelaySeconds !== undefined,
    );
    queueDelay = Number(pings?.Properties.DelaySeconds);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await run(
      "websub",
      sqsBatch(announced.map((m) => JSON.parse(m.body))),
      { cloudfront: edge.apiUrl },
      { HUB_URL: hub.url },
    );

    // 4. A deletion: the indexer reads the key, S3 answers 404 (the missing-key rule applies).
    await server.remove(`${synth.content.destinationPrefix}${contentKeys[0]}`);
    await run(
      "indexer",
      indexerEvent(`${synth.content.destinationPrefix}${contentKeys[0]}`, "ObjectRemoved:Delete"),
      { s3: server.endpoint, sqs: sqs.url },
    );
    calls.feed.push(...feedProxy.records());
    await feedProxy.close();
  }, 120_000);

  afterAll(async () => {
    await feedHost?.dispose();
    await hub?.close();
    await edge?.close();
    await sqs?.close();
    await ssm?.close();
    await server?.dispose();
  });

  it("holds each ping on the queue longer than the feed function's revalidation", () => {
    expect(queueDelay).toBeGreaterThan(Number(synth.feedFunction.environment.REVALIDATE_SECONDS));
    expect(queueDelay).toBeLessThanOrEqual(900);
    const queueUrl = lambdaEnv(fn("indexerFunction"), server, {}, resolver).WEBSUB_QUEUE_URL;
    expect(sqs.messages.map((m) => m.queueUrl)).toEqual(sqs.messages.map(() => queueUrl));
  });

  it("still serves the old feed from CloudFront's cache right after the write (why it invalidates)", () => {
    expect(beforeInvalidation.fromCache).toBe(true);
    expect(beforeInvalidation.body).not.toContain(NEW_TITLE);
  });

  it("invalidates exactly the changed feed paths, then pings the hub once the invalidation completed", () => {
    expect(edge.invalidations).toHaveLength(1);
    const [invalidation] = edge.invalidations as [Invalidation];
    const scopes = ["", "/authors/ines-duarte", "/tags/harbour", "/tags/night-ferries"];
    const paths = scopes.flatMap((s) =>
      ["feed.xml", "atom.xml", "feed.json"].map((f) => `${s}/${f}`),
    );
    expect([...invalidation.paths].sort()).toEqual([...paths].sort());
    expect(hub.requests.flatMap((r) => r.urls).sort()).toEqual(
      paths.map((p) => `${siteUrl}${p}`).sort(),
    );
    expect(invalidation.completedAt).toBeDefined();
    for (const request of hub.requests)
      expect(request.receivedAt).toBeGreaterThanOrEqual(invalidation.completedAt as number);
  });

  it("gives the hub's fetch of every pinged feed the new article", async () => {
    expect(hub.requests.length).toBeGreaterThan(0);
    for (const request of hub.requests) {
      const [body] = (await request.fetched) as [string];
      expect(body, request.urls[0]).toContain(NEW_TITLE);
    }
  });

  it("makes only AWS calls that the synthesized policies allow, for every function", async () => {
    const proof = new IamProof(synth.resources, resolver);
    const ids = {
      feed: synth.feedFunction.logicalId,
      indexer: fn("indexerFunction").logicalId,
      websub: fn("websubFunction").logicalId,
    };
    for (const who of ["feed", "indexer", "websub"] as const) {
      expect(calls[who].length, who).toBeGreaterThan(0);
      const verdicts = await proveCalls(proof, ids[who], calls[who]);
      expect(denials(verdicts), who).toEqual([]);
    }
    // The calls that matter were made: a missing manifest and a missing article read (404),
    // the site URL, the manifest write, the announcement, the invalidation and its status.
    const seen = (who: keyof typeof calls) =>
      calls[who].flatMap((r) => iamRequestsOf(r, proof.target).map((q) => q.action));
    expect(
      calls.feed.some((r) => r.path.endsWith("/index/manifest.json.gz") && r.status === 404),
    ).toBe(true);
    expect(calls.indexer.some((r) => r.path.includes("/articles/") && r.status === 404)).toBe(true);
    expect(seen("feed")).toEqual(
      expect.arrayContaining(["s3:GetObject", "s3:ListBucket", "ssm:GetParameter"]),
    );
    expect(seen("indexer")).toEqual(expect.arrayContaining(["s3:PutObject", "sqs:SendMessage"]));
    expect(seen("websub")).toEqual(
      expect.arrayContaining(["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"]),
    );
  });

  it("fails the proof when a needed statement is removed", async () => {
    const proof = new IamProof(synth.resources, resolver);
    const role = (id: string) => proof.roleOf(id);
    const feed = synth.feedFunction.logicalId;
    const indexer = fn("indexerFunction").logicalId;
    const websub = fn("websubFunction").logicalId;

    // Without listing, a missing manifest is 403 on AWS: the feed function would answer 503.
    const noList = denials(
      await proveCalls(proof.without(role(feed), "ListArticles"), feed, calls.feed),
    );
    expect(
      noList.some((d) => d.includes("s3:ListBucket") && d.includes("index/manifest.json.gz")),
    ).toBe(true);
    expect(noList.join("\n")).toMatch(/missing key/);
    const noRead = denials(
      await proveCalls(proof.without(role(feed), "ReadArticles"), feed, calls.feed),
    );
    expect(noRead.some((d) => d.startsWith("ImplicitlyDenied: s3:GetObject"))).toBe(true);
    const noWrite = denials(
      await proveCalls(proof.without(role(indexer), "WriteManifest"), indexer, calls.indexer),
    );
    expect(noWrite.some((d) => d.includes("s3:PutObject"))).toBe(true);
    const noInvalidation = denials(
      await proveCalls(proof.without(role(websub), "InvalidateFeeds"), websub, calls.websub),
    );
    expect(noInvalidation.some((d) => d.includes("cloudfront:CreateInvalidation"))).toBe(true);
  });
});
