/**
 * The deployed read path end to end without an AWS account: articles uploaded to s3rver, their
 * S3 events through the synthesized indexer bundle into the index (dynalite), then the
 * synthesized feed bundle in its own process answering Function URL events. What it serves is
 * byte for byte what `npm start`'s runtime (functions/runtime.ts over a folder of the same
 * files) serves. With DynamoDB failing, a warm function keeps answering with its last good
 * representations, and a cold one answers 503 with Retry-After.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3 } from "../../functions/aws/s3.ts";
import { loadConfig } from "../../functions/config.ts";
import { createRuntime } from "../../functions/runtime.ts";
import { FolderStore } from "../../functions/storage/folder.ts";
import { articleFile, wireFile } from "../fixtures/articles.ts";
import { type Dynalite, startDynalite } from "../support/dynalite.ts";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy.ts";
import { s3Record, sqsEvent } from "../support/s3-events.ts";
import { S3RVER_CREDENTIALS, type S3rver, startS3rver } from "../support/s3rver.ts";
import { type Bundle, bundleFor } from "./bundles.ts";
import { errorLines } from "./deployed.ts";
import { bodyBytes, header, type LambdaHost, startLambdaHost } from "./support.ts";
import { sharedSynth } from "./synth-cache.ts";

const SITE_URL = "https://news.example.com";
const PREFIX = "articles/";
const TABLE = "feed-path";
const DAY = 86_400_000;
const day = (n: number) => new Date(Date.now() - n * DAY).toISOString();

/** The same files on both paths: tags and authors shared, a large body (kept in compiled/), a
 * wire story, an attachment, and files that must not show (a draft, a future article, a broken
 * date). */
const FILES: Record<string, string> = {
  "2026/harbour.md": articleFile({ title: "Harbour reopens", date: day(3), tags: ["Harbour"] }),
  "2026/ferry.md": articleFile(
    { title: "Night ferry <returns> & more", date: day(2), tags: ["Harbour", "Ferries"] },
    "The *night* ferry [sails](/articles/harbour) again.\n\n<script>alert(1)</script>\n",
  ),
  "2026/long read.md": articleFile(
    { title: "The long read", date: day(1), author: "Ines Duarte", tags: ["Ferries"] },
    `${"A paragraph of the long read, about the harbour and its ferries. ".repeat(700)}\n`,
  ),
  "2026/podcast.md": articleFile({
    title: "Episode 3",
    date: day(4),
    attachments: [{ url: "/audio/3.mp3", type: "audio/mpeg", size: 1234, duration: 60 }],
  }),
  "wire/pier.txt": wireFile({ date: day(5).slice(0, 10) }),
  "2026/draft.md": articleFile({ title: "Not yet", date: day(1), draft: true }),
  "2026/future.md": articleFile({ title: "Later", date: "2099-01-01T00:00:00Z" }),
  "2026/broken.md": articleFile({ title: "Broken", date: "2024-02-30" }),
};

/** Paths compared byte for byte: the three site feeds, a tag feed, an author feed, pages. */
const PATHS = [
  "/feed.xml",
  "/atom.xml",
  "/feed.json",
  "/tags/harbour/feed.xml",
  "/tags/ferries/atom.xml",
  "/authors/ines-duarte/feed.json",
  "/articles/long-read",
  "/articles/ferry",
  "/",
  "/opml.xml",
];

let out: string;
let s3: S3rver;
let db: Dynalite;
let dynamo: FaultProxy;
let indexer: Bundle;
let feed: Bundle;
let folder: string;

/** The environment the stack gives the functions, on these servers (DynamoDB via the proxy). */
const env = (overrides: Record<string, string> = {}) => ({
  ...s3.env,
  TZ: ":UTC",
  NODE_OPTIONS: "--enable-source-maps",
  AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
  SITE_URL,
  INDEX_TABLE: TABLE,
  CONTENT_BUCKET: s3.bucket,
  CONTENT_PREFIX: PREFIX,
  ORIGIN_AUTH: "iam",
  ...overrides,
});

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), "dateline-feed-path-"));
  const synth = await sharedSynth();
  [s3, db] = await Promise.all([startS3rver(), startDynalite()]);
  dynamo = await startFaultProxy(Number(new URL(db.endpoint).port));
  await db.table(TABLE);
  indexer = await bundleFor(synth.indexerFunction, "functions/handlers/indexer.ts", out);
  feed = await bundleFor(synth.feedFunction, "functions/handlers/feed.ts", out);
  folder = join(out, "content");
  for (const [key, text] of Object.entries(FILES)) {
    await mkdir(dirname(join(folder, key)), { recursive: true });
    await writeFile(join(folder, key), text);
  }

  // Upload → one S3 event per object → the indexer bundle, as the queue delivers them.
  const records = [];
  for (const [key, text] of Object.entries(FILES)) {
    await s3.put(`${PREFIX}${key}`, text);
    records.push(s3Record(s3.bucket, `${PREFIX}${key}`));
  }
  const host = await startLambdaHost(indexer.file, indexer.exportName, env());
  try {
    const { result } = await host.invokeEvent(sqsEvent(records.map((r) => [r])));
    expect(result).toEqual({ batchItemFailures: [] });
    // The broken file is recorded, not served: the one error line the indexer writes.
    expect(errorLines(host).map((l) => l.file)).toEqual(["2026/broken.md"]);
  } finally {
    await host.dispose();
  }
}, 240_000);

afterAll(async () => {
  await Promise.all([s3?.dispose(), db?.stop(), dynamo?.close()]);
  if (out) await rm(out, { recursive: true, force: true });
});

/** What `npm start` serves for `path` over the folder of the same files. */
async function fromFolder(path: string): Promise<{ status: number; body: Buffer }> {
  const config = loadConfig({ SITE_URL, CONTENT_DIR: folder });
  const log = { info() {}, warn() {}, error() {} };
  const { app } = createRuntime(config, new FolderStore(folder), log);
  const response = await app.request(`http://localhost:3000${path}`);
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
}

async function withFeed<T>(fn: (host: LambdaHost) => Promise<T>, overrides = {}): Promise<T> {
  const host = await startLambdaHost(feed.file, feed.exportName, env(overrides));
  try {
    return await fn(host);
  } finally {
    await host.dispose();
  }
}

describe("the synthesized feed bundle over the index", () => {
  it("is the stack's own bundle, with its source map beside it", () => {
    expect(feed.origin).toBe("synthesized");
    // The function maps the stacks it logs from this file (handlers/source-map.ts).
    expect(existsSync(`${feed.file}.map`)).toBe(true);
  });

  it("answers without loading Node's fetch implementation (~25 ms of a cold start)", async () => {
    await withFeed(async (host) => {
      for (const path of [...PATHS, "/nope", "/feed.xml/"]) {
        const { fetchLoaded, statusCode } = await host.invoke({ path });
        expect(statusCode, path).toBeLessThan(500);
        expect(fetchLoaded, path).toBe(false);
      }
      const gzip = await host.invoke({ path: "/feed.xml", headers: { "accept-encoding": "gzip" } });
      expect(gzip.fetchLoaded).toBe(false);
    });
  });

  it("serves feeds, tag and author feeds and pages byte-identical to the folder path", async () => {
    await withFeed(async (host) => {
      for (const path of PATHS) {
        const deployed = await host.invoke({ path });
        const local = await fromFolder(path);
        expect(deployed.statusCode, path).toBe(200);
        expect(local.status, path).toBe(200);
        expect(bodyBytes(deployed).toString("utf8"), path).toBe(local.body.toString("utf8"));
      }
      // The large body came from compiled/ in the bucket, not from the index item.
      expect(bodyBytes(await host.invoke({ path: "/articles/long-read" })).length).toBeGreaterThan(
        32 * 1024,
      );
      expect(errorLines(host)).toEqual([]);
    });
    const bucket = new S3(
      { url: s3.endpoint, region: "us-east-1", service: "s3", credentials: S3RVER_CREDENTIALS },
      s3.bucket,
    );
    expect(await bucket.list("compiled/")).toHaveLength(1);
  });

  it("leaves out the draft, the future article and the broken file, as the folder path does", async () => {
    await withFeed(async (host) => {
      const titles = (
        JSON.parse(bodyBytes(await host.invoke({ path: "/feed.json" })).toString("utf8")) as {
          items: { title: string }[];
        }
      ).items.map((i) => i.title);
      expect(titles).toHaveLength(5);
      expect(titles).not.toContain("Not yet");
      expect(titles).not.toContain("Later");
      expect(titles).not.toContain("Broken");
      for (const path of ["/articles/draft", "/articles/future", "/articles/broken"])
        expect((await host.invoke({ path })).statusCode, path).toBe(404);
    });
  });
});

describe("DynamoDB failing under the feed bundle", () => {
  const failures = {
    unavailable: () => ({ kind: "reset" }) as const,
    throttled: () =>
      ({
        kind: "respond",
        status: 400,
        headers: { "content-type": "application/x-amz-json-1.0" },
        body: JSON.stringify({
          __type: "com.amazonaws.dynamodb.v20120810#ThrottlingException",
          message: "Rate of requests exceeds the allowed throughput.",
        }),
      }) as const,
  };

  for (const [name, fault] of Object.entries(failures)) {
    it(`${name}, warm: the last good feeds are still served`, async () => {
      dynamo.decide = () => "forward";
      await withFeed(
        async (host) => {
          const good: Record<string, Buffer> = {};
          for (const path of ["/feed.xml", "/tags/harbour/feed.xml", "/articles/long-read"])
            good[path] = bodyBytes(await host.invoke({ path }));
          dynamo.decide = fault;
          dynamo.seen.length = 0;
          // Past the revalidation interval (1 s here): the function asks the index again.
          await new Promise((r) => setTimeout(r, 1_100));
          for (const [path, body] of Object.entries(good)) {
            const again = await host.invoke({ path });
            expect(again.statusCode, path).toBe(200);
            expect(bodyBytes(again).equals(body), path).toBe(true);
          }
          expect(dynamo.seen.length).toBeGreaterThan(0);
        },
        { REVALIDATE_SECONDS: "1" },
      );
      dynamo.decide = () => "forward";
    });

    it(`${name}, cold: 503 with Retry-After, then the feed once DynamoDB answers`, async () => {
      dynamo.decide = fault;
      await withFeed(async (host) => {
        const result = await host.invoke({ path: "/feed.xml" });
        expect(result.statusCode).toBe(503);
        expect(Number(header(result, "retry-after"))).toBeGreaterThan(0);
        expect(header(result, "cache-control")).toBe("no-store");
        dynamo.decide = () => "forward";
        expect((await host.invoke({ path: "/feed.xml" })).statusCode).toBe(200);
      });
    });
  }
});
