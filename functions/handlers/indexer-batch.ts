/**
 * What the indexer does with one Lambda invocation: an SQS batch whose messages are S3 event
 * notifications for the article prefix, `{"rebuild":true}` (hourly: reconcile the index with
 * the bucket), `{"release":true}` (a one-time schedule: make due articles live), or an
 * EventBridge scheduled event (a rebuild). Each message succeeds or fails on its own: a failed
 * one is reported back (ReportBatchItemFailures) and SQS delivers it again, then to the
 * dead-letter queue; nothing else in the batch is retried.
 */
import type { SQSBatchResponse } from "aws-lambda";
import type { ApplyResult, ArticleIndex, ScopeKey } from "../index/index.ts";
import type { Indexing, ObjectEvent, VersionedStore } from "../index/indexing.ts";
import type { Logger } from "../log.ts";
import { loneAuthorAfter } from "../websub/authors.ts";
import { scopePathOf } from "../websub/changes.ts";
import type { Change } from "../websub/paths.ts";

export interface IndexerDeps {
  indexing: Indexing;
  index: ArticleIndex;
  /** The article bucket (BucketStore) and where its articles are. */
  store: VersionedStore;
  bucket: string;
  prefix: string;
  log: Logger;
  now: () => number;
  /**
   * Hands the changed scope paths and article slugs to the WebSub queue (the publisher
   * invalidates them in CloudFront, then pings the hub if there is one); absent: nowhere.
   */
  announce?: (change: Change) => Promise<void>;
  /** Makes sure a `{"release":true}` arrives at `at` (ms); absent: the hourly rebuild releases. */
  scheduleRelease?: (at: number) => Promise<void>;
}

/** What one message asks for. */
export type Work =
  | { kind: "objects"; events: ObjectEvent[]; ignored: number }
  | { kind: "rebuild" }
  | { kind: "release" }
  | { kind: "none"; reason: string };

/** Messages handled at once: S3 events of different keys are independent index writes. */
const PARALLEL = 8;

/**
 * One message body → its work. S3 notification keys are URL-encoded with `+` for spaces; a
 * record for another bucket or outside the prefix, or without a sequencer, is ignored (counted).
 */
export function workOf(body: unknown, bucket: string, prefix: string): Work {
  if (typeof body !== "object" || body === null) return { kind: "none", reason: "not an object" };
  const v = body as Record<string, unknown>;
  if (v.release === true) return { kind: "release" };
  if (v.rebuild === true || (v.source === "aws.events" && v["detail-type"] === "Scheduled Event"))
    return { kind: "rebuild" };
  if (v.Event === "s3:TestEvent") return { kind: "none", reason: "S3 test event" };
  const work: Work & { kind: "objects" } = { kind: "objects", events: [], ignored: 0 };
  const add = (name: unknown, rawKey: unknown, sequencer: unknown, time: unknown) => {
    const key = typeof rawKey === "string" ? articleKeyOf(rawKey, prefix) : undefined;
    if (name !== bucket || key === undefined || typeof sequencer !== "string" || !sequencer) {
      work.ignored++;
      return;
    }
    const at = typeof time === "string" ? Date.parse(time) : Number.NaN;
    work.events.push({ key, sequencer, time: Number.isFinite(at) ? at : 0 });
  };
  if (v.source === "aws.s3") {
    const detail = v.detail as {
      bucket?: { name?: unknown };
      object?: { key?: unknown; sequencer?: unknown };
    };
    add(detail?.bucket?.name, detail?.object?.key, detail?.object?.sequencer, v.time);
    return work;
  }
  if (!Array.isArray(v.Records)) return { kind: "none", reason: "not an event we know" };
  for (const record of v.Records as Record<string, unknown>[]) {
    const s3 = record?.s3 as
      | { bucket?: { name?: unknown }; object?: { key?: unknown; sequencer?: unknown } }
      | undefined;
    if (record?.eventSource !== "aws:s3" || !s3) {
      work.ignored++;
      continue;
    }
    let key: unknown;
    try {
      const raw = s3.object?.key;
      key = typeof raw === "string" ? decodeURIComponent(raw.replace(/\+/g, " ")) : undefined;
    } catch {
      key = undefined;
    }
    add(s3.bucket?.name, key, s3.object?.sequencer, record.eventTime);
  }
  return work;
}

/** A full object key → the key below `prefix`; undefined for folders and unsafe paths. */
function articleKeyOf(fullKey: string, prefix: string): string | undefined {
  if (!fullKey.startsWith(prefix) || fullKey.endsWith("/")) return undefined;
  const key = fullKey.slice(prefix.length);
  if (key === "" || key.startsWith("/") || key.includes("\0")) return undefined;
  return key.split(/[/\\]/).includes("..") ? undefined : key;
}

interface Message {
  id: string | undefined;
  work: Work;
  /** Delivered before (SQS's ApproximateReceiveCount above 1): it may have applied already. */
  retried: boolean;
}

/** The fields of an SQS record this handler reads. */
interface SQSRecordLike {
  messageId: string;
  body: string;
  attributes?: { ApproximateReceiveCount?: string };
}

/**
 * Handles an invocation. For an SQS batch, resolves the messages that failed (to be delivered
 * again); any other event is one message, and its failure rejects.
 */
export async function handleIndexerEvent(
  event: unknown,
  deps: IndexerDeps,
): Promise<SQSBatchResponse> {
  const records = (event as { Records?: { eventSource?: unknown }[] })?.Records;
  const batch = Array.isArray(records) && records.every((r) => r?.eventSource === "aws:sqs");
  const messages: Message[] = batch
    ? (records as SQSRecordLike[]).map((r) => ({
        id: r.messageId,
        work: parse(r.body, deps),
        retried: Number(r.attributes?.ApproximateReceiveCount ?? 1) > 1,
      }))
    : [{ id: undefined, work: workOf(event, deps.bucket, deps.prefix), retried: false }];
  const failed = new Set<string | undefined>();
  const results = new Map<Message, ApplyResult[]>();
  const run = async (message: Message) => {
    try {
      results.set(message, await perform(message.work, deps));
    } catch (error) {
      failed.add(message.id);
      deps.log.error("indexer: message failed (delivered again later)", {
        messageId: message.id,
        kind: message.work.kind,
        reason: reasonOf(error),
      });
    }
  };
  // Rebuilds and releases touch many records: one at a time, after the batch's own changes.
  await forEachLimit(
    messages.filter((m) => m.work.kind === "objects"),
    PARALLEL,
    run,
  );
  for (const message of messages) if (message.work.kind !== "objects") await run(message);
  await afterChanges(results, failed, deps);
  if (!batch && failed.size > 0) throw new Error("the indexer could not apply the event");
  return {
    batchItemFailures: [...failed].flatMap((id) =>
      id === undefined ? [] : [{ itemIdentifier: id }],
    ),
  };
}

function parse(body: string, deps: IndexerDeps): Work {
  try {
    return workOf(JSON.parse(body), deps.bucket, deps.prefix);
  } catch {
    return { kind: "none", reason: "not JSON" };
  }
}

async function perform(work: Work, deps: IndexerDeps): Promise<ApplyResult[]> {
  switch (work.kind) {
    case "objects":
      if (work.ignored > 0) deps.log.warn("indexer ignored records", { count: work.ignored });
      return deps.indexing.events(deps.store, work.events);
    case "rebuild": {
      const started = deps.now();
      const result = await deps.indexing.reconcile(deps.store);
      deps.log.info("index reconciled", {
        outcome: result.outcome,
        scopes: result.scopes.length,
        ms: deps.now() - started,
      });
      return [result];
    }
    case "release":
      return [await deps.index.release(deps.now())];
    case "none":
      // Retrying cannot make it one of ours: say so and drop it.
      deps.log.warn("indexer ignored a message", { reason: work.reason });
      return [];
  }
}

/**
 * After the batch's changes: the changed scopes and article pages are announced once (WebSub
 * queue: the publisher invalidates them in the CDN, then pings the hub if there is one), and
 * each future date gets its release schedule. A
 * failure there fails the messages whose changes needed it, so it is logged and retried; a
 * release it could not schedule is still made by the hourly rebuild.
 */
async function afterChanges(
  results: Map<Message, ApplyResult[]>,
  failed: Set<string | undefined>,
  deps: IndexerDeps,
): Promise<void> {
  const scopes = new Map<string, Message[]>();
  const pages = new Set<string>();
  const authors = new Map<ScopeKey, Message[]>();
  const releases = new Map<number, Message[]>();
  const now = deps.now();
  for (const [message, applied] of results) {
    for (const result of applied) {
      // A retried message may have applied before its announcement failed: announce again.
      const repeat = message.retried && result.outcome === "repeated";
      if (result.outcome !== "applied" && !repeat) continue;
      for (const scope of result.scopes) {
        push(scopes, scopePathOf(scope), message);
        if (scope.startsWith("author#")) push(authors, scope, message);
      }
      for (const slug of result.pages) pages.add(slug);
      if (result.releaseAt !== undefined && result.releaseAt > now)
        push(releases, result.releaseAt, message);
    }
  }
  const fail = (messages: Message[], what: string, error: unknown) => {
    for (const m of messages) failed.add(m.id);
    deps.log.error(`indexer: ${what}`, { reason: reasonOf(error), messages: messages.length });
  };
  if (authors.size > 0 && deps.announce) {
    try {
      const lone = await loneAuthorAfter(deps.index, [...authors.keys()]);
      if (lone)
        for (const m of new Set([...authors.values()].flat())) push(scopes, scopePathOf(lone), m);
    } catch (error) {
      // Only that author's documents keep their TTL; the change itself is still announced.
      deps.log.warn("indexer: the remaining author could not be read", { reason: reasonOf(error) });
    }
  }
  if (scopes.size > 0 && deps.announce) {
    const change = { scopes: [...scopes.keys()].sort(), pages: [...pages].sort() };
    try {
      await deps.announce(change);
      deps.log.info("changed feeds announced", {
        scopes: change.scopes.length,
        pages: change.pages.length,
      });
    } catch (error) {
      fail(
        [...new Set([...scopes.values()].flat())],
        "changed feeds could not be announced",
        error,
      );
    }
  }
  if (deps.scheduleRelease) {
    for (const [at, messages] of releases) {
      try {
        await deps.scheduleRelease(at);
      } catch (error) {
        fail(messages, `release at ${new Date(at).toISOString()} could not be scheduled`, error);
      }
    }
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function forEachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}
