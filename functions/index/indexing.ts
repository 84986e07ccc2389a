/**
 * Stored files → index changes, with the one compile function: what the indexer does for each
 * S3 event and what a reconciliation does for a whole listing (the bucket's, or the local
 * folder's for `npm start`). It never trusts what an event says happened: it reads the object's
 * current state (missing = deleted), and the index orders changes by the event's sequencer.
 */
import type { CompileOptions, CompileResult } from "../articles/compiled.ts";
import { MAX_ARTICLE_BYTES } from "../articles/limits.ts";
import { forEachLimit } from "../articles/order.ts";
import { ArticleError, NotFoundError, StoreUnavailableError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { type ArticleStore, isArticleKey, type StoredFile } from "../storage/store.ts";
import type { ApplyResult, ArticleIndex, IndexChange } from "./index.ts";

/** Turns one stored file into what the index keeps (compileArticle, or a stand-in in tests). */
export type Compile = (
  file: StoredFile,
  bytes: Uint8Array,
  options: CompileOptions,
) => CompileResult;

/**
 * Compiles on worker threads: a check of many files at once (npm start's first, with no saved
 * index) spreads the compiling over the cores. Closed when that check ends.
 */
export interface ParallelCompile {
  compile(file: StoredFile, bytes: Uint8Array, options: CompileOptions): Promise<CompileResult>;
  close(): Promise<void>;
}

/** A store that can also say which version of an object it just read (S3: its ETag). */
export interface VersionedStore extends ArticleStore {
  fetch(key: string): Promise<{ file: StoredFile; bytes: Uint8Array } | undefined>;
}

export interface IndexingOptions {
  index: ArticleIndex;
  compile: Compile;
  compileOptions: CompileOptions;
  log: Logger;
  now?: () => number;
  /**
   * Worker threads for a repair that reads at least `minFiles` files (starting them costs more
   * than compiling a few files). Without it, or below that, everything compiles on this thread.
   */
  parallel?: { minFiles: number; open(): ParallelCompile };
}

/** One change to one key, as an S3 event names it. */
export interface ObjectEvent {
  key: string;
  /** S3's event sequencer (hexadecimal). */
  sequencer: string;
  /** When S3 processed the request (ms). */
  time: number;
}

/** Stored files read at once during a repair. */
const READS_IN_FLIGHT = 16;
/** With worker threads, enough files in flight to keep them all busy while others are read. */
const PARALLEL_IN_FLIGHT = 64;

export class Indexing {
  readonly #o: Required<Omit<IndexingOptions, "parallel">> & Pick<IndexingOptions, "parallel">;

  constructor(options: IndexingOptions) {
    this.#o = { now: Date.now, ...options };
  }

  /** The change for `file` as it is now (compiled), under `sequencer`. */
  changeOf(file: StoredFile, bytes: Uint8Array, sequencer: string, seenAt: number): IndexChange {
    return this.#changeFrom(
      file,
      this.#o.compile(file, bytes, this.#o.compileOptions),
      sequencer,
      seenAt,
    );
  }

  /** The change a compiled file makes, its warnings or failure logged. */
  #changeFrom(
    file: StoredFile,
    result: CompileResult,
    sequencer: string,
    seenAt: number,
  ): IndexChange {
    if (result.ok) {
      for (const warning of result.warnings)
        this.#o.log.warn("article warning", { file: file.key, reason: warning });
      return {
        kind: "put",
        key: file.key,
        sequencer,
        version: file.version,
        seenAt,
        article: result,
      };
    }
    this.#o.log.error("article skipped", { file: file.key, reason: result.error });
    return failedChange(file, sequencer, seenAt, [result.error]);
  }

  /** Applies S3 events: each key's current object (or its absence) under the event's sequencer. */
  async events(store: VersionedStore, events: ObjectEvent[]): Promise<ApplyResult[]> {
    const results: ApplyResult[] = [];
    for (const event of events) {
      if (!isArticleKey(event.key)) continue;
      const found = await store.fetch(event.key);
      const change: IndexChange = found
        ? this.changeOf(found.file, found.bytes, event.sequencer, event.time)
        : { kind: "delete", key: event.key, sequencer: event.sequencer, seenAt: event.time };
      results.push(await this.#o.index.apply(change));
    }
    return results;
  }

  /** The change a listed file makes; undefined: nothing to apply for it this time. */
  async #changeFor(
    store: ArticleStore,
    file: StoredFile,
    sequencer: string,
    parallel: ParallelCompile | undefined,
  ): Promise<IndexChange | undefined> {
    const seenAt = file.modified.getTime();
    let bytes: Uint8Array;
    try {
      // Too big by its listed size: refused without reading a byte (a 3 GB sparse file).
      bytes = file.size > MAX_ARTICLE_BYTES ? new Uint8Array(0) : await store.read(file.key);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined; // gone since the listing: its event will tell
      // The store itself is down: this repair fails as a whole and is retried.
      if (error instanceof StoreUnavailableError) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      this.#o.log.error("article skipped", { file: file.key, reason });
      // The file itself cannot be read (not a regular file, no permission): recorded as failed.
      // Any other read error may pass: the key keeps what it had, and the next repair retries.
      if (error instanceof ArticleError)
        return failedChange(file, sequencer, seenAt, error.reasons);
      return undefined;
    }
    if (!parallel) return this.changeOf(file, bytes, sequencer, seenAt);
    let result: CompileResult;
    try {
      result = await parallel.compile(file, bytes, this.#o.compileOptions);
    } catch {
      // A worker that died takes no article with it: this thread compiles what it held.
      return this.changeOf(file, bytes, sequencer, seenAt);
    }
    return this.#changeFrom(file, result, sequencer, seenAt);
  }

  /**
   * Repairs the index from a full listing: every key whose listed version differs from the
   * index's record is read and applied (under the record's own sequencer, so any newer event
   * still wins); records of keys no longer listed are applied as they are now (usually deleted);
   * scheduled articles whose time has come are released.
   */
  async reconcile(store: ArticleStore): Promise<ApplyResult> {
    // Records first: a key created after this read is in the listing (put) or not at all, never
    // a record missing from an older listing (which would read as deleted).
    const records = new Map((await this.#o.index.records()).map((r) => [r.key, r]));
    const listed = (await store.list()).filter((f) => isArticleKey(f.key));
    const now = this.#o.now();
    const changes: IndexChange[] = [];
    const seen = new Set<string>();
    const pending: StoredFile[] = [];
    for (const file of listed) {
      seen.add(file.key);
      const record = records.get(file.key);
      if (!record || record.version !== file.version || record.state === "deleted")
        pending.push(file);
    }
    // Reads overlap (a folder or S3 answers many at once); changes keep the listing's order.
    const found = new Map<StoredFile, IndexChange | undefined>();
    const parallel =
      this.#o.parallel && pending.length >= this.#o.parallel.minFiles
        ? this.#o.parallel.open()
        : undefined;
    try {
      await forEachLimit(pending, parallel ? PARALLEL_IN_FLIGHT : READS_IN_FLIGHT, async (file) => {
        const sequencer = records.get(file.key)?.sequencer ?? "0";
        found.set(file, await this.#changeFor(store, file, sequencer, parallel));
      });
    } finally {
      await parallel?.close();
    }
    for (const file of pending) {
      const change = found.get(file);
      if (change) changes.push(change);
    }
    for (const record of records.values()) {
      if (seen.has(record.key) || record.state === "deleted") continue;
      changes.push({ kind: "delete", key: record.key, sequencer: record.sequencer, seenAt: now });
    }
    const applied = await this.#o.index.applyMany(changes);
    const released = await this.#o.index.release(now);
    return {
      outcome:
        applied.outcome === "applied" || released.outcome === "applied"
          ? "applied"
          : applied.outcome,
      scopes: [...new Set([...applied.scopes, ...released.scopes])],
      pages: [...new Set([...applied.pages, ...released.pages])],
      ...(applied.releaseAt !== undefined ? { releaseAt: applied.releaseAt } : {}),
    };
  }
}

/** The change recording that `file` cannot be served, with its reasons. */
function failedChange(
  file: StoredFile,
  sequencer: string,
  seenAt: number,
  reasons: string[],
): IndexChange {
  return { kind: "failed", key: file.key, sequencer, version: file.version, seenAt, reasons };
}
