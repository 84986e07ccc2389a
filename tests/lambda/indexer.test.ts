/**
 * The indexer handler wired from its environment, on real servers: articles in s3rver, the
 * index in dynalite, the WebSub queue and EventBridge Scheduler as stand-ins on 127.0.0.1.
 * Events arrive as SQS batches of S3 notifications, as Lambda delivers them.
 */
import type { SQSEvent } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { indexerFromEnv } from "../../functions/handlers/indexer.ts";
import { handleIndexerEvent, type IndexerDeps } from "../../functions/handlers/indexer-batch.ts";
import { timeKey } from "../../functions/index/keys.ts";
import { memoryLogger } from "../../functions/log.ts";
import { parseChange } from "../../functions/websub/queue.ts";
import { articleFile } from "../fixtures/index.ts";
import { type Dynalite, startDynalite } from "../support/dynalite.ts";
import { type FaultProxy, s3ErrorBody, startFaultProxy } from "../support/fault-proxy.ts";
import { s3Record, sqsEvent } from "../support/s3-events.ts";
import { type S3rver, startS3rver } from "../support/s3rver.ts";
import { type SchedulerStub, startSchedulerStub } from "../support/scheduler-stub.ts";
import { type SqsStub, startSqsStub } from "../support/sqs-stub.ts";

const SITE = "https://news.example.com";
const QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:dateline-articles";
const ROLE_ARN = "arn:aws:iam::123456789012:role/dateline-release";
let s3: S3rver;
let db: Dynalite;
let sqs: SqsStub;
let scheduler: SchedulerStub;
let proxy: FaultProxy;
let clock = Date.parse("2026-06-01T12:00:00Z");
let tables = 0;

beforeAll(async () => {
  vi.spyOn(console, "log").mockImplementation(() => {});
  vi.spyOn(console, "error").mockImplementation(() => {});
  [s3, db, sqs, scheduler] = await Promise.all([
    startS3rver(),
    startDynalite(),
    startSqsStub(),
    startSchedulerStub(),
  ]);
  proxy = await startFaultProxy(s3.port);
  // The signed clients read credentials where Lambda puts them: the process environment.
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: s3.env.AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: s3.env.AWS_SECRET_ACCESS_KEY,
  });
});
afterAll(async () => {
  vi.restoreAllMocks();
  await Promise.all([s3.dispose(), db.stop(), sqs.close(), scheduler.close(), proxy.close()]);
});

/** A fresh table and prefix, and the indexer as its environment wires it. */
async function setup(options: { viaProxy?: boolean } = {}) {
  const n = ++tables;
  const tableName = `indexer-${n}`;
  await db.table(tableName);
  const prefix = `t${n}/articles/`;
  const deps: IndexerDeps = await indexerFromEnv(
    {
      ...db.env,
      ...s3.env,
      AWS_ENDPOINT_URL_S3: options.viaProxy ? proxy.endpoint : s3.endpoint,
      AWS_ENDPOINT_URL_SQS: sqs.url,
      AWS_ENDPOINT_URL_SCHEDULER: scheduler.url,
      SITE_URL: SITE,
      CONTENT_BUCKET: s3.bucket,
      CONTENT_PREFIX: prefix,
      INDEX_TABLE: tableName,
      WEBSUB_QUEUE_URL: `${sqs.url}/123456789012/websub-${n}`,
      RELEASE_SCHEDULE_GROUP: `dateline-${n}`,
      RELEASE_ROLE_ARN: ROLE_ARN,
      RELEASE_QUEUE_ARN: QUEUE_ARN,
    },
    () => clock,
  );
  const messages = () =>
    sqs.messages.filter((m) => m.queueUrl.endsWith(`/websub-${n}`)).map((m) => parseChange(m.body));
  const announced = () => messages().map((m) => m.scopes);
  /** The article pages each message names (the publisher invalidates them too). */
  const pagesAnnounced = () => messages().map((m) => m.pages);
  const uploaded = (key: string) => s3Record(s3.bucket, `${prefix}${key}`);
  return { deps, prefix, announced, pagesAnnounced, group: `dateline-${n}`, uploaded };
}

/** The same SQS messages delivered a second time (after their visibility timeout). */
function redelivered(event: SQSEvent): SQSEvent {
  return {
    Records: event.Records.map((r) => ({
      ...r,
      attributes: { ...r.attributes, ApproximateReceiveCount: "2" },
    })),
  };
}

const titles = async (deps: IndexerDeps) =>
  (await deps.index.page("site", 50)).items.map((i) => i.meta.title);

describe("indexer handler", () => {
  it("applies a batch of S3 events, keeps large bodies in compiled/, announces the changed feeds once", async () => {
    const { deps, prefix, announced, pagesAnnounced, uploaded } = await setup();
    const long = `${"A paragraph of the long read. ".repeat(1_500)}\n`;
    await s3.put(`${prefix}2026/short.md`, articleFile({ title: "Short", tags: ["Port"] }));
    await s3.put(
      `${prefix}2026/long read.md`,
      articleFile({ title: "Long", tags: ["Port"], date: "2024-03-06T00:00:00Z" }, long),
    );
    const first = uploaded("2026/short.md");
    const event = sqsEvent([[first], [uploaded("2026/long read.md")], [first]]);
    expect(await handleIndexerEvent(event, deps)).toEqual({ batchItemFailures: [] });
    expect(await titles(deps)).toEqual(["Long", "Short"]);
    const [longItem] = (await deps.index.page("site", 1)).items;
    expect(longItem?.html.length).toBeGreaterThan(32 * 1024);
    const blobs = (await s3.requests()).filter(
      (r) => r.method === "PUT" && r.url.includes("/compiled/"),
    );
    expect(blobs).toHaveLength(1);
    expect(blobs[0]?.url).toMatch(/\/compiled\/[0-9a-f]{64}\.html$/);
    expect(announced()).toEqual([["", "/authors/kim-seo-yeon", "/tags/port"]]);
    expect(pagesAnnounced()).toEqual([["long-read", "short"]]);
    // The same events again change nothing and announce nothing.
    expect(await handleIndexerEvent(event, deps)).toEqual({ batchItemFailures: [] });
    expect(announced()).toHaveLength(1);
  });

  it("reports only the message that failed; it applies when delivered again", async () => {
    const { deps, prefix, uploaded } = await setup({ viaProxy: true });
    await s3.put(`${prefix}a.md`, articleFile({ title: "A" }));
    await s3.put(`${prefix}b.md`, articleFile({ title: "B" }));
    proxy.decide = (request) =>
      request.target.includes("/b.md")
        ? { kind: "respond", status: 503, body: s3ErrorBody(503) }
        : "forward";
    const event = sqsEvent([[uploaded("a.md")], [uploaded("b.md")]]);
    const b = event.Records[1]?.messageId;
    try {
      expect(await handleIndexerEvent(event, deps)).toEqual({
        batchItemFailures: [{ itemIdentifier: b }],
      });
      expect(await titles(deps)).toEqual(["A"]);
    } finally {
      proxy.decide = () => "forward";
    }
    const again = { Records: event.Records.filter((r) => r.messageId === b) };
    expect(await handleIndexerEvent(again, deps)).toEqual({ batchItemFailures: [] });
    expect((await titles(deps)).sort()).toEqual(["A", "B"]);
  });

  it("announces the feeds a deleted article leaves; a failed announcement fails its messages", async () => {
    const { deps, prefix, announced, pagesAnnounced, uploaded } = await setup();
    await s3.put(`${prefix}ferry.md`, articleFile({ title: "Ferry", tags: ["Ports"] }));
    await s3.put(`${prefix}bus.md`, articleFile({ title: "Bus", tags: ["Transport"] }));
    await handleIndexerEvent(sqsEvent([[uploaded("ferry.md")], [uploaded("bus.md")]]), deps);
    await s3.remove(`${prefix}ferry.md`);
    const gone = sqsEvent([[s3Record(s3.bucket, `${prefix}ferry.md`, "ObjectRemoved:Delete")]]);
    expect(await handleIndexerEvent(gone, deps)).toEqual({ batchItemFailures: [] });
    expect(await titles(deps)).toEqual(["Bus"]);
    expect(announced().at(-1)).toEqual(["", "/authors/kim-seo-yeon", "/tags/ports"]);
    // Its page, now a 404, is named too: CloudFront would serve the cached article otherwise.
    expect(pagesAnnounced().at(-1)).toEqual(["ferry"]);

    const log = memoryLogger();
    const failing: IndexerDeps = {
      ...deps,
      log,
      announce: async () => {
        throw new Error("queue unreachable");
      },
    };
    await s3.put(`${prefix}tram.md`, articleFile({ title: "Tram", tags: ["Transport"] }));
    const event = sqsEvent([[uploaded("tram.md")]]);
    expect(await handleIndexerEvent(event, failing)).toEqual({
      batchItemFailures: [{ itemIdentifier: event.Records[0]?.messageId }],
    });
    expect(log.entries).toContainEqual(
      expect.objectContaining({
        level: "error",
        message: "indexer: changed feeds could not be announced",
      }),
    );
    // The index holds the change already; SQS delivers the message again: it is announced.
    const before = announced().length;
    expect(await handleIndexerEvent(redelivered(event), deps)).toEqual({ batchItemFailures: [] });
    expect(announced().slice(before)).toEqual([["", "/authors/kim-seo-yeon", "/tags/transport"]]);
    // A duplicate S3 event in a message of its own (first delivery) changes and announces nothing.
    expect(await handleIndexerEvent(sqsEvent([[uploaded("tram.md")]]), deps)).toEqual({
      batchItemFailures: [],
    });
    expect(announced()).toHaveLength(before + 1);
  });

  it("announces the author left alone when the other author's last article goes (its documents turn 404)", async () => {
    const { deps, prefix, announced, uploaded } = await setup();
    await s3.put(`${prefix}ferry.md`, articleFile({ title: "Ferry", tags: ["Ports"] }));
    await s3.put(`${prefix}bus.md`, articleFile({ title: "Bus", author: "Mara", tags: ["Ports"] }));
    await handleIndexerEvent(sqsEvent([[uploaded("ferry.md")], [uploaded("bus.md")]]), deps);
    await s3.remove(`${prefix}bus.md`);
    const gone = sqsEvent([[s3Record(s3.bucket, `${prefix}bus.md`, "ObjectRemoved:Delete")]]);
    expect(await handleIndexerEvent(gone, deps)).toEqual({ batchItemFailures: [] });
    expect(announced().at(-1)).toEqual([
      "",
      "/authors/kim-seo-yeon",
      "/authors/mara",
      "/tags/ports",
    ]);
    // An edit that leaves both authors names only its own.
    await s3.put(`${prefix}bus.md`, articleFile({ title: "Bus", author: "Mara", tags: ["Ports"] }));
    await handleIndexerEvent(sqsEvent([[uploaded("bus.md")]]), deps);
    await s3.put(
      `${prefix}bus.md`,
      articleFile({ title: "Bus!", author: "Mara", tags: ["Ports"] }),
    );
    await handleIndexerEvent(sqsEvent([[uploaded("bus.md")]]), deps);
    expect(announced().at(-1)).toEqual(["", "/authors/mara", "/tags/ports"]);
  });

  it("schedules a future-dated article's release once, and the release message makes it live", async () => {
    const { deps, prefix, announced, pagesAnnounced, group, uploaded } = await setup();
    const at = clock + 3_600_500;
    const date = new Date(at).toISOString();
    await s3.put(`${prefix}soon.md`, articleFile({ title: "Soon", date, tags: ["Later"] }));
    await s3.put(`${prefix}also.md`, articleFile({ title: "Also", date, tags: ["Later"] }));
    const event = sqsEvent([[uploaded("soon.md")], [uploaded("also.md")]]);
    expect(await handleIndexerEvent(event, deps)).toEqual({ batchItemFailures: [] });
    expect(await titles(deps)).toEqual([]);
    const mine = scheduler.schedules.filter((s) => s.GroupName === group);
    expect(mine).toEqual([
      {
        name: `release-${timeKey(at)}`,
        GroupName: group,
        // Rounded up: a release never fires before the article's time.
        ScheduleExpression: `at(${new Date(Math.ceil(at / 1000) * 1000).toISOString().slice(0, 19)})`,
        ScheduleExpressionTimezone: "UTC",
        FlexibleTimeWindow: { Mode: "OFF" },
        ActionAfterCompletion: "DELETE",
        ClientToken: `release-${timeKey(at)}`,
        Target: { Arn: QUEUE_ARN, RoleArn: ROLE_ARN, Input: '{"release":true}' },
        signedFor: "scheduler",
      },
    ]);
    // Another indexer seeing an edit of it asks again: the name collides (409), which is fine.
    await s3.put(`${prefix}soon.md`, articleFile({ title: "Soon!", date, tags: ["Later"] }));
    const before = scheduler.requests;
    expect(await handleIndexerEvent(sqsEvent([[uploaded("soon.md")]]), deps)).toEqual({
      batchItemFailures: [],
    });
    expect(scheduler.requests).toBe(before + 1);
    expect(scheduler.schedules.filter((s) => s.GroupName === group)).toHaveLength(1);
    expect(announced()).toEqual([]);

    clock = Math.ceil(at / 1000) * 1000;
    expect(await handleIndexerEvent(sqsEvent([{ release: true }]), deps)).toEqual({
      batchItemFailures: [],
    });
    expect((await titles(deps)).sort()).toEqual(["Also", "Soon!"]);
    expect(announced()).toEqual([["", "/authors/kim-seo-yeon", "/tags/later"]]);
    expect(pagesAnnounced()).toEqual([["also", "soon"]]);
  });

  it("fails the message whose release could not be scheduled", async () => {
    const { deps, prefix, uploaded, group } = await setup();
    await s3.put(
      `${prefix}later.md`,
      articleFile({ title: "Later", date: new Date(clock + 86_400_000).toISOString() }),
    );
    const event = sqsEvent([[uploaded("later.md")]]);
    scheduler.failWith = 500;
    try {
      expect(await handleIndexerEvent(event, deps)).toEqual({
        batchItemFailures: [{ itemIdentifier: event.Records[0]?.messageId }],
      });
    } finally {
      scheduler.failWith = undefined;
    }
    // Delivered again, the change is already in the index: the release is still scheduled.
    const before = scheduler.schedules.filter((s) => s.GroupName === group).length;
    expect(await handleIndexerEvent(redelivered(event), deps)).toEqual({ batchItemFailures: [] });
    expect(scheduler.schedules.filter((s) => s.GroupName === group)).toHaveLength(before + 1);
  });

  it("reconciles on a rebuild message or a scheduled event; ignores what is not ours", async () => {
    const { deps, prefix, announced } = await setup();
    await s3.put(`${prefix}missed.md`, articleFile({ title: "Missed", tags: [] }));
    const event = sqsEvent([
      { rebuild: true },
      { Event: "s3:TestEvent" },
      [s3Record("another-bucket", `${prefix}x.md`)],
    ]);
    expect(await handleIndexerEvent(event, deps)).toEqual({ batchItemFailures: [] });
    expect(await titles(deps)).toEqual(["Missed"]);
    expect(announced()).toEqual([["", "/authors/kim-seo-yeon"]]);
    await s3.put(`${prefix}second.md`, articleFile({ title: "Second", tags: [] }));
    await handleIndexerEvent(
      { source: "aws.events", "detail-type": "Scheduled Event", detail: {} },
      deps,
    );
    expect((await titles(deps)).sort()).toEqual(["Missed", "Second"]);
  });

  it("rejects a direct (non-SQS) event it could not apply", async () => {
    const { deps } = await setup({ viaProxy: true });
    proxy.decide = () => ({ kind: "respond", status: 500, body: s3ErrorBody(500) });
    try {
      await expect(handleIndexerEvent({ rebuild: true }, deps)).rejects.toThrow(/could not/);
    } finally {
      proxy.decide = () => "forward";
    }
  });
});
