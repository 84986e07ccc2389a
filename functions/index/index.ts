/**
 * The article index: what the feed function reads and the indexer writes. One interface, two
 * tables behind it (in memory for `npm start`, DynamoDB on AWS), one logic (core.ts).
 */
import type { ArticleMeta } from "../articles/article.ts";
import type { CompiledArticle as Compiled } from "../articles/compiled.ts";

/** A feed's set of articles: the whole site, one tag or one author (by slug). */
export type ScopeKey = "site" | `tag#${string}` | `author#${string}`;

/** What the index keeps of a compiled article (compileArticle's result): metadata and HTML. */
export type CompiledArticle = Pick<Compiled, "meta" | "html">;

/** One entry of a feed page: metadata with the index's slug and id (duplicates resolved). */
export interface IndexedArticle {
  meta: ArticleMeta;
  /** Body HTML; for a large body this is resolved from the blob store (compiled/ in S3). */
  html: string;
}

/** Where a page starts: after the article with this date (whole seconds) and slug. */
export interface PageCursor {
  seconds: number;
  slug: string;
}

export interface IndexPage {
  items: IndexedArticle[];
  /** True when older articles follow the last item. */
  more: boolean;
}

/** A scope's summary, refreshed from its newest entry after every change to the scope. */
export interface ScopeSummary {
  key: ScopeKey;
  /** Display spelling: the one its newest article uses ("" for the site). */
  name: string;
  /** Time (ms) of the newest change to the scope: an article added, edited, removed or released. */
  changed: number;
  /** Bumped by every change to the scope: a cache of its pages is valid while it is unchanged. */
  revision: number;
  /** Date and `updated` (ms) of its newest article. */
  newest: { date: number; updated: number };
}

/** A stored file that does not compile, with its reasons (listable by an operator). */
export interface IndexFailure {
  key: string;
  version: string;
  reasons: string[];
  seenAt: number;
}

/**
 * What happened to one stored object. `sequencer` orders the changes of one key (S3's event
 * sequencer; a reconciliation uses the record's own): a change older than what the index holds
 * is ignored, so duplicated and reordered events converge.
 */
export type IndexChange = {
  key: string;
  sequencer: string;
  /** When the indexer saw this content (ms): an edit without `updated:` is dated by it. */
  seenAt: number;
} & (
  | { kind: "put"; version: string; article: CompiledArticle }
  | { kind: "failed"; version: string; reasons: string[] }
  | { kind: "delete" }
);

/**
 * What applying a change did: the scopes whose pages changed (for pings and invalidation).
 * "repeated": the change is the one the record already holds (a redelivered event): nothing was
 * written, and the scopes, pages and release are those it changed when it was applied, so a
 * message retried after its announcement failed can announce and schedule them again.
 */
export interface ApplyResult {
  outcome: "applied" | "unchanged" | "stale" | "repeated";
  scopes: ScopeKey[];
  /** Slugs of article pages that changed. */
  pages: string[];
  /** The article's date when it is waiting to go live (ms): schedule a release then. */
  releaseAt?: number;
}

/** One stored object as the index knows it, for reconciliation against a bucket listing. */
export interface IndexRecord {
  key: string;
  version: string;
  sequencer: string;
  state: "live" | "scheduled" | "draft" | "failed" | "deleted";
}

/** What the feed app reads: pages, metadata lists, articles and summaries. */
export interface IndexView {
  /** One page of a scope, newest first, with bodies: one query of `limit` entries. */
  page(scope: ScopeKey, limit: number, before?: PageCursor): Promise<IndexPage>;
  /** The same order, metadata only (no body read, no blob fetch): sitemaps, list pages. */
  metas(
    scope: ScopeKey,
    limit: number,
    before?: PageCursor,
  ): Promise<{ items: ArticleMeta[]; more: boolean }>;
  /**
   * The entry with the greatest sort key at or below the cursor's: the article at the cursor
   * position or the nearest newer one (a canonical-cursor check; one descending query).
   */
  above(scope: ScopeKey, cursor: PageCursor): Promise<ArticleMeta | undefined>;
  /** An article page by its (index-resolved) slug. */
  article(slug: string): Promise<IndexedArticle | undefined>;
  summary(scope: ScopeKey): Promise<ScopeSummary | undefined>;
  /** Every scope with live articles (OPML, the tag and author lists). */
  scopes(): Promise<ScopeSummary[]>;
}

export interface ArticleIndex extends IndexView {
  /** Applies one change; idempotent, safe under concurrent writers. */
  apply(change: IndexChange): Promise<ApplyResult>;
  /** Applies changes in order, refreshing each touched summary once (first builds, repairs). */
  applyMany(changes: IndexChange[]): Promise<ApplyResult>;
  /** Makes live every scheduled article whose date is at or before `now`. */
  release(now: number): Promise<ApplyResult>;
  /** The earliest date (ms) an article is scheduled to go live at, if any is waiting. */
  nextRelease(): Promise<number | undefined>;
  failures(): Promise<IndexFailure[]>;
  /** Every record (reconciliation). */
  records(): Promise<IndexRecord[]>;
}
