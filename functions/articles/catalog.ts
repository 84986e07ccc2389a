import { createHash } from "node:crypto";
import { ArticleError, NotFoundError, StoreUnavailableError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { ArticleIndex, ArticleStore, StoredFile } from "../storage/store.ts";
import { isArticleKey } from "../storage/store.ts";
import type { Article, ArticleMeta } from "./article.ts";
import { type CompileSteps, compileArticle, failed } from "./compile.ts";
import type { CompileResult } from "./compiled.ts";
import { articleId, keyHash } from "./ids.ts";
import { MAX_ARTICLE_BYTES } from "./limits.ts";
import { contentHash, type RevisionLog, recordOf, revise } from "./revisions.ts";

/** The articles visible right now, newest first, and what HTTP caching needs to know of them. */
export interface Snapshot {
  /** Changes whenever any visible article, or the set of them, changes. */
  version: string;
  articles: ArticleMeta[];
  bySlug: ReadonlyMap<string, ArticleMeta>;
  /** Newest change of any visible article (front matter `updated` or the stored file's time). */
  lastModified: Date;
  /** Newest `updated` of any visible article: the feeds' own updated date (deterministic). */
  updated: Date;
}

export interface CatalogOptions {
  /** Absolute base for links in compiled article bodies (SITE_URL). */
  siteUrl: string;
  /** How long a listing is trusted before the store is checked again. */
  revalidateMs: number;
  now?: () => number;
  log: Logger;
  /** Parallel reads while loading. */
  concurrency?: number;
  /**
   * Run timed checks behind the current snapshot instead of in front of a request: checking a
   * big folder stats every file (seconds at 100,000 articles). Cold loads and checks forced by
   * invalidate() are still waited for. Default false (a request sees the check it triggered).
   */
  background?: boolean;
  /**
   * Local preview (PREVIEW_DRAFTS): drafts and future-dated articles are visible too, their
   * titles marked `[Draft]` or `[Scheduled for …]`. Default false.
   */
  preview?: boolean;
  /**
   * With `background`, how long a request waits for a check forced by invalidate() before it is
   * answered from the current snapshot (the check goes on). Default: until the check is done.
   */
  forcedWaitMs?: number;
  /** Compile steps (tests inject failing ones); default: the real ones. */
  steps?: CompileSteps;
  /** Bytes of compiled HTML kept in memory for serving (least recently used dropped first). */
  bodyCacheBytes?: number;
  /**
   * Durable record of each article's last seen content (the local state file), so an edit
   * without `updated:` is dated even across restarts. Without it, only the current content is
   * known: nothing is marked revised (see articles/revisions.ts).
   */
  revisions?: RevisionLog;
}

/** An article ready to serve: its snapshot metadata and its sanitized body HTML. */
export interface ServedArticle {
  meta: ArticleMeta;
  html: string;
}

type Entry = { version: string; meta: ArticleMeta } | { version: string; error: string };

/** After a failed check of the store, wait this long before trying again. */
const RETRY_AFTER_FAILURE_MS = 5_000;

/**
 * The article index: lists the store, parses new and changed files only, skips (and logs once)
 * broken ones, hides drafts and future-dated articles until their time, and keeps serving the
 * last good state when the store fails.
 */
export class Catalog {
  readonly #store: ArticleStore;
  readonly #options: Required<Omit<CatalogOptions, "revisions">>;
  readonly #revisions: RevisionLog | undefined;
  #entries = new Map<string, Entry>();
  #loaded = false;
  #nextCheck = 0;
  /** Bumped by invalidate(): a check that started before the bump must not reset #nextCheck. */
  #invalidations = 0;
  /** invalidate() was called and no check has started since: the next one is waited for. */
  #forced = false;
  #refreshing: Promise<void> | undefined;
  #snapshot: Snapshot | undefined;
  /** Earliest future date of a non-draft article: the snapshot is rebuilt when it passes. */
  #nextRelease = Number.POSITIVE_INFINITY;
  /** Compiled bodies by key and version, newest use last; bounded by their bytes. */
  readonly #bodies = new Map<string, string>();
  #bodyBytes = 0;
  /** Compiles of a body in flight (a page and a feed asking at once compile once). */
  readonly #compiling = new Map<string, Promise<string | undefined>>();
  /** Failures already logged, by key and version: each is logged once. */
  readonly #reported = new Set<string>();
  /** The store index the entries came from, if any (unchanged index: nothing to do). */
  #index: ArticleIndex | undefined;

  constructor(store: ArticleStore, { revisions, ...options }: CatalogOptions) {
    this.#store = store;
    this.#revisions = revisions;
    this.#options = {
      now: Date.now,
      concurrency: 16,
      background: false,
      steps: undefined as unknown as CompileSteps,
      forcedWaitMs: Number.POSITIVE_INFINITY,
      bodyCacheBytes: 32 * 1024 * 1024,
      preview: false,
      ...options,
    };
  }

  /** Forces the next `snapshot()` to check the store (used by the local file watcher). */
  invalidate(): void {
    this.#nextCheck = 0;
    this.#invalidations++;
    this.#forced = true;
  }

  /** The current snapshot, checking the store first when the revalidation interval has passed. */
  async snapshot(): Promise<Snapshot> {
    const now = this.#options.now();
    if (now >= this.#nextCheck) {
      const forced = this.#forced;
      if (!this.#refreshing) {
        this.#forced = false;
        this.#refreshing = this.#refresh().finally(() => {
          this.#refreshing = undefined;
        });
      }
      // Once loaded, a check cannot reject (failures keep the last good state), so one left
      // running in the background never goes unhandled.
      if (!this.#options.background || !this.#loaded) await this.#refreshing;
      else if (forced) await waitAtMost(this.#refreshing, this.#options.forcedWaitMs);
    }
    if (!this.#loaded) {
      // Cold and the last check failed (we are inside its retry window): an empty snapshot
      // here would publish, and let caches keep, an empty feed.
      throw new StoreUnavailableError(
        `${this.#store.location} has not been loaded yet`,
        Math.max(1, Math.ceil((this.#nextCheck - now) / 1000)),
      );
    }
    if (!this.#snapshot || now >= this.#nextRelease) this.#snapshot = this.#build(now);
    return this.#snapshot;
  }

  /**
   * The servable article behind a snapshot entry, or undefined when its file cannot be served
   * right now (it vanished, became unreadable or stopped compiling since the snapshot: that is
   * logged once). Rejects only when the store itself is unavailable: one file's trouble never
   * fails the page or feed holding it.
   */
  async article(meta: ArticleMeta): Promise<ServedArticle | undefined> {
    const cacheKey = `${meta.key}\u0000${meta.version}`;
    const cached = this.#bodies.get(cacheKey);
    if (cached !== undefined) {
      this.#bodies.delete(cacheKey);
      this.#bodies.set(cacheKey, cached);
      return { meta, html: cached };
    }
    let pending = this.#compiling.get(cacheKey);
    if (!pending) {
      pending = this.#compileBody(meta).finally(() => this.#compiling.delete(cacheKey));
      this.#compiling.set(cacheKey, pending);
    }
    const html = await pending;
    return html === undefined ? undefined : { meta, html };
  }

  async #compileBody(meta: ArticleMeta): Promise<string | undefined> {
    const file: StoredFile = {
      key: meta.key,
      version: meta.version,
      modified: meta.modified,
      size: 0,
    };
    const result = await this.#readAndCompile(file);
    if (result === undefined) return undefined;
    if (!result.ok) {
      this.#report(result.key, result.version, result.error);
      return undefined;
    }
    // The file changed since the snapshot (same version string, new bytes is impossible): the
    // body is of the version listed; its metadata is the snapshot's (slug and id disambiguated).
    this.#keepBody(meta.key, meta.version, result.html);
    return result.html;
  }

  /**
   * Reads and compiles one file; undefined when it vanished. Rejects only with
   * StoreUnavailableError (the store, not the file, failed).
   */
  async #readAndCompile(file: StoredFile): Promise<CompileResult | undefined> {
    let bytes: Uint8Array;
    try {
      // Too big by its listed size: refused without reading a byte (a 3 GB sparse file).
      bytes = file.size > MAX_ARTICLE_BYTES ? new Uint8Array(0) : await this.#store.read(file.key);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined; // removed between list and read
      // The store is down (not this file): the whole check fails and the last good state stays.
      if (error instanceof StoreUnavailableError) throw error;
      // The file itself cannot be read (too big, not a regular file, no permission).
      if (error instanceof ArticleError) return failed(file, "open", error);
      return failed(file, "read", error);
    }
    const result = await compileArticle(
      file,
      bytes,
      { siteUrl: this.#options.siteUrl },
      ...(this.#options.steps ? [this.#options.steps] : []),
    );
    // The source's identity: tells an edit from a re-upload or a touch (articles/revisions.ts).
    if (result.ok) result.meta.hash = contentHash(bytes);
    return result;
  }

  #keepBody(key: string, version: string, html: string): void {
    const cacheKey = `${key}\u0000${version}`;
    if (this.#bodies.has(cacheKey)) return;
    // A body bigger than the whole budget is compiled again when asked for.
    if (html.length > this.#options.bodyCacheBytes) return;
    this.#bodies.set(cacheKey, html);
    this.#bodyBytes += html.length;
    for (const [oldKey, oldHtml] of this.#bodies) {
      if (this.#bodyBytes <= this.#options.bodyCacheBytes) break;
      this.#bodies.delete(oldKey);
      this.#bodyBytes -= oldHtml.length;
    }
  }

  #report(key: string, version: string, reason: string): void {
    const id = `${key}\u0000${version}`;
    if (this.#reported.has(id)) return;
    this.#reported.add(id);
    if (this.#reported.size > 100_000) this.#reported.clear();
    this.#options.log.error("article skipped", { file: key, reason });
  }

  async #refresh(): Promise<void> {
    const started = this.#options.now();
    const invalidations = this.#invalidations;
    try {
      const next = (await this.#fromIndex()) ?? (await this.#fromListing());
      const changed =
        next !== this.#entries &&
        (next.size !== this.#entries.size ||
          [...next].some(([k, e]) => this.#entries.get(k) !== e));
      this.#entries = next;
      if (changed || !this.#loaded) this.#snapshot = undefined;
      this.#loaded = true;
      // A change signalled while this check ran may not be in what it listed: check again.
      this.#nextCheck =
        invalidations === this.#invalidations ? started + this.#options.revalidateMs : 0;
    } catch (error) {
      this.#nextCheck = started + Math.min(this.#options.revalidateMs, RETRY_AFTER_FAILURE_MS);
      const reason = error instanceof Error ? error.message : String(error);
      if (!this.#loaded) {
        this.#options.log.error("article store unavailable and nothing loaded yet", {
          store: this.#store.location,
          reason,
        });
        throw error instanceof StoreUnavailableError
          ? error
          : new StoreUnavailableError(reason, 30, { cause: error });
      }
      this.#options.log.error("article store check failed; serving the last good articles", {
        store: this.#store.location,
        reason,
      });
    }
  }

  /** Lists the store and parses new and changed files. */
  async #fromListing(): Promise<Map<string, Entry>> {
    const files = (await this.#store.list()).filter((f) => isArticleKey(f.key));
    const next = new Map<string, Entry>();
    await forEachLimit(files, this.#options.concurrency, async (file) => {
      const known = this.#entries.get(file.key);
      if (known && known.version === file.version) {
        next.set(file.key, known);
        return;
      }
      const entry = await this.#load(file);
      if (entry) next.set(file.key, entry);
    });
    return next;
  }

  /**
   * The entries of the store's index (the S3 manifest) when it keeps one: no listing, no reads;
   * the current entries again while the index is unchanged. Undefined: list instead.
   */
  async #fromIndex(): Promise<Map<string, Entry> | undefined> {
    if (!this.#store.index) return undefined;
    let index: ArticleIndex | undefined;
    try {
      index = await this.#store.index();
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw error;
      this.#options.log.error("article index unusable; listing the store instead", {
        store: this.#store.location,
        reason: error instanceof Error ? error.message : String(error),
      });
      this.#index = undefined;
      return undefined;
    }
    if (!index) {
      this.#warnOnce("index:missing", "no article index yet; listing the store", {
        store: this.#store.location,
      });
    } else if (index === this.#index) {
      return this.#entries;
    }
    this.#index = index;
    if (!index) return undefined;
    const next = new Map<string, Entry>();
    for (const item of index.entries) {
      if (!isArticleKey(item.key)) continue;
      const known = this.#entries.get(item.key);
      if (known && known.version === item.version) {
        next.set(item.key, known);
        continue;
      }
      if ("error" in item) this.#report(item.key, item.version, item.error);
      next.set(item.key, item);
    }
    return next;
  }

  async #load(file: StoredFile): Promise<Entry | undefined> {
    const result = await this.#readAndCompile(file);
    if (result === undefined) return undefined;
    if (!result.ok && result.stage === "read") {
      // A read that failed for a reason other than the file itself (a timeout, a dropped
      // connection): keep the version already known, if any; the next check tries again.
      const known = this.#entries.get(file.key);
      if (known) {
        this.#options.log.warn("article read failed; keeping the version already loaded", {
          file: file.key,
          reason: result.error,
        });
        return known;
      }
    }
    if (!result.ok) {
      this.#report(file.key, file.version, result.error);
      return { version: file.version, error: result.error };
    }
    for (const warning of result.warnings)
      this.#options.log.warn("article warning", { file: file.key, reason: warning });
    this.#keepBody(file.key, file.version, result.html);
    const known = this.#entries.get(file.key);
    const previous =
      known && "meta" in known ? recordOf(known.meta) : this.#revisions?.get(file.key);
    const meta = revise(result.meta, result.meta.hash ?? "", this.#revisions && previous);
    const record = recordOf(meta);
    if (record) this.#revisions?.set(file.key, record);
    return { version: file.version, meta };
  }

  #build(now: number): Snapshot {
    const metas = [...this.#entries.values()].flatMap((e) => ("meta" in e ? [e.meta] : []));
    const unique = this.#disambiguate(metas);
    this.#nextRelease = Number.POSITIVE_INFINITY;
    const visible: ArticleMeta[] = [];
    for (const meta of unique) {
      const time = meta.date.getTime();
      if (!meta.draft && time > now) this.#nextRelease = Math.min(this.#nextRelease, time);
      if (!meta.draft && time <= now) visible.push(meta);
      else if (this.#options.preview) visible.push(previewOf(meta));
    }
    visible.sort(newestFirst);
    let lastModified = 0;
    let updated = 0;
    const hash = createHash("sha256");
    for (const meta of visible) {
      updated = Math.max(updated, meta.updated.getTime());
      lastModified = Math.max(lastModified, meta.modified.getTime(), meta.updated.getTime());
      // The title too: a previewed article loses its mark when it goes live.
      hash.update(`${meta.key}\u0000${meta.version}\u0000${meta.slug}\u0000${meta.title}\n`);
    }
    return {
      version: hash.digest("hex").slice(0, 16),
      articles: visible,
      bySlug: new Map(visible.map((meta) => [meta.slug, meta])),
      lastModified: new Date(Math.floor(Math.min(lastModified, now) / 1000) * 1000),
      updated: new Date(updated),
    };
  }

  /**
   * Two files claiming one slug: the oldest (then the first by path) keeps it, the others get a
   * suffix from their own path, so their ids stay stable whatever else is added later. Two files
   * claiming one front-matter id: the oldest keeps it, the others use their slug's id. Everything
   * is decided in (date, path) order, never in listing order.
   */
  #disambiguate(metas: ArticleMeta[]): ArticleMeta[] {
    const ordered = [...metas].sort(claimOrder);
    const taken = new Set(ordered.map((meta) => meta.slug));
    const owner = new Map<string, ArticleMeta>();
    const withSlugs = ordered.map((meta) => {
      const first = owner.get(meta.slug);
      if (!first) {
        owner.set(meta.slug, meta);
        return meta;
      }
      let slug = `${meta.slug}-${keyHash(meta.key)}`;
      for (let n = 2; taken.has(slug); n++) slug = `${meta.slug}-${keyHash(meta.key)}-${n}`;
      taken.add(slug);
      this.#warnOnce(`slug:${meta.key}:${meta.version}`, "duplicate slug; disambiguated", {
        file: meta.key,
        slug: meta.slug,
        keptBy: first.key,
        newSlug: slug,
      });
      return {
        ...meta,
        slug,
        id: meta.id === articleId(meta.slug) ? articleId(slug) : meta.id,
      };
    });
    const ids = new Set<string>();
    return withSlugs.map((meta) => {
      let result = meta;
      if (ids.has(result.id)) {
        this.#warnOnce(`id:${meta.key}:${meta.version}`, "duplicate id; using the slug's id", {
          file: meta.key,
          id: result.id,
        });
        result = { ...result, id: articleId(result.slug) };
      }
      ids.add(result.id);
      return result;
    });
  }

  readonly #warned = new Set<string>();
  #warnOnce(key: string, message: string, fields: Record<string, unknown>): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.#options.log.warn(message, fields);
  }
}

/** A draft or future-dated article as preview shows it: the same, with its title marked. */
function previewOf(meta: ArticleMeta): ArticleMeta {
  const mark = meta.draft ? "Draft" : `Scheduled for ${meta.date.toISOString().slice(0, 16)}Z`;
  return { ...meta, title: `[${mark}] ${meta.title}` };
}

/**
 * An article's metadata (no body), as a copy: fields sliced from the source text would otherwise
 * keep all of it alive (V8 substrings share their parent), for every article held.
 */
export function metaOf(article: Article): ArticleMeta {
  const { body: _body, dateline: _dateline, ...meta } = article;
  return structuredClone(meta);
}

/**
 * Who keeps a slug or an id that several files claim: the oldest article, then the first by
 * path (never listing order). The catalog and `npm run check-content` both decide with this.
 */
export function claimOrder(
  a: Pick<ArticleMeta, "date" | "key">,
  b: Pick<ArticleMeta, "date" | "key">,
): number {
  return a.date.getTime() - b.date.getTime() || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/** Newest first by whole seconds; ties broken by slug so the order never depends on listing order. */
export function newestFirst(
  a: Pick<ArticleMeta, "date" | "slug">,
  b: Pick<ArticleMeta, "date" | "slug">,
): number {
  const bySecond = Math.floor(b.date.getTime() / 1000) - Math.floor(a.date.getTime() / 1000);
  return bySecond || (a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0);
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

/** Runs `fn` over `items`, at most `limit` at a time. */
export async function forEachLimit<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  });
  await Promise.all(workers);
}
