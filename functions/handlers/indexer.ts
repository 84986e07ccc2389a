/**
 * Indexer Lambda (thin adapter): S3 events for the article prefix, hourly rebuilds and release
 * schedules, all from its one SQS queue, applied to the DynamoDB index with the one compile
 * function (see indexer-batch.ts). Bodies over 32 KB go to the bucket under `compiled/`.
 */
import type { SQSBatchResponse } from "aws-lambda";
import { compileArticle } from "../articles/compile.ts";
import { DynamoDb } from "../aws/dynamodb.ts";
import { endpointFor } from "../aws/request.ts";
import { S3 } from "../aws/s3.ts";
import { Scheduler } from "../aws/scheduler.ts";
import { loadConfig } from "../config.ts";
import { ConfigError } from "../errors.ts";
import { DynamoTable } from "../index/dynamodb.ts";
import { Indexing } from "../index/indexing.ts";
import { timeKey } from "../index/keys.ts";
import { Index } from "../index/write.ts";
import { jsonLogger } from "../log.ts";
import { S3Blobs } from "../storage/blobs.ts";
import { BucketStore } from "../storage/bucket.ts";
import { sqsAnnouncer } from "../websub/queue.ts";
import { handleIndexerEvent, type IndexerDeps } from "./indexer-batch.ts";
import { withSiteUrl } from "./site-url.ts";

/** Message a release schedule sends to the indexer's queue. */
export const RELEASE_MESSAGE = JSON.stringify({ release: true });

/** Wires the indexer from the environment (the function's, or a test's). */
export async function indexerFromEnv(
  source: Record<string, string | undefined>,
  now: () => number = Date.now,
): Promise<IndexerDeps> {
  const env = await withSiteUrl(source);
  const config = loadConfig(env);
  if (config.store.kind !== "s3") throw new ConfigError("the indexer needs CONTENT_BUCKET");
  if (!config.indexTable) throw new ConfigError("the indexer needs INDEX_TABLE");
  const log = jsonLogger();
  const { bucket, prefix } = config.store;
  const s3 = new S3({ ...endpointFor("s3", env), timeoutMs: 10_000 }, bucket);
  const table = new DynamoTable({
    client: new DynamoDb({
      endpoint: { ...endpointFor("dynamodb", env), timeoutMs: 5_000 },
      maxAttempts: 4,
    }),
    tableName: config.indexTable,
    // The indexer must read its own (and the other indexer's) latest writes.
    consistent: true,
  });
  const index = new Index(table, new S3Blobs(s3), { now });
  const release = config.release;
  const scheduler = release
    ? new Scheduler({ ...endpointFor("scheduler", env), timeoutMs: 5_000 })
    : undefined;
  const { onChange } = sqsAnnouncer(env);
  return {
    index,
    indexing: new Indexing({
      index,
      compile: compileArticle,
      compileOptions: { siteUrl: config.siteUrl },
      log,
      now,
    }),
    store: new BucketStore(s3, bucket, prefix),
    bucket,
    prefix,
    log,
    now,
    ...(onChange ? { announce: onChange } : {}),
    ...(release && scheduler
      ? {
          async scheduleRelease(at: number) {
            // One schedule per release time: duplicates collide on the name (already scheduled).
            const outcome = await scheduler.createOnce({
              name: `release-${timeKey(at)}`,
              group: release.group,
              at,
              targetArn: release.queueArn,
              roleArn: release.roleArn,
              input: RELEASE_MESSAGE,
            });
            log.info("release scheduled", { at: new Date(at).toISOString(), outcome });
          },
        }
      : {}),
  };
}

let ready: Promise<IndexerDeps> | undefined;

/**
 * Lambda entry point: SQS batches from the article queue. A failed cold start rejects (the
 * whole batch is delivered again); a failed message is reported as a batch item failure.
 */
export async function handler(event: unknown): Promise<SQSBatchResponse> {
  ready ??= indexerFromEnv(process.env).catch((error: unknown) => {
    ready = undefined;
    throw error;
  });
  return handleIndexerEvent(event, await ready);
}
