/**
 * The deployed path on the DynamoDB index, end to end without an AWS account: the bundles of
 * `cdk synth` (tests/deploy/bundles.ts) in their own Node processes, articles in s3rver, the
 * index in dynalite, the WebSub queue and EventBridge Scheduler as stand-ins, all on 127.0.0.1.
 * Upload → S3 event → indexer bundle → index; two indexers fed overlapping, reordered and
 * duplicated events converge; a release schedule's message makes a future article live.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { articleFile } from "../fixtures/articles.ts";
import { type Dynalite, startDynalite } from "../support/dynalite.ts";
import { s3Record, sqsEvent } from "../support/s3-events.ts";
import { S3RVER_CREDENTIALS, type S3rver, startS3rver } from "../support/s3rver.ts";
import { type SchedulerStub, startSchedulerStub } from "../support/scheduler-stub.ts";
import { type SqsStub, startSqsStub } from "../support/sqs-stub.ts";
import { type Bundle, bundleFor } from "./bundles.ts";
import { type LambdaHost, type Synthesized, startLambdaHost } from "./support.ts";
import { sharedSynth } from "./synth-cache.ts";

const SITE_URL = "https://dxxxx.cloudfront.net";
const PREFIX = "articles/";
const QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:dateline-articles";
const ROLE_ARN = "arn:aws:iam::123456789012:role/dateline-release";

let out: string;
let synth: Synthesized;
let indexer: Bundle;
let s3: S3rver;
let db: Dynalite;
let sqs: SqsStub;
let scheduler: SchedulerStub;
let tables = 0;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), "dateline-index-path-"));
  [synth, s3, db, sqs, scheduler] = await Promise.all([
    sharedSynth(),
    startS3rver(),
    startDynalite(),
    startSqsStub(),
    startSchedulerStub(),
  ]);
  indexer = await bundleFor(synth.indexerFunction, "functions/handlers/indexer.ts", out);
}, 240_000);

afterAll(async () => {
  await Promise.all([s3?.dispose(), db?.stop(), sqs?.close(), scheduler?.close()]);
  if (out) await rm(out, { recursive: true, force: true });
});

/** A fresh index table and the environment the stack gives a function, on these servers. */
async function site() {
  const n = ++tables;
  const table = `deploy-${n}`;
  await db.table(table);
  const env: Record<string, string> = {
    TZ: ":UTC",
    NODE_OPTIONS: "--enable-source-maps",
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
    AWS_ENDPOINT_URL_SQS: sqs.url,
    AWS_ENDPOINT_URL_SCHEDULER: scheduler.url,
    SITE_URL,
    INDEX_TABLE: table,
    CONTENT_BUCKET: s3.bucket,
    CONTENT_PREFIX: `s${n}/${PREFIX}`,
    WEBSUB_QUEUE_URL: `${sqs.url}/123456789012/websub-${n}`,
    RELEASE_SCHEDULE_GROUP: `dateline-releases-${n}`,
    RELEASE_ROLE_ARN: ROLE_ARN,
    RELEASE_QUEUE_ARN: QUEUE_ARN,
  };
  const prefix = env.CONTENT_PREFIX as string;
  const upload = async (key: string, body: string | Uint8Array) => {
    await s3.put(`${prefix}${key}`, body);
    return s3Record(s3.bucket, `${prefix}${key}`);
  };
  const remove = async (key: string) => {
    await s3.remove(`${prefix}${key}`);
    return s3Record(s3.bucket, `${prefix}${key}`, "ObjectRemoved:Delete");
  };
  const announced = () =>
    sqs.messages
      .filter((m) => m.queueUrl.endsWith(`/websub-${n}`))
      .map((m) => (JSON.parse(m.body) as { scopes: string[] }).scopes);
  /** Every item of the table, by partition and sort key, without the writers' bookkeeping. */
  const items = async () => {
    const out: Record<string, Record<string, unknown>> = {};
    let start: unknown;
    do {
      const page = await db.client.call<{
        Items: Record<string, { S?: string; N?: string }>[];
        LastEvaluatedKey?: unknown;
      }>("Scan", { TableName: table, ...(start ? { ExclusiveStartKey: start } : {}) });
      for (const item of page.Items) {
        const { pk, sk, gen: _g, changed: _c, pending: _p, prev: _v, ...rest } = item;
        out[`${pk?.S} ${sk?.S}`] = rest;
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  };
  return { env, table, prefix, upload, remove, announced, items };
}

/** Runs `fn` with an indexer process on `env`; every error line it logs fails the test. */
async function withIndexer<T>(env: Record<string, string>, fn: (host: LambdaHost) => Promise<T>) {
  const host = await startLambdaHost(indexer.file, indexer.exportName, env);
  try {
    return await fn(host);
  } finally {
    await host.dispose();
  }
}

const deliver = async (host: LambdaHost, event: unknown) => {
  const { result } = await host.invokeEvent(event);
  return result as { batchItemFailures: { itemIdentifier: string }[] };
};

describe("the synthesized indexer on the index", () => {
  it("is the stack's own bundle, or built from functions/handlers/indexer.ts like it", () => {
    // Until the stack points at functions/handlers/ (infra), the bundle is built here.
    expect(["synthesized", expect.stringMatching(/^built here/)]).toContainEqual(indexer.origin);
  });

  it("reports failed messages to an event source that uses the report (no lost events)", () => {
    const mappings = Object.values(synth.resources).filter(
      (r) => r.Type === "AWS::Lambda::EventSourceMapping",
    );
    const ofIndexer = mappings.filter(
      (r) =>
        (r.Properties.FunctionName as { Ref?: string }).Ref === synth.indexerFunction?.logicalId,
    );
    expect(ofIndexer).toHaveLength(1);
    // The new entry reports batch item failures: its mapping must then read the report, or
    // Lambda would delete every message of a batch whose handler returned normally.
    if (indexer.origin === "synthesized")
      expect(ofIndexer[0]?.Properties.FunctionResponseTypes).toEqual(["ReportBatchItemFailures"]);
  });

  it("two indexers fed overlapping, reordered and duplicated events converge, item by item, on what one rebuild gives", async () => {
    const a = await site();
    const events: ReturnType<typeof s3Record>[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 6; i++) {
        const key = `2025/story ${i}.md`;
        if (round === 2 && i === 5) events.push(await a.remove(key));
        else
          events.push(
            await a.upload(
              key,
              articleFile({
                title: `Story ${i} v${round}`,
                // Two pairs share a slug: the index resolves which one keeps it.
                slug: i < 4 ? `shared-${i % 2}` : `story-${i}`,
                date: `2025-0${1 + i}-01T00:00:00Z`,
                tags: [`Tag ${i % 3}`, "Common"],
              }),
            ),
          );
      }
    }
    const reversed = [...events].reverse();
    await withIndexer(a.env, (one) =>
      withIndexer(a.env, async (two) => {
        const results = await Promise.all([
          deliver(one, sqsEvent(events.map((e) => [e]))),
          deliver(two, sqsEvent([...reversed, ...events.slice(0, 5)].map((e) => [e]))),
        ]);
        expect(results).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
        // Duplicates again, one by one, on the second indexer.
        for (const e of events.slice(3, 9))
          expect(await deliver(two, sqsEvent([[e]]))).toEqual({ batchItemFailures: [] });
      }),
    );
    const b = await site();
    const rebuilt = { ...b.env, INDEX_TABLE: b.table, CONTENT_PREFIX: a.prefix };
    await withIndexer(rebuilt, async (host) => {
      expect(await deliver(host, sqsEvent([{ rebuild: true }]))).toEqual({
        batchItemFailures: [],
      });
    });
    const [converged, expected] = await Promise.all([a.items(), b.items()]);
    const entries = Object.keys(expected).filter((k) => k.startsWith("E#site "));
    expect(entries).toHaveLength(5);
    // Sequencers and times seen differ by construction (the test's events carry their own
    // event times, a listing the objects' LastModified), and events leave a tombstone of a
    // deleted key (so a late, older event stays ignored); everything else must not.
    const tombstones = Object.entries(converged).filter(
      ([, v]) => (v.state as { S?: string } | undefined)?.S === "deleted",
    );
    expect(tombstones.map(([k]) => k)).toEqual(["A 2025/story 5.md"]);
    for (const [k] of tombstones) delete converged[k];
    const strip = (all: Record<string, Record<string, unknown>>) =>
      JSON.parse(
        JSON.stringify(
          Object.fromEntries(
            Object.entries(all).map(([k, { seq: _s, seenAt: _t, modified: _m, ...v }]) => [k, v]),
          ),
        ).replace(/\\"modified\\":\\"[^\\]*\\"/g, "modified"),
      );
    expect(strip(converged)).toEqual(strip(expected));
  });

  it("schedules a future article's release; the schedule's message makes it live and announces it", async () => {
    const a = await site();
    const at = Date.now() + 2_500;
    const date = new Date(at).toISOString();
    await withIndexer(a.env, async (host) => {
      const event = await a.upload(
        "soon.md",
        articleFile({ title: "Soon", date, tags: ["Later"] }),
      );
      expect(await deliver(host, sqsEvent([[event]]))).toEqual({ batchItemFailures: [] });
      const [schedule] = scheduler.schedules.filter(
        (s) => s.GroupName === a.env.RELEASE_SCHEDULE_GROUP,
      );
      expect(schedule).toMatchObject({
        ScheduleExpression: `at(${new Date(Math.ceil(at / 1000) * 1000).toISOString().slice(0, 19)})`,
        ScheduleExpressionTimezone: "UTC",
        ActionAfterCompletion: "DELETE",
        Target: { Arn: QUEUE_ARN, RoleArn: ROLE_ARN },
        signedFor: "scheduler",
      });
      expect(a.announced()).toEqual([]);
      // Scheduler sends the target's input as the message body when the time comes.
      await new Promise((r) => setTimeout(r, Math.ceil(at / 1000) * 1000 - Date.now() + 50));
      const release = JSON.parse(schedule?.Target.Input ?? "null");
      expect(await deliver(host, sqsEvent([release]))).toEqual({ batchItemFailures: [] });
    });
    expect(a.announced()).toEqual([["", "/authors/kim-seo-yeon", "/tags/later"]]);
    const live = Object.keys(await a.items()).filter((k) => k.startsWith("E#site "));
    expect(live).toHaveLength(1);
  });
});
