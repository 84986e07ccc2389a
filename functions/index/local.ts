/**
 * The index as `npm start` runs it: the content folder (or any ArticleStore) compiled into an
 * in-memory Index by Indexing, the same compile function and index logic as on AWS. It checks
 * the store when the revalidation interval has passed (or the file watcher called invalidate),
 * releases future-dated articles on time, and keeps the last good index when the store fails.
 */
import type { ArticleMeta } from "../articles/article.ts";
import type { CompileSteps, compileArticle } from "../articles/compile.ts";
import type { CompileResult } from "../articles/compiled.ts";
import { StoreUnavailableError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { ArticleStore } from "../storage/store.ts";
import type { ApplyResult, ArticleIndex } from "./index.ts";
import { type Compile, Indexing, type IndexingOptions } from "./indexing.ts";
import { type BlobStore, MemoryBlobs } from "./keys.ts";
import { MemoryTable } from "./table.ts";
import { Index } from "./write.ts";

export interface LocalIndexOptions {
  /** Absolute base for links in compiled article bodies (SITE_URL). */
  siteUrl: string;
  /** How long the store's state is trusted before it is checked again. */
  revalidateMs: number;
  log: Logger;
  now?: () => number;
  /**
   * Run timed checks behind the current index instead of in front of a request: checking a big
   * folder stats every file. The first load and checks forced by invalidate() are still waited
   * for (forced ones at most `forcedWaitMs`). Default false.
   */
  background?: boolean;
  forcedWaitMs?: number;
  /**
   * Local preview (PREVIEW_DRAFTS): drafts and future-dated articles are live too, their titles
   * marked `[Draft]` or `[Scheduled for …]`.
   */
  preview?: boolean;
  /** Compile steps (tests inject failing ones); default: the real ones. */
  steps?: CompileSteps;
  /** The table and blob store to fill (a cache loaded from disk); default: empty ones. */
  table?: MemoryTable;
  blobs?: BlobStore;
  /**
   * The table holds a saved index (loaded from disk): it is served as it is while the first
   * check of the store runs (with `background`, behind requests). Default false: the first
   * check is waited for.
   */
  loaded?: boolean;
  /**
   * With `loaded`: the first check starts no sooner than this long after construction (ms), so
   * the first requests over the saved index do not share the CPU with it. Default 0.
   */
  firstCheckAfterMs?: number;
  /**
   * Worker threads for a check that compiles many files (the first start with no saved index);
   * not used with `steps`, which cannot cross to a worker.
   */
  parallel?: IndexingOptions["parallel"];
}

/**
 * The compile function, imported at the first check of the store: Markdown (md4w's WebAssembly),
 * YAML and the sanitizer are not needed to serve a saved index, only to compile what changed.
 */
let compileModule: Promise<typeof compileArticle> | undefined;
function loadCompile(): Promise<typeof compileArticle> {
  compileModule ??= import("../articles/compile.ts").then((module) => module.compileArticle);
  return compileModule;
}

/** After a failed check of the store, wait this long before trying again. */
const RETRY_AFTER_FAILURE_MS = 5_000;
/** Every article of the site in one read. */
const ALL = 10_000_000;

export class LocalIndex {
  readonly index: ArticleIndex;
  readonly table: MemoryTable;
  readonly #store: ArticleStore;
  readonly #indexing: Indexing;
  readonly #o: Required<
    Omit<
      LocalIndexOptions,
      "steps" | "table" | "blobs" | "loaded" | "firstCheckAfterMs" | "parallel"
    >
  >;
  readonly #listeners: ((result: ApplyResult) => void)[] = [];
  readonly #loadListeners: ((result: ApplyResult) => void)[] = [];
  #compile: typeof compileArticle | undefined;
  #loaded = false;
  /** Whether a check of the store has succeeded yet. */
  #firstCheck = false;
  #nextCheck = 0;
  #nextRelease: number | undefined;
  /** Bumped by invalidate(): a check that started before the bump must not reset #nextCheck. */
  #invalidations = 0;
  #forced = false;
  #refreshing: Promise<void> | undefined;
  /** Preview: future-dated articles shown marked, by key → date (their mark goes at that time). */
  readonly #marked = new Map<string, number>();

  constructor(
    store: ArticleStore,
    {
      steps,
      table,
      blobs,
      loaded = false,
      firstCheckAfterMs = 0,
      parallel,
      ...options
    }: LocalIndexOptions,
  ) {
    this.#store = store;
    this.#loaded = loaded;
    this.#o = {
      now: Date.now,
      background: false,
      forcedWaitMs: Number.POSITIVE_INFINITY,
      preview: false,
      ...options,
    };
    this.table = table ?? new MemoryTable();
    const now = this.#o.now;
    if (loaded) this.#nextCheck = now() + firstCheckAfterMs;
    this.index = new Index(this.table, blobs ?? new MemoryBlobs(), {
      now,
      holdBack: !this.#o.preview,
    });
    const compile: Compile = (file, bytes, compileOptions) => {
      if (!this.#compile) throw new Error("compile function not loaded yet");
      return this.#marking(
        file.key,
        this.#compile(file, bytes, compileOptions, ...(steps ? [steps] : [])),
      );
    };
    this.#indexing = new Indexing({
      index: this.index,
      compile,
      compileOptions: { siteUrl: this.#o.siteUrl },
      log: this.#o.log,
      now,
      ...(parallel && !steps ? { parallel: this.#markingPool(parallel) } : {}),
    });
  }

  /** True while a check of the store is running (a save of the table should wait). */
  get busy(): boolean {
    return this.#refreshing !== undefined;
  }

  /** Resolves when the check of the store in flight (if any) has ended; never rejects. */
  async settled(): Promise<void> {
    await this.#refreshing?.catch(() => {});
  }

  /** Forces the next sync() to check the store (the local file watcher calls this). */
  invalidate(): void {
    this.#nextCheck = 0;
    this.#invalidations++;
    this.#forced = true;
  }

  /**
   * Calls `listener` once, with what the first successful check changed (everything, on an
   * empty table; what changed while the server was stopped, on a saved one).
   */
  onLoad(listener: (result: ApplyResult) => void): void {
    this.#loadListeners.push(listener);
  }

  /** Calls `listener` with what every check or release after the first load changed (WebSub). */
  onChange(listener: (result: ApplyResult) => void): void {
    this.#listeners.push(listener);
  }

  /**
   * Brings the index up to date before a request: checks the store when the interval has passed
   * and releases future-dated articles whose time has come. Rejects with StoreUnavailableError
   * only while nothing was ever loaded (an empty feed would be published, and cached, otherwise).
   */
  async sync(): Promise<void> {
    const now = this.#o.now();
    if (now >= this.#nextCheck) {
      const forced = this.#forced;
      if (!this.#refreshing) {
        this.#forced = false;
        this.#refreshing = this.#refresh().finally(() => {
          this.#refreshing = undefined;
        });
      }
      // Once loaded, a check cannot reject (failures keep the last good index), so one left
      // running in the background never goes unhandled.
      if (!this.#o.background || !this.#loaded) await this.#refreshing.catch(() => {});
      else if (forced) await waitAtMost(this.#refreshing, this.#o.forcedWaitMs);
    }
    if (!this.#loaded) {
      throw new StoreUnavailableError(
        `${this.#store.location} has not been loaded yet`,
        Math.max(1, Math.ceil((this.#nextCheck - now) / 1000)),
      );
    }
    if (this.#o.preview) await this.#unmark(now);
    if (this.#nextRelease !== undefined && now >= this.#nextRelease) {
      this.#nextRelease = undefined;
      this.#emit(await this.index.release(now));
      this.#nextRelease = await this.index.nextRelease();
    }
  }

  /** The live articles, newest first (what the site's feeds page through). */
  async articles(): Promise<ArticleMeta[]> {
    return (await this.index.metas("site", ALL)).items;
  }

  /** Preview: marks a future-dated article's title and remembers when its mark must go. */
  #marking(key: string, result: CompileResult): CompileResult {
    if (!this.#o.preview) return result;
    const now = this.#o.now();
    this.#marked.delete(key);
    if (result.ok && !result.meta.draft && result.meta.date.getTime() > now)
      this.#marked.set(key, result.meta.date.getTime());
    return previewOf(result, now);
  }

  /** The worker threads' compile, preview marks added on this thread. */
  #markingPool(
    parallel: NonNullable<IndexingOptions["parallel"]>,
  ): NonNullable<IndexingOptions["parallel"]> {
    return {
      minFiles: parallel.minFiles,
      open: () => {
        const pool = parallel.open();
        return {
          compile: async (file, bytes, options) =>
            this.#marking(file.key, await pool.compile(file, bytes, options)),
          close: () => pool.close(),
        };
      },
    };
  }

  /** Preview: compiles again the marked articles whose time has come, so their mark goes. */
  async #unmark(now: number): Promise<void> {
    const due = new Set([...this.#marked].filter(([, date]) => date <= now).map(([key]) => key));
    if (!due.size) return;
    this.#compile ??= await loadCompile();
    const records = new Map((await this.index.records()).map((r) => [r.key, r]));
    const results: ApplyResult[] = [];
    for (const file of await this.#store.list()) {
      if (!due.has(file.key)) continue;
      const bytes = await this.#store.read(file.key);
      // A later sequencer than the record's: the same version, compiled again, must apply.
      const sequencer = `${records.get(file.key)?.sequencer ?? "0"}1`;
      const change = this.#indexing.changeOf(file, bytes, sequencer, file.modified.getTime());
      results.push(await this.index.apply(change));
    }
    for (const key of due) if ((this.#marked.get(key) ?? 0) <= now) this.#marked.delete(key);
    for (const result of results) this.#emit(result);
  }

  async #refresh(): Promise<void> {
    const started = this.#o.now();
    const invalidations = this.#invalidations;
    try {
      this.#compile ??= await loadCompile();
      const result = await this.#indexing.reconcile(this.#store);
      // The first load is a start, not a change: nothing to announce (a saved index may be of
      // another folder, or days old).
      const first = !this.#firstCheck;
      this.#firstCheck = true;
      this.#loaded = true;
      this.#nextRelease = await this.index.nextRelease();
      // A change signalled while this check ran may not be in what it listed: check again.
      this.#nextCheck = invalidations === this.#invalidations ? started + this.#o.revalidateMs : 0;
      if (!first) this.#emit(result);
      else for (const listener of this.#loadListeners.splice(0)) listener(result);
    } catch (error) {
      this.#nextCheck = started + Math.min(this.#o.revalidateMs, RETRY_AFTER_FAILURE_MS);
      const reason = error instanceof Error ? error.message : String(error);
      const store = this.#store.location;
      if (!this.#loaded) {
        this.#o.log.error("article store unavailable and nothing loaded yet", { store, reason });
        throw error;
      }
      this.#o.log.error("article store check failed; serving the last good articles", {
        store,
        reason,
      });
    }
  }

  #emit(result: ApplyResult): void {
    if (result.outcome !== "applied") return;
    for (const listener of this.#listeners) listener(result);
  }
}

/** A draft or future-dated article as preview shows it: live, with its title marked. */
function previewOf(result: CompileResult, now: number): CompileResult {
  if (!result.ok) return result;
  const { meta } = result;
  const future = meta.date.getTime() > now;
  if (!meta.draft && !future) return result;
  const mark = meta.draft ? "Draft" : `Scheduled for ${meta.date.toISOString().slice(0, 16)}Z`;
  return { ...result, meta: { ...meta, draft: false, title: `[${mark}] ${meta.title}` } };
}

/** Resolves when `promise` settles or after `ms`, whichever is first (never rejects). */
async function waitAtMost(promise: Promise<unknown>, ms: number): Promise<void> {
  if (ms === Number.POSITIVE_INFINITY) {
    await promise.catch(() => {});
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise.catch(() => {}),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}
