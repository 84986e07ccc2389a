/**
 * Indexer Lambda: keeps the article manifest (`index/manifest.json.gz`) current.
 *
 * S3 sends an event for every change under the article prefix to an SQS queue; this function
 * consumes the queue in batches, at most two at a time (the event source's maximum concurrency).
 * It does not trust what an event says happened: for every key named in a batch it reads the
 * object's current state (a conditional GET; 404 = deleted), so duplicated, late or reordered
 * events all converge on the bucket's real content. Each write is also conditional (If-Match on
 * the manifest's ETag, retried after a re-read), which keeps updates safe on S3 when two
 * writers overlap. A scheduled message (`{"rebuild":true}`) reconciles the manifest with a
 * full listing, healing anything an event could have missed. After each write that changed
 * feeds, the changed scope paths are handed to `onChange` (on AWS: the WebSub queue).
 */
import {
  GetObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { forEachLimit, metaOf } from "./articles/catalog.ts";
import { parseArticle } from "./articles/parse.ts";
import { contentHash, recordOf, revise } from "./articles/revisions.ts";
import { loadConfig } from "./config.ts";
import { ArticleError, StoreUnavailableError } from "./errors.ts";
import { jsonLogger, type Logger } from "./log.ts";
import {
  decodeManifest,
  encodeManifest,
  ManifestError,
  manifestKeyFor,
} from "./storage/manifest.ts";
import {
  createClient,
  describe,
  isNoSuchKey,
  isSafeKey,
  readBody,
  type SdkErrorShape,
} from "./storage/s3.ts";
import { type IndexedArticle, isArticleKey } from "./storage/store.ts";
import { changedScopePaths } from "./websub/changes.ts";
import { sqsAnnouncer } from "./websub/queue.ts";

export interface IndexerOptions {
  client: S3Client;
  bucket: string;
  /** Article prefix, e.g. `articles/` (with the trailing slash). */
  prefix: string;
  /** Default: manifestKeyFor(prefix). */
  manifestKey?: string;
  log: Logger;
  /** Parallel object reads. Default 16. */
  concurrency?: number;
  /** Attempts at a conditional manifest write before giving up (the batch is then retried). */
  maxAttempts?: number;
  /**
   * Called after a successful write with the scope paths whose feeds changed (see
   * changedScopePaths); a rejection fails the run (the write itself stays).
   */
  onChange?: (scopePaths: string[]) => Promise<void>;
}

/** What one run did, for logs and tests. */
export interface IndexerResult {
  articles: number;
  added: number;
  changed: number;
  removed: number;
  written: boolean;
}

/** The work an event asks for: article keys (relative to the prefix) and/or a full rebuild. */
export interface IndexerWork {
  keys: Set<string>;
  rebuild: boolean;
  /** Records that were not for this bucket/prefix, or not understood. */
  ignored: number;
}

const REQUEST_DEADLINE_MS = 30_000;

/**
 * The manifest's entries and ETag (undefined: none exists yet). `incomplete`: missing or
 * unreadable, so its entries say nothing about the bucket and only a full rebuild may replace it.
 */
type Manifest = {
  etag: string | undefined;
  entries: Map<string, IndexedArticle>;
  incomplete?: true;
};

/** Keeps the manifest of one bucket prefix. Calls on one instance run one after another. */
export class Indexer {
  readonly #o: Required<Omit<IndexerOptions, "onChange">> & Pick<IndexerOptions, "onChange">;
  /** The manifest as last read or written by this instance (revalidated before each use). */
  #manifest: Manifest | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: IndexerOptions) {
    this.#o = {
      manifestKey: manifestKeyFor(options.prefix),
      concurrency: 16,
      maxAttempts: 5,
      ...options,
    };
  }

  /** Handles an SQS batch, an S3 notification or a scheduled rebuild request. */
  async handle(event: unknown): Promise<IndexerResult | undefined> {
    const work = workOf(event, this.#o.bucket, this.#o.prefix);
    if (work.ignored > 0) this.#o.log.warn("indexer ignored records", { count: work.ignored });
    if (work.rebuild) return this.rebuild();
    if (work.keys.size > 0) return this.update(work.keys);
    return undefined;
  }

  /** Re-reads each key's current state and records it in the manifest. */
  update(keys: Iterable<string>): Promise<IndexerResult> {
    const unique = [...new Set(keys)];
    return this.#serial(() => this.#write("update", (current) => this.#updated(unique, current)));
  }

  /** Reconciles the manifest with a full listing (only new or changed objects are read). */
  rebuild(): Promise<IndexerResult> {
    return this.#serial(() => this.#write("rebuild", (current) => this.#rebuilt(current)));
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Read the manifest, compute the next entries, write them conditionally; on a lost race
   * (412/409) start over from a fresh read, so another writer's entries are never dropped.
   */
  async #write(
    kind: "update" | "rebuild",
    next: (current: Manifest) => Promise<Map<string, IndexedArticle>>,
  ): Promise<IndexerResult> {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      const base = await this.#read();
      // A first or unreadable manifest is built from a full listing, whatever the event named:
      // one written from a batch's keys alone would hide every other article.
      const entries = base.incomplete ? await this.#rebuilt(base) : await next(base);
      const result = diff(base.entries, entries);
      const dirty = base.incomplete || result.added + result.changed + result.removed > 0;
      if (!dirty) {
        this.#o.log.info("manifest unchanged", { kind, articles: entries.size });
        return { ...result, written: false };
      }
      try {
        await this.#put(entries, base.etag);
      } catch (error) {
        const status = (error as SdkErrorShape).$metadata?.httpStatusCode;
        this.#manifest = undefined;
        if ((status === 412 || status === 409) && attempt < this.#o.maxAttempts) {
          this.#o.log.warn("manifest changed while indexing; retrying", { attempt, status });
          await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt * Math.random()));
          continue;
        }
        throw error;
      }
      this.#o.log.info("manifest written", {
        kind,
        ...result,
        articles: entries.size,
        ms: Date.now() - started,
      });
      // A first (or rebuilt-from-scratch) manifest changes nothing readers see: without it the
      // feed function listed the bucket. Only the site feeds are announced then.
      const scopes = base.incomplete ? [""] : changedScopePaths(base.entries, entries);
      if (scopes.length > 0 && this.#o.onChange) {
        try {
          await this.#o.onChange(scopes);
        } catch (error) {
          this.#o.log.error("changed feeds could not be announced", {
            scopes: scopes.length,
            reason: describe(error),
          });
          throw error;
        }
      }
      return { ...result, written: true };
    }
  }

  async #updated(keys: string[], current: Manifest): Promise<Map<string, IndexedArticle>> {
    const entries = new Map(current.entries);
    await forEachLimit(keys, this.#o.concurrency, async (key) => {
      const known = entries.get(key);
      const entry = await this.#index(key, known?.version, known);
      if (entry === "unchanged") return;
      if (entry === "missing") entries.delete(key);
      else entries.set(key, entry);
    });
    return entries;
  }

  async #rebuilt(current: Manifest): Promise<Map<string, IndexedArticle>> {
    const listed = await this.#list();
    const entries = new Map<string, IndexedArticle>();
    await forEachLimit(listed, this.#o.concurrency, async ({ key, version }) => {
      const known = current.entries.get(key);
      if (known && known.version === version) {
        entries.set(key, known);
        return;
      }
      const entry = await this.#index(key, undefined, known);
      if (entry !== "missing" && entry !== "unchanged") entries.set(key, entry);
    });
    return entries;
  }

  /** The manifest, revalidated against the copy this instance last read or wrote. */
  async #read(): Promise<Manifest> {
    const cached = this.#manifest;
    const signal = AbortSignal.timeout(REQUEST_DEADLINE_MS);
    try {
      const response = await this.#o.client.send(
        new GetObjectCommand({
          Bucket: this.#o.bucket,
          Key: this.#o.manifestKey,
          IfNoneMatch: cached?.etag,
        }),
        { abortSignal: signal },
      );
      if (!response.Body) throw new Error("response without a body");
      const bytes = await readBody(response.Body, signal);
      try {
        const entries = new Map((await decodeManifest(bytes)).map((e) => [e.key, e]));
        this.#manifest = { etag: response.ETag, entries };
        return this.#manifest;
      } catch (error) {
        if (!(error instanceof ManifestError)) throw error;
        this.#o.log.error("manifest unreadable; rebuilding it from a listing", {
          key: this.#o.manifestKey,
          reason: error.message,
        });
        this.#manifest = undefined;
        return { etag: response.ETag, entries: new Map(), incomplete: true };
      }
    } catch (error) {
      const e = error as SdkErrorShape;
      if (e.$metadata?.httpStatusCode === 304 && cached) return cached;
      if (isNoSuchKey(e)) {
        this.#manifest = undefined;
        return { etag: undefined, entries: new Map(), incomplete: true };
      }
      throw this.#unavailable(`cannot read the manifest ${this.#o.manifestKey}`, error);
    }
  }

  /** Writes the manifest only if nobody else did since `etag` was read (create-only if none). */
  async #put(entries: Map<string, IndexedArticle>, etag: string | undefined): Promise<void> {
    const body = await encodeManifest(entries.values());
    const response = await this.#o.client.send(
      new PutObjectCommand({
        Bucket: this.#o.bucket,
        Key: this.#o.manifestKey,
        Body: body,
        ContentLength: body.byteLength,
        ContentType: "application/gzip",
        CacheControl: "no-cache",
        ...(etag ? { IfMatch: etag } : { IfNoneMatch: "*" }),
      }),
      { abortSignal: AbortSignal.timeout(REQUEST_DEADLINE_MS) },
    );
    this.#manifest = { etag: response.ETag, entries };
  }

  /**
   * One article's current state: its index entry, "unchanged" (still `known`), or "missing".
   * A file that does not parse is recorded with its reasons, so it is logged once, not per read.
   */
  async #index(
    key: string,
    known: string | undefined,
    previous?: IndexedArticle,
  ): Promise<IndexedArticle | "unchanged" | "missing"> {
    const fullKey = this.#o.prefix + key;
    const signal = AbortSignal.timeout(REQUEST_DEADLINE_MS);
    let bytes: Uint8Array;
    let version: string;
    let modified: Date;
    try {
      const response = await this.#o.client.send(
        new GetObjectCommand({ Bucket: this.#o.bucket, Key: fullKey, IfNoneMatch: known }),
        { abortSignal: signal },
      );
      if (!response.Body) throw new Error("response without a body");
      bytes = await readBody(response.Body, signal);
      version = response.ETag ?? `${bytes.byteLength}-${response.LastModified?.getTime() ?? 0}`;
      modified = response.LastModified ?? new Date(0);
    } catch (error) {
      const e = error as SdkErrorShape;
      if (e.$metadata?.httpStatusCode === 304 && known) return "unchanged";
      if (isNoSuchKey(e)) return "missing";
      throw this.#unavailable(`cannot read s3://${this.#o.bucket}/${fullKey}`, error);
    }
    const file = { key, version, modified, size: bytes.byteLength };
    try {
      const { article, warnings } = parseArticle(file, bytes);
      for (const warning of warnings)
        this.#o.log.warn("article warning", { file: key, reason: warning });
      // The manifest is the durable record of each article's content: an edit without
      // `updated:` is dated by the object's LastModified, a re-upload of equal bytes is not.
      const record = previous && "meta" in previous ? recordOf(previous.meta) : undefined;
      return { key, version, meta: revise(metaOf(article), contentHash(bytes), record) };
    } catch (error) {
      const reasons =
        error instanceof ArticleError
          ? error.reasons
          : [error instanceof Error ? error.message : String(error)];
      this.#o.log.error("article skipped", { file: key, reason: reasons.join("; ") });
      return { key, version, modified, error: reasons.join("; ") };
    }
  }

  async #list(): Promise<{ key: string; version: string }[]> {
    const out: { key: string; version: string }[] = [];
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.#o.client.send(
          new ListObjectsV2Command({
            Bucket: this.#o.bucket,
            Prefix: this.#o.prefix || undefined,
            ContinuationToken: token,
          }),
          { abortSignal: AbortSignal.timeout(REQUEST_DEADLINE_MS) },
        );
      } catch (error) {
        throw this.#unavailable(`cannot list s3://${this.#o.bucket}/${this.#o.prefix}`, error);
      }
      for (const object of page.Contents ?? []) {
        const key = articleKeyOf(object.Key, this.#o.prefix);
        if (key && object.ETag) out.push({ key, version: object.ETag });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  #unavailable(what: string, error: unknown): StoreUnavailableError {
    return new StoreUnavailableError(`indexer: ${what}: ${describe(error)}`, undefined, {
      cause: error,
    });
  }
}

/** A full object key → the article key below `prefix`, or undefined when it is not an article. */
function articleKeyOf(fullKey: string | undefined, prefix: string): string | undefined {
  if (!fullKey?.startsWith(prefix) || fullKey.endsWith("/")) return undefined;
  const key = fullKey.slice(prefix.length);
  return isArticleKey(key) && isSafeKey(key) ? key : undefined;
}

/**
 * The work in an event: an SQS batch (each body an S3 notification, an EventBridge S3 event or
 * a rebuild request), an S3 notification delivered directly, or a scheduled event.
 */
export function workOf(event: unknown, bucket: string, prefix: string): IndexerWork {
  const work: IndexerWork = { keys: new Set(), rebuild: false, ignored: 0 };
  const visit = (value: unknown, depth: number): void => {
    if (depth > 3 || typeof value !== "object" || value === null) {
      work.ignored++;
      return;
    }
    const v = value as Record<string, unknown>;
    if (
      v.rebuild === true ||
      (v.source === "aws.events" && v["detail-type"] === "Scheduled Event")
    ) {
      work.rebuild = true;
      return;
    }
    if (v.Event === "s3:TestEvent") return;
    if (v.source === "aws.s3") {
      const detail = v.detail as { bucket?: { name?: unknown }; object?: { key?: unknown } };
      addKey(detail?.bucket?.name, detail?.object?.key);
      return;
    }
    if (!Array.isArray(v.Records)) {
      work.ignored++;
      return;
    }
    for (const record of v.Records as Record<string, unknown>[]) {
      if (record?.eventSource === "aws:sqs") {
        let body: unknown;
        try {
          body = JSON.parse(String(record.body));
        } catch {
          work.ignored++;
          continue;
        }
        visit(body, depth + 1);
      } else if (record?.eventSource === "aws:s3") {
        const s3 = record.s3 as { bucket?: { name?: unknown }; object?: { key?: unknown } };
        // Notification keys are URL-encoded, with `+` for spaces.
        const raw = s3?.object?.key;
        let key: unknown = raw;
        try {
          if (typeof raw === "string") key = decodeURIComponent(raw.replace(/\+/g, " "));
        } catch {
          key = undefined;
        }
        addKey(s3?.bucket?.name, key);
      } else {
        work.ignored++;
      }
    }
  };
  const addKey = (name: unknown, fullKey: unknown) => {
    const key = typeof fullKey === "string" ? articleKeyOf(fullKey, prefix) : undefined;
    if (name === bucket && key) work.keys.add(key);
    else work.ignored++;
  };
  visit(event, 0);
  return work;
}

function diff(
  before: Map<string, IndexedArticle>,
  after: Map<string, IndexedArticle>,
): Omit<IndexerResult, "written"> {
  let added = 0;
  let changed = 0;
  for (const [key, entry] of after) {
    const old = before.get(key);
    if (!old) added++;
    else if (old !== entry) changed++;
  }
  let removed = 0;
  for (const key of before.keys()) if (!after.has(key)) removed++;
  return { articles: after.size, added, changed, removed };
}

let instance: Indexer | undefined;

/** Lambda entry point: SQS batches from the article queue (S3 events and rebuild requests). */
export async function handler(event: unknown): Promise<void> {
  if (!instance) {
    const config = loadConfig(process.env);
    if (config.store.kind !== "s3") throw new Error("the indexer needs CONTENT_BUCKET");
    instance = new Indexer({
      client: createClient(config.store.endpoint, 10_000),
      bucket: config.store.bucket,
      prefix: config.store.prefix,
      manifestKey: config.store.manifestKey ?? manifestKeyFor(config.store.prefix),
      log: jsonLogger(),
      ...sqsAnnouncer(process.env),
    });
  }
  await instance.handle(event);
}
