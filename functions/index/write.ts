import type { ArticleMeta } from "../articles/article.ts";
import { forEachLimit } from "../articles/order.ts";
import type { ApplyResult, ArticleIndex, CompiledArticle, IndexChange, ScopeKey } from "./index.ts";
import {
  ARTICLES,
  type BlobStore,
  compareSequencers,
  decodeEntry,
  encodeEntry,
  SCHEDULE,
  timeKey,
} from "./keys.ts";
import {
  type Claims,
  claimKeys,
  type Derived,
  derive,
  NOTHING,
  sameDerived,
  slugCandidates,
} from "./plan.ts";
import { IndexReader } from "./read.ts";
import {
  baseMeta,
  contentHash,
  derivedOf,
  merge,
  planOf,
  readClaims,
  repeatedOf,
  revisedOf,
  runPlan,
  STALE,
  storedArticle,
  UNCHANGED,
} from "./record.ts";
import { refreshSummary } from "./summary.ts";
import { ConflictError, type Item, type Table } from "./table.ts";

export interface IndexOptions {
  /** Clock (ms): decides whether an article is live or scheduled. */
  now?: () => number;
  /** Attempts when another writer got there first. Default 12. */
  maxAttempts?: number;
  /**
   * Whether a future-dated article waits for its date (scheduled, then released). Default true;
   * false makes it live at once (a local preview of what is to come).
   */
  holdBack?: boolean;
}

/** Parallel writes of one plan. */
const PARALLEL = 8;

/**
 * The index over a table: reads (IndexReader) and incremental, idempotent writes.
 *
 * Protocol, with single-item conditional writes only: (1) the record (`A`, store key) is written
 * with its previous and next derived state, `pending`, conditional on its `gen`; (2) the plan
 * (claims first, then entries, page, schedule, failures: each write idempotent) is run, an
 * entry or page that another article holds going to the slug's claimed owner; (3) each touched
 * scope's summary is recomputed from its newest entry, conditional on the summary's `gen`;
 * (4) `pending` is cleared, conditional on `gen`. A writer that finds a pending record finishes
 * it first; one whose record moved on meanwhile re-runs the newer plan, so a late write of its
 * own is overwritten. A change whose sequencer is older than the record's is ignored.
 */
export class Index extends IndexReader implements ArticleIndex {
  readonly #now: () => number;
  readonly #maxAttempts: number;
  readonly #holdBack: boolean;

  constructor(
    table: Table,
    blobs: BlobStore,
    { now = Date.now, maxAttempts = 12, holdBack = true }: IndexOptions = {},
  ) {
    super(table, blobs);
    this.#now = now;
    this.#maxAttempts = maxAttempts;
    this.#holdBack = holdBack;
  }

  apply(change: IndexChange): Promise<ApplyResult> {
    return this.#retry(() => this.#applyOnce(change));
  }

  /**
   * Many changes (a first build, a reconciliation): the same protocol, but each touched scope's
   * summary is recomputed once at the end rather than after every change, and `pending` is
   * cleared after that (a crash in between leaves pending records, which any writer finishes).
   */
  async applyMany(changes: IndexChange[]): Promise<ApplyResult> {
    const batch = { scopes: new Set<ScopeKey>(), records: new Map<string, Item>() };
    this.#batch = batch;
    const results: ApplyResult[] = [];
    try {
      for (const change of changes) results.push(await this.apply(change));
    } finally {
      this.#batch = undefined;
    }
    await forEachLimit([...batch.scopes], PARALLEL, (scope) => this.#refresh(scope));
    await forEachLimit([...batch.records.values()], PARALLEL, async (record) => {
      try {
        await this.table.write({
          update: { pk: ARTICLES, sk: record.sk },
          set: { pending: false },
          if: { gen: Number(record.gen) },
        });
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        const current = await this.table.get({ pk: ARTICLES, sk: record.sk });
        if (current) await this.#finish(current);
      }
    });
    return merge(results);
  }

  /** Set while applyMany runs: scopes to refresh and records to settle at its end. */
  #batch: { scopes: Set<ScopeKey>; records: Map<string, Item> } | undefined;

  async release(now: number): Promise<ApplyResult> {
    const due = await this.table.query(SCHEDULE, { upTo: `${timeKey(now)}~` });
    const results: ApplyResult[] = [];
    for (const item of due) {
      const key = String(item.key);
      results.push(
        await this.#retry(async () => {
          const rec = await this.#record(key);
          const prev = rec ? derivedOf(rec) : NOTHING;
          if (!rec || prev.state !== "scheduled" || prev.date > now) return UNCHANGED;
          const claims = await this.#claims(claimKeys(key, prev));
          const next = await this.#resolve(key, "live", baseMeta(rec), claims);
          return this.#write(rec, { ...rec }, prev, next);
        }),
      );
    }
    return merge(results);
  }

  async #retry(fn: () => Promise<ApplyResult>): Promise<ApplyResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        if (!(error instanceof ConflictError) || attempt >= this.#maxAttempts) throw error;
        await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
      }
    }
  }

  /** The record, with an interrupted change finished first. */
  async #record(key: string): Promise<Item | undefined> {
    let rec = await this.table.get({ pk: ARTICLES, sk: key });
    // In a batch, this batch's own records stay pending until its end.
    const own = rec && this.#batch?.records.get(key)?.gen === rec.gen;
    for (let i = 0; rec?.pending && !own && i < this.#maxAttempts; i++) {
      await this.#finish(rec);
      rec = await this.table.get({ pk: ARTICLES, sk: key });
    }
    return rec;
  }

  #claims(keys: string[]): Promise<Claims> {
    return readClaims(this.table, keys);
  }

  /**
   * derive() with the claims of the slugs a disambiguated article may take read first (only
   * when its own slug is taken: the usual change reads no more claims than before).
   */
  async #resolve(
    key: string,
    state: Derived["state"],
    meta: ArticleMeta | undefined,
    claims: Claims,
  ): Promise<Derived> {
    const derived = derive(key, state, meta, claims);
    if (derived.slug === derived.base) return derived;
    const unread = slugCandidates(key, derived.base)
      .map((slug) => `slug#${slug}`)
      .filter((claim) => !claims.has(claim));
    if (!unread.length) return derived;
    for (const [claim, members] of await this.#claims(unread)) claims.set(claim, members);
    return derive(key, state, meta, claims);
  }

  async #applyOnce(change: IndexChange): Promise<ApplyResult> {
    const rec = await this.#record(change.key);
    const prev = rec ? derivedOf(rec) : NOTHING;
    if (rec) {
      const order = compareSequencers(change.sequencer, String(rec.seq));
      if (order < 0) return STALE;
      const same =
        change.kind === "delete" ? prev.state === "deleted" : rec.version === change.version;
      if (order === 0 && same)
        return this.#cascade(change.key, claimKeys(change.key, prev), repeatedOf(rec));
    }
    const next: Item = {
      pk: ARTICLES,
      sk: change.key,
      seq: change.sequencer,
      version: change.kind === "delete" ? "" : change.version,
      hash: "",
      seenAt: change.seenAt,
    };
    let meta: CompiledArticle["meta"] | undefined;
    let state: Derived["state"] = change.kind === "delete" ? "deleted" : "failed";
    if (change.kind === "put") {
      // Hashed before `revised` is set: the same content again must hash the same.
      const hash = contentHash(change.article);
      next.hash = hash;
      // An edit without `updated:` is dated by when its new content was first seen; the same
      // content again (a re-deploy) keeps the earlier time and changes nothing.
      const modified = rec && rec.hash === hash ? Number(rec.modified) : change.seenAt;
      next.modified = modified;
      const { revised: _r, ...compiled } = change.article.meta;
      meta = { ...compiled, modified: new Date(modified) };
      const revised = revisedOf(meta, hash, rec, change.seenAt);
      if (revised) meta.revised = revised;
      const future = this.#holdBack && meta.date.getTime() > this.#now();
      state = meta.draft ? "draft" : future ? "scheduled" : "live";
      const stored = await storedArticle(meta, change.article.html, this.blobs);
      next.entry = stored.entry;
      if (stored.h !== undefined) next.h = stored.h;
    } else if (change.kind === "failed") {
      next.reasons = JSON.stringify(change.reasons);
    }
    const mine = derive(change.key, state, meta, new Map());
    const claimSet = [...new Set([...claimKeys(change.key, prev), ...claimKeys(change.key, mine)])];
    const claims = await this.#claims(claimSet);
    // Resolve as if this change's own claim writes were done (the cascade settles the rest).
    const own = new Set(claimKeys(change.key, mine));
    for (const [claim, members] of claims) {
      members.delete(change.key);
      if (own.has(claim)) members.set(change.key, timeKey(mine.date));
    }
    const derived = await this.#resolve(change.key, state, meta, claims);
    if (rec && rec.hash === next.hash && sameDerived(prev, derived)) {
      // The same content under a new sequencer: remember the sequencer, touch nothing else.
      await this.table.write({
        update: { pk: ARTICLES, sk: change.key },
        set: { seq: change.sequencer, version: String(next.version), gen: Number(rec.gen) + 1 },
        if: { gen: Number(rec.gen) },
      });
      return this.#cascade(change.key, claimSet, UNCHANGED);
    }
    const result = await this.#write(rec, next, prev, derived);
    return this.#cascade(change.key, claimSet, result);
  }

  /** Steps 1–4 of the protocol for one record. */
  async #write(
    rec: Item | undefined,
    next: Item,
    prev: Derived,
    derived: Derived,
  ): Promise<ApplyResult> {
    if (next.entry !== undefined && derived.slug) {
      const entry = decodeEntry(String(next.entry));
      entry.meta = { ...entry.meta, slug: derived.slug, id: derived.id };
      next.entry = encodeEntry(entry);
    }
    const record: Item = {
      ...next,
      state: derived.state,
      derived: JSON.stringify(derived),
      prev: JSON.stringify(prev),
      gen: Number(rec?.gen ?? 0) + 1,
      pending: true,
    };
    await this.table.write({ put: record, if: rec ? { gen: Number(rec.gen) } : { absent: true } });
    await this.#finish(record);
    const live = (d: Derived) => d.state === "live";
    return {
      outcome: "applied",
      scopes: [
        ...new Set([
          ...(live(prev) ? Object.keys(prev.scopes) : []),
          ...(live(derived) ? Object.keys(derived.scopes) : []),
        ]),
      ] as ScopeKey[],
      pages: [
        ...new Set([...(live(prev) ? [prev.slug] : []), ...(live(derived) ? [derived.slug] : [])]),
      ],
      ...(derived.state === "scheduled" ? { releaseAt: derived.date } : {}),
    };
  }

  /** Steps 2–4: the plan, the summaries, then `pending` cleared (or the newer plan re-run). */
  async #finish(record: Item): Promise<void> {
    let current: Item | undefined = record;
    for (let attempt = 0; current && attempt < this.#maxAttempts; attempt++) {
      const { writes, scopes } = planOf(current);
      await runPlan(this.table, current, writes, PARALLEL);
      if (this.#batch && current === record) {
        for (const scope of scopes) this.#batch.scopes.add(scope);
        this.#batch.records.set(record.sk, record);
        return;
      }
      await forEachLimit(scopes, PARALLEL, (scope) => this.#refresh(scope));
      try {
        if (current.pending)
          await this.table.write({
            update: { pk: ARTICLES, sk: current.sk },
            set: { pending: false },
            if: { gen: Number(current.gen) },
          });
        return;
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        // Another writer moved the record on while this plan ran: its plan again, over ours.
        current = await this.table.get({ pk: ARTICLES, sk: current.sk });
      }
    }
  }

  /** Recomputes a scope's summary; summaries are contended by every change to the scope. */
  #refresh(scope: ScopeKey): Promise<void> {
    return refreshSummary(this.table, scope, this.#now(), this.#maxAttempts * 4);
  }

  /**
   * Another article's resolved slug or id may depend on the claims this change touched (an older
   * article took a slug over): rewrite every member whose resolution no longer matches.
   */
  async #cascade(key: string, claimSet: string[], result: ApplyResult): Promise<ApplyResult> {
    const results = [result];
    const members = new Set<string>();
    for (const [, who] of await this.#claims(claimSet)) for (const m of who.keys()) members.add(m);
    members.delete(key);
    for (const other of members) {
      results.push(
        await this.#retry(async () => {
          const rec = await this.#record(other);
          if (!rec || rec.entry === undefined) return UNCHANGED;
          const prev = derivedOf(rec);
          const claims = await this.#claims(claimKeys(other, prev));
          const next = await this.#resolve(other, prev.state, baseMeta(rec), claims);
          if (sameDerived(prev, next)) return UNCHANGED;
          return this.#write(rec, { ...rec }, prev, next);
        }),
      );
    }
    return merge(results);
  }
}
