/**
 * The article manifest against a real S3-compatible server (s3rver): built by the indexer's own
 * code from S3 event records, safe under concurrent and reordered events, and read by the feed
 * runtime with one GET at a cold start instead of listing and reading every article.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { corpus } from "../../bench/corpus.ts";
import type { ArticleMeta } from "../../functions/articles/article.ts";
import { loadConfig } from "../../functions/config.ts";
import { Indexer } from "../../functions/indexer.ts";
import { memoryLogger } from "../../functions/log.ts";
import { createRuntime } from "../../functions/runtime.ts";
import {
  decodeManifest,
  encodeManifest,
  ManifestError,
  manifestKeyFor,
} from "../../functions/storage/manifest.ts";
import { S3Store } from "../../functions/storage/s3.ts";
import type { IndexedArticle } from "../../functions/storage/store.ts";
import { s3Record, sqsEvent } from "../support/s3-events.ts";
import { type S3rver, type S3rverRequest, startS3rver } from "../support/s3rver.ts";

const SITE = "https://news.example.com";
const BROKEN = "broken/no-date.md";

let s3: S3rver;
let libraries = 0;

beforeAll(async () => {
  s3 = await startS3rver();
});

afterAll(async () => {
  await s3?.dispose();
});

/**
 * A fresh article library under its own prefix (so tests never share state): `count` generated
 * articles, one broken article and one non-article object.
 */
async function library(count: number, seed = 7) {
  const prefix = `lib${++libraries}/articles/`;
  const manifestKey = manifestKeyFor(prefix);
  const files = new Map<string, string>([...corpus(count, seed)].map((f) => [f.key, f.text]));
  files.set(BROKEN, "---\ntitle: No date here\n---\n\nBody.\n");
  await s3.putMany([...files].map(([key, text]) => [prefix + key, text] as const));
  await s3.put(`${prefix}images/photo.jpg`, new Uint8Array([0xff, 0xd8, 0xff]));
  const log = memoryLogger();
  const clock = { now: Date.now() };
  const lib = {
    prefix,
    manifestKey,
    files,
    log,
    clock,
    keys: () => [...files.keys()].sort(),
    indexer: (options: { log?: ReturnType<typeof memoryLogger> } = {}) =>
      new Indexer({
        client: s3.client,
        bucket: s3.bucket,
        prefix,
        manifestKey,
        log: options.log ?? log,
      }),
    /** An S3 event record for an article key (relative to the prefix). */
    record: (key: string, removed = false) =>
      s3Record(s3.bucket, prefix + key, removed ? "ObjectRemoved:Delete" : "ObjectCreated:Put"),
    put: async (key: string, text: string) => {
      files.set(key, text);
      await s3.put(prefix + key, text);
    },
    remove: async (key: string) => {
      files.delete(key);
      await s3.remove(prefix + key);
    },
    /** The feed runtime as the Lambda builds it, with or without the manifest. */
    runtime: (useManifest = true) => {
      const config = loadConfig({
        SITE_URL: SITE,
        CONTENT_BUCKET: s3.bucket,
        CONTENT_PREFIX: prefix,
        ...(useManifest ? { CONTENT_MANIFEST: manifestKey } : {}),
      });
      const store = new S3Store({
        bucket: s3.bucket,
        prefix,
        client: s3.client,
        ...(useManifest ? { manifestKey } : {}),
      });
      return createRuntime(config, store, log, () => lib.clock.now);
    },
    /** The manifest's entries as stored now, by key. */
    manifest: async (): Promise<Map<string, IndexedArticle>> => {
      const response = await s3.client.send(
        new GetObjectCommand({ Bucket: s3.bucket, Key: manifestKey }),
      );
      const bytes = await response.Body?.transformToByteArray();
      return new Map((await decodeManifest(bytes ?? new Uint8Array())).map((e) => [e.key, e]));
    },
    /** What the server saw since the last clearRequests(), by kind. */
    traffic: async () => {
      const log: S3rverRequest[] = await s3.requests();
      const path = (r: S3rverRequest) => decodeURIComponent(r.url.split("?")[0] ?? "");
      return {
        manifestGets: log.filter(
          (r) => r.method === "GET" && path(r) === `/${s3.bucket}/${manifestKey}`,
        ),
        manifestPuts: log.filter(
          (r) => r.method === "PUT" && path(r) === `/${s3.bucket}/${manifestKey}`,
        ),
        lists: log.filter((r) => r.method === "GET" && r.url.includes("list-type=2")),
        articleGets: log.filter(
          (r) =>
            r.method === "GET" &&
            !r.url.includes("list-type=2") &&
            path(r).startsWith(`/${s3.bucket}/${prefix}`),
        ),
        all: log,
      };
    },
  };
  return lib;
}

type Library = Awaited<ReturnType<typeof library>>;

/** Indexes every file of the library with one SQS batch of S3 event records (10 per message). */
async function indexAll(lib: Library) {
  const records = lib.keys().map((key) => lib.record(key));
  const messages: ReturnType<typeof lib.record>[][] = [];
  for (let i = 0; i < records.length; i += 10) messages.push(records.slice(i, i + 10));
  return lib.indexer().handle(sqsEvent(messages));
}

async function body(app: ReturnType<Library["runtime"]>["app"], path: string) {
  const response = await app.request(path);
  expect(response.status, path).toBe(200);
  return response.text();
}

describe("manifest format", () => {
  const meta = (overrides: Partial<ArticleMeta>): ArticleMeta => ({
    key: "2024/a.md",
    version: '"etag-a"',
    modified: new Date("2024-03-05T10:00:00Z"),
    id: "urn:uuid:00000000-0000-5000-8000-000000000001",
    slug: "a",
    title: "Zoë’s “festival” 축제 🎉 & <friends>",
    date: new Date("2024-03-05T00:30:00.123Z"),
    updated: new Date("2024-03-06T00:00:00Z"),
    authors: [
      { name: "김서연" },
      { name: "Ana", email: "ana@example.com", url: "https://ana.example" },
    ],
    tags: ["축제", "Culture"],
    summary: "First paragraph… with an ellipsis",
    attachments: [
      {
        url: "https://x.example/a.mp3",
        type: "audio/mpeg",
        size: 12,
        title: "Ep",
        durationSeconds: 1.5,
      },
    ],
    draft: true,
    format: "wire",
    image: "/img/a.jpg",
    lang: "ko",
    ...overrides,
  });

  it("round-trips every field exactly, and broken entries with their reason", async () => {
    const full = meta({});
    const plain = meta({
      key: "b.md",
      slug: "b",
      attachments: [],
      draft: false,
      format: "markdown",
    });
    delete plain.image;
    delete plain.lang;
    const broken = {
      key: "c.md",
      version: "v3",
      modified: new Date(1_000),
      error: "date: missing",
    };
    const revised = meta({ key: "d.md", slug: "d", hash: "abc", revised: new Date(5_000) });
    const entries = [
      { key: full.key, version: full.version, meta: full },
      { key: plain.key, version: plain.version, meta: plain },
      broken,
      { key: revised.key, version: revised.version, meta: revised },
    ];
    const decoded = await decodeManifest(await encodeManifest(entries));
    expect(decoded).toEqual([entries[0], entries[1], broken, entries[3]]);
    expect(
      Object.keys((decoded.find((e) => e.key === "b.md") as { meta: object }).meta),
    ).not.toContain("image");
  });

  it("is plain ASCII JSON lines, the same bytes for the same entries in any order", async () => {
    const a = { key: "a.md", version: "1", meta: meta({ key: "a.md" }) };
    const b = { key: "b.md", version: "2", meta: meta({ key: "b.md", slug: "b" }) };
    const one = await encodeManifest([a, b]);
    expect(one.equals(await encodeManifest([b, a]))).toBe(true);
    const text = gunzipSync(one).toString("latin1");
    expect([...text].every((c) => c === "\n" || (c >= " " && c <= "~"))).toBe(true);
    expect(text.trim().split("\n")).toHaveLength(3);
  });

  it("refuses a manifest cut short, another format, or garbage", async () => {
    const lines = gunzipSync(
      await encodeManifest([
        { key: "a.md", version: "1", meta: meta({ key: "a.md" }) },
        { key: "b.md", version: "2", meta: meta({ key: "b.md", slug: "b" }) },
      ]),
    )
      .toString()
      .trim()
      .split("\n");
    const cut = gzipSync(`${lines.slice(0, 2).join("\n")}\n`);
    await expect(decodeManifest(cut)).rejects.toThrow(/holds 1 entries, its header says 2/);
    await expect(decodeManifest((await encodeManifest([])).subarray(0, 12))).rejects.toBeInstanceOf(
      ManifestError,
    );
    await expect(decodeManifest(gzipSync('{"format":"other","version":1}\n'))).rejects.toThrow(
      /not a dateline-manifest/,
    );
    await expect(decodeManifest(gzipSync(`${lines[0]}\n["a.md", 1]\n`))).rejects.toThrow(/line 2/);
    await expect(decodeManifest(Buffer.from("not gzip"))).rejects.toBeInstanceOf(ManifestError);
  });
});

describe("indexer", () => {
  it("builds the manifest from S3 event records: every article, the broken one with its reason", async () => {
    const lib = await library(40);
    const result = await indexAll(lib);
    expect(result).toMatchObject({ written: true, articles: 41, added: 41, removed: 0 });

    const manifest = await lib.manifest();
    expect([...manifest.keys()].sort()).toEqual(lib.keys());
    const broken = manifest.get(BROKEN);
    expect(broken && "error" in broken && broken.error).toMatch(/date: missing/);
    const skipped = lib.log.entries.filter((e) => e.message === "article skipped");
    expect(skipped.map((e) => e.fields?.file)).toEqual([BROKEN]);
  });

  it("builds the first manifest from a full listing, whichever key the first event names", async () => {
    const lib = await library(20);
    const result = await lib.indexer().handle(sqsEvent([[lib.record(lib.keys()[0] ?? "")]]));
    expect(result).toMatchObject({ written: true, articles: 21, added: 21 });
    expect([...(await lib.manifest()).keys()].sort()).toEqual(lib.keys());
  });

  it("gives the feed runtime exactly what listing and parsing give: same snapshot, same bytes", async () => {
    const lib = await library(40);
    await indexAll(lib);
    const viaManifest = lib.runtime(true);
    const viaListing = lib.runtime(false);
    const [a, b] = [await viaManifest.catalog.snapshot(), await viaListing.catalog.snapshot()];
    expect(a.articles.length).toBeGreaterThan(30);
    expect(a.articles).toEqual(b.articles);
    expect(a.version).toBe(b.version);
    const tag = a.articles[0]?.tags[0] ?? "";
    for (const path of [
      "/feed.xml",
      "/atom.xml",
      "/feed.json?limit=40",
      "/",
      `/tags/${encodeURIComponent(tag.toLowerCase().replace(/[^a-z0-9]+/g, "-"))}/feed.xml`,
    ]) {
      expect(await body(viaManifest.app, path), path).toBe(await body(viaListing.app, path));
    }
  });

  it("never loses an article when events arrive concurrently, duplicated and out of order", async () => {
    const lib = await library(30);
    await indexAll(lib);
    const existing = lib.keys().filter((k) => k !== BROKEN);
    const added = [...corpus(25, 99)].map((f) => ({ key: `new/${f.key}`, text: f.text }));
    for (const file of added) await lib.put(file.key, file.text);
    const removed = existing.slice(0, 6);
    for (const key of removed) await lib.remove(key);
    // A deleted file's create event delivered after its delete event must not bring it back.
    const late = existing[6] ?? "";
    await lib.remove(late);

    await s3.clearRequests();
    const indexer = lib.indexer();
    const deliveries = [
      ...added.map((f) => sqsEvent([[lib.record(f.key)]])),
      ...removed.map((key) => sqsEvent([[lib.record(key, true)]])),
      sqsEvent([[lib.record(late, true)]]),
      sqsEvent([[lib.record(late)]]),
      // At-least-once delivery: the same notifications again.
      ...added.slice(0, 5).map((f) => sqsEvent([[lib.record(f.key)]])),
    ];
    // Shuffled deterministically, then all handed over at once as concurrent invocations.
    deliveries.sort(
      (x, y) => x.Records[0]?.messageId.localeCompare(y.Records[0]?.messageId ?? "") ?? 0,
    );
    const results = await Promise.all(deliveries.map((event) => indexer.handle(event)));
    expect(results.every((r) => r !== undefined)).toBe(true);

    const manifest = await lib.manifest();
    expect([...manifest.keys()].sort()).toEqual(lib.keys());
    for (const file of added) {
      const entry = manifest.get(file.key);
      expect(entry && "meta" in entry, file.key).toBe(true);
    }
    const traffic = await lib.traffic();
    // One write per delivery that changed something; the duplicates wrote nothing.
    expect(traffic.manifestPuts).toHaveLength(added.length + removed.length + 1);
  });

  it("records an article's current content, whatever version an older event was about", async () => {
    const lib = await library(3);
    await indexAll(lib);
    const key = "2024/edited.md";
    await lib.put(key, "---\ntitle: First version\ndate: 2024-01-01\n---\n\nText.\n");
    const first = lib.record(key);
    await lib.put(key, "---\ntitle: Second version\ndate: 2024-01-01\n---\n\nText.\n");
    const second = lib.record(key);
    const indexer = lib.indexer();
    await indexer.handle(sqsEvent([[second]]));
    await indexer.handle(sqsEvent([[first]])); // late duplicate of the first upload
    const entry = (await lib.manifest()).get(key);
    expect(entry && "meta" in entry && entry.meta.title).toBe("Second version");
  });

  it("dates an edit without `updated:` by the object's LastModified; equal bytes re-uploaded (a re-deploy) change nothing", async () => {
    const lib = await library(2);
    const key = "2024/corrected.md";
    const text = (body: string) => `---\ntitle: Corrected\ndate: 2024-01-01\n---\n\n${body}\n`;
    await lib.put(key, text("First text."));
    await indexAll(lib);
    const metaOf = async () => {
      const entry = (await lib.manifest()).get(key);
      if (!entry || !("meta" in entry)) throw new Error("not indexed");
      return entry.meta;
    };
    const first = await metaOf();
    expect(first.hash).toBeTruthy();
    expect(first.revised).toBeUndefined();

    await new Promise((r) => setTimeout(r, 1_100)); // S3 LastModified has one-second precision
    await lib.put(key, text("Corrected text."));
    await lib.indexer().handle(sqsEvent([[lib.record(key)]]));
    const edited = await metaOf();
    expect(edited.hash).not.toBe(first.hash);
    expect(edited.revised?.getTime()).toBe(edited.modified.getTime());
    expect(edited.revised?.getTime()).toBeGreaterThan(first.updated.getTime());

    // A re-deploy rewrites the object with the same bytes (new LastModified); a rebuild too.
    await new Promise((r) => setTimeout(r, 1_100));
    await lib.put(key, text("Corrected text."));
    await lib.indexer().handle(sqsEvent([[lib.record(key)]]));
    await lib.indexer().rebuild();
    const again = await metaOf();
    expect(again.hash).toBe(edited.hash);
    expect(again.revised).toEqual(edited.revised);

    const { app } = lib.runtime();
    const json = JSON.parse(await body(app, "/feed.json?limit=100")) as {
      items: { title: string; date_modified: string }[];
    };
    expect(json.items.find((i) => i.title === "Corrected")?.date_modified).toBe(
      edited.revised?.toISOString(),
    );
  });

  it("heals a manifest that missed events with a scheduled rebuild, reading only what changed", async () => {
    const lib = await library(30);
    await indexAll(lib);
    const gone = lib.keys()[3] ?? "";
    await lib.remove(gone);
    await lib.put("missed/event.md", "---\ntitle: Missed\ndate: 2024-02-02\n---\n\nText.\n");

    await s3.clearRequests();
    const result = await lib
      .indexer()
      .handle(sqsEvent([{ version: "0", source: "aws.events", "detail-type": "Scheduled Event" }]));
    expect(result).toMatchObject({ written: true, added: 1, removed: 1, changed: 0 });
    expect([...(await lib.manifest()).keys()].sort()).toEqual(lib.keys());
    const traffic = await lib.traffic();
    expect(traffic.lists.length).toBeGreaterThan(0);
    expect(traffic.articleGets.map((r) => decodeURIComponent(r.url.split("?")[0] ?? ""))).toEqual([
      `/${s3.bucket}/${lib.prefix}missed/event.md`,
    ]);
  });

  it("ignores records of other buckets, other prefixes and S3's test event", async () => {
    const lib = await library(2);
    const indexer = lib.indexer();
    const result = await indexer.handle(
      sqsEvent([
        [s3Record("another-bucket", `${lib.prefix}2024/x.md`)],
        [s3Record(s3.bucket, "elsewhere/y.md")],
        { Service: "Amazon S3", Event: "s3:TestEvent", Bucket: s3.bucket },
      ]),
    );
    expect(result).toBeUndefined();
    expect(lib.log.entries).toContainEqual(
      expect.objectContaining({ message: "indexer ignored records", fields: { count: 2 } }),
    );
  });
});

describe("feed runtime with the manifest", () => {
  it("cold start: one manifest GET, no listing, and only the bodies the response renders", async () => {
    const lib = await library(60);
    await indexAll(lib);
    await s3.clearRequests();
    const { app } = lib.runtime();

    const feed = await body(app, "/feed.xml?limit=5");
    expect(feed.match(/<item>/g)).toHaveLength(5);
    let traffic = await lib.traffic();
    expect(traffic.manifestGets.map((r) => r.status)).toEqual([200]);
    expect(traffic.lists).toEqual([]);
    expect(traffic.articleGets).toHaveLength(5);
    expect(traffic.all).toHaveLength(6);

    // The same five articles in another format: nothing more is read.
    await s3.clearRequests();
    await body(app, "/atom.xml?limit=5");
    expect((await lib.traffic()).all).toEqual([]);

    // Revalidation of an unchanged manifest: one conditional GET answered 304.
    await s3.clearRequests();
    lib.clock.now += 60_000;
    await body(app, "/feed.json?limit=5");
    traffic = await lib.traffic();
    expect(traffic.manifestGets.map((r) => [r.status, Boolean(r.ifNoneMatch)])).toEqual([
      [304, true],
    ]);
    expect(traffic.all).toHaveLength(1);
  });

  it("shows an indexed change at the next revalidation with one manifest GET", async () => {
    const lib = await library(20);
    await indexAll(lib);
    const { app } = lib.runtime();
    await body(app, "/feed.xml?limit=5");

    const key = "2030/late-breaking.md";
    await lib.put(key, "---\ntitle: Late breaking\ndate: 2025-06-01\n---\n\nNews.\n");
    await lib.indexer().handle(sqsEvent([[lib.record(key)]]));
    await s3.clearRequests();
    lib.clock.now += 60_000;
    const feed = await body(app, "/feed.xml?limit=5");
    expect(feed).toContain("Late breaking");
    const traffic = await lib.traffic();
    expect(traffic.manifestGets.map((r) => r.status)).toEqual([200]);
    expect(traffic.lists).toEqual([]);
    // Only the new article's body: the other four were read before.
    expect(traffic.articleGets.map((r) => decodeURIComponent(r.url.split("?")[0] ?? ""))).toEqual([
      `/${s3.bucket}/${lib.prefix}${key}`,
    ]);
  });

  it("falls back to listing when there is no manifest yet, and says so once", async () => {
    const lib = await library(8);
    await s3.clearRequests();
    const { app } = lib.runtime();
    await body(app, "/feed.xml");
    lib.clock.now += 60_000;
    await body(app, "/feed.xml");
    const traffic = await lib.traffic();
    expect(traffic.manifestGets.map((r) => r.status)).toEqual([404, 404]);
    expect(traffic.lists).toHaveLength(2);
    const warnings = lib.log.entries.filter(
      (e) => e.message === "no article index yet; listing the store",
    );
    expect(warnings).toHaveLength(1);
  });

  it("lists instead of trusting a corrupt manifest, and the next indexer run rewrites it", async () => {
    const lib = await library(8);
    await indexAll(lib);
    await s3.client.send(
      new PutObjectCommand({
        Bucket: s3.bucket,
        Key: lib.manifestKey,
        Body: Buffer.from("\x1f\x8b truncated"),
      }),
    );
    const { app } = lib.runtime();
    const feed = await body(app, "/feed.xml");
    expect(feed).toContain("<item>");
    const unusable = lib.log.entries.filter(
      (e) => e.message === "article index unusable; listing the store instead",
    );
    expect(unusable).toHaveLength(1);
    expect(String(unusable[0]?.fields?.reason)).toMatch(/manifest/);

    const result = await lib.indexer().handle(sqsEvent([[lib.record(lib.keys()[0] ?? "")]]));
    expect(result?.written).toBe(true);
    expect([...(await lib.manifest()).keys()].sort()).toEqual(lib.keys());
  });
});
