/**
 * The WebSub Lambda's core against real parts: articles in s3rver, pings to an HTTP hub stub,
 * S3 event notifications shaped as Lambda receives them.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config.ts";
import { memoryLogger } from "../../functions/log.ts";
import { S3Store } from "../../functions/storage/s3.ts";
import { handleArticleEvent, type S3ChangeDeps } from "../../functions/websub/handler.ts";
import { article, SITE_URL } from "../support/folder-site.ts";
import { type Hub, startHub } from "../support/hub.ts";
import { s3BridgeEvent, s3Event, s3Record } from "../support/s3-event.ts";
import { type S3rver, startS3rver } from "../support/s3rver.ts";

const PREFIX = "articles/";
let s3: S3rver;
let hub: Hub;
let log: ReturnType<typeof memoryLogger>;

beforeAll(async () => {
  s3 = await startS3rver();
});
afterAll(() => s3.dispose());
beforeEach(async () => {
  hub = await startHub();
  log = memoryLogger();
});
afterEach(() => hub.close());

function deps(env: Record<string, string> = {}): S3ChangeDeps {
  const config = loadConfig({
    SITE_URL,
    HUB_URL: hub.url,
    CONTENT_BUCKET: s3.bucket,
    CONTENT_PREFIX: PREFIX,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    ...env,
  });
  const store = new S3Store({ bucket: s3.bucket, prefix: PREFIX, client: s3.client });
  return { config, store, log, publish: { retries: 1, backoff: 1, timeout: 5_000 } };
}

const feeds = (path: string) =>
  ["feed.xml", "atom.xml", "feed.json"].map((f) => `${SITE_URL}${path}/${f}`);
const created = (key: string) => s3Record(s3.bucket, key, "ObjectCreated:Put");
const removed = (key: string) => s3Record(s3.bucket, key, "ObjectRemoved:DeleteMarkerCreated");

describe("handleArticleEvent", () => {
  it("reads S3 events delivered by EventBridge the same way", async () => {
    const key = `${PREFIX}2026/tram.md`;
    await s3.put(key, article({ title: "Tram", tags: ["Trams"] }));
    const created = await handleArticleEvent(s3BridgeEvent(s3.bucket, key), deps());
    expect(created?.published).toEqual([
      ...feeds(""),
      ...feeds("/authors/desk"),
      ...feeds("/tags/trams"),
    ]);
    const deleted = await handleArticleEvent(
      s3BridgeEvent(s3.bucket, key, "Object Deleted"),
      deps(),
    );
    expect(deleted?.published).toEqual(feeds(""));
    const outside = s3BridgeEvent(s3.bucket, "other/tram.md");
    expect(await handleArticleEvent(outside, deps())).toBeUndefined();
  });

  it("pings the site feeds and the feeds of the new article's tags and authors", async () => {
    const key = `${PREFIX}2026/night bus.md`;
    await s3.put(
      key,
      article({ title: "Night bus", tags: ["Transport", "R&D"], authors: ["Mara", "Ana Müller"] }),
    );
    const report = await handleArticleEvent(s3Event(created(key)), deps());
    const expected = [
      ...feeds(""),
      ...feeds("/authors/ana-muller"),
      ...feeds("/authors/mara"),
      ...feeds("/tags/r-d"),
      ...feeds("/tags/transport"),
    ];
    expect(report).toEqual({ published: expected, failed: [] });
    // Requests run four at a time, so they arrive in any order; each carries one topic.
    expect(hub.requests.map((r) => r.urls).sort()).toEqual(expected.map((url) => [url]).sort());
    expect(hub.requests.every((r) => r.modes[0] === "publish")).toBe(true);
  });

  it("pings the site feeds only for a deleted article (its old tags are not known)", async () => {
    const report = await handleArticleEvent(s3Event(removed(`${PREFIX}gone.md`)), deps());
    expect(report?.published).toEqual(feeds(""));
  });

  it("pings each feed once for several records", async () => {
    await s3.put(`${PREFIX}a.md`, article({ title: "A", tags: ["Ports"] }));
    await s3.put(`${PREFIX}b.md`, article({ title: "B", tags: ["Ports"] }));
    const report = await handleArticleEvent(
      s3Event(created(`${PREFIX}a.md`), created(`${PREFIX}b.md`)),
      deps(),
    );
    const expected = [...feeds(""), ...feeds("/authors/desk"), ...feeds("/tags/ports")];
    expect(report?.published).toEqual(expected);
    expect(hub.requests.map((r) => r.urls[0]).sort()).toEqual([...expected].sort());
  });

  it("ignores objects that are not articles or lie outside the prefix", async () => {
    const event = s3Event(
      created(`${PREFIX}images/photo.jpg`),
      created("drafts/elsewhere.md"),
      removed(`${PREFIX}notes.json`),
    );
    expect(await handleArticleEvent(event, deps())).toBeUndefined();
    expect(hub.requests).toEqual([]);
  });

  it("still pings the site feeds when the new object is not a valid article, and says why", async () => {
    await s3.put(`${PREFIX}broken.md`, "---\ntitle: Broken\ndate: 2024-02-30\n---\n\nNo.\n");
    const report = await handleArticleEvent(s3Event(created(`${PREFIX}broken.md`)), deps());
    expect(report?.published).toEqual(feeds(""));
    expect(log.entries).toContainEqual(
      expect.objectContaining({
        level: "warn",
        message: "websub: changed article could not be read; pinging the site feeds only",
        fields: expect.objectContaining({ file: "broken.md" }),
      }),
    );
  });

  it("logs and resolves when the hub keeps failing (the Lambda does not throw)", async () => {
    await s3.put(`${PREFIX}c.md`, article({ title: "C" }));
    hub.answer(...Array(40).fill(503));
    const report = await handleArticleEvent(s3Event(created(`${PREFIX}c.md`)), deps());
    expect(report?.published).toEqual([]);
    expect(report?.failed.map((f) => f.reason)).toEqual(
      Array(6).fill("hub answered 503: error 503"),
    );
    expect(hub.requests).toHaveLength(12); // 6 feeds × (1 + 1 retry)
    expect(log.entries.filter((e) => e.message === "websub publish gave up")).toHaveLength(6);
  });
});
