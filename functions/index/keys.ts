/**
 * Item layout of the index table (single table, string keys `pk` and `sk`):
 *
 *   pk "A"           sk <store key>        one record per stored object (state, sequencer, data)
 *   pk "E#<scope>"   sk <order key>        one entry per live article per scope (site, tag, author)
 *   pk "P"           sk <slug>             the article page entry, by its resolved slug
 *
 * An article (the record's `entry` and `h`, an E or P item's `d` and `h`) is stored as `d`/`entry`
 * = encodeEntry({ meta, ref? }), metadata and the blob name of a large body, and `h` = the body
 * HTML when it is inline (at most INLINE_HTML_BYTES). A metadata-only read (sitemaps, list pages,
 * summaries) projects `d` and so never transfers a body.
 *
 *   pk "S"           sk <scope>            scope summary: count, spellings, changed, revision
 *   pk "C"           sk slug#<s> | id#<i>  claims on a slug or front-matter id, oldest first
 *   pk "Q"           sk <time>#<key>       scheduled (future-dated) articles by date
 *   pk "F"           sk <store key>        files that do not compile, with their reasons
 */
import type { ArticleMeta } from "../articles/article.ts";
import type { IndexedArticle, PageCursor, ScopeKey } from "./index.ts";

export const ARTICLES = "A";
export const PAGES = "P";
export const SUMMARIES = "S";
export const CLAIMS = "C";
export const SCHEDULE = "Q";
export const FAILURES = "F";

export function entryPartition(scope: ScopeKey): string {
  return `E#${scope}`;
}

/**
 * Sort key of an entry: newest first in ascending key order (seconds subtracted from a constant,
 * fixed width), ties by slug ascending. That is the feeds' order (newestFirst), so a page is one
 * Query and a `before` cursor is a key condition `sk > orderKey(cursor)`.
 */
export function orderKey(dateMs: number, slug: string): string {
  const inverted = 5_000_000_000_000 - Math.floor(dateMs / 1000);
  return `${String(inverted).padStart(13, "0")}#${slug}`;
}

export function cursorKey(cursor: PageCursor): string {
  return orderKey(cursor.seconds * 1000, cursor.slug);
}

/** Fixed-width time for ascending sort keys (claims, schedule); dates from year -29,719 on. */
export function timeKey(ms: number): string {
  return String(Math.round(ms) + 1e15).padStart(16, "0");
}

/**
 * S3 sequencers are hexadecimal strings of varying length; the greater value is the later event
 * for a key. Compared as numbers: left-padded to one width.
 */
export function compareSequencers(a: string, b: string): number {
  const width = Math.max(a.length, b.length);
  const x = a.toLowerCase().padStart(width, "0");
  const y = b.toLowerCase().padStart(width, "0");
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * An entry's `d`: metadata, and the blob name of a body that is not inline. (`html` is only read,
 * from an entry encoded before bodies moved to `h`.)
 */
export interface StoredEntry {
  meta: ArticleMeta;
  html?: string;
  ref?: string;
}

export function encodeEntry(entry: StoredEntry): string {
  return JSON.stringify(entry);
}

export function decodeEntry(text: string): StoredEntry {
  const entry = JSON.parse(text) as StoredEntry;
  const meta = entry.meta as unknown as Record<string, unknown>;
  for (const field of ["modified", "date", "updated"] as const)
    meta[field] = new Date(meta[field] as string);
  if (meta.revised !== undefined) meta.revised = new Date(meta.revised as string);
  return entry;
}

/** Bodies larger than this live in the blob store (S3 `compiled/`), not in the table's items. */
export const INLINE_HTML_BYTES = 32 * 1024;

/** Where large compiled bodies are kept: S3 under `compiled/` on AWS, a Map locally. */
export interface BlobStore {
  put(name: string, text: string): Promise<void>;
  get(name: string): Promise<string>;
}

export class MemoryBlobs implements BlobStore {
  readonly #blobs = new Map<string, string>();
  async put(name: string, text: string): Promise<void> {
    this.#blobs.set(name, text);
  }
  async get(name: string): Promise<string> {
    const text = this.#blobs.get(name);
    if (text === undefined) throw new Error(`compiled body ${name} is missing`);
    return text;
  }
}

/** An article as stored: `d` (see StoredEntry) and `h`, the body when it is inline. */
export interface StoredArticle {
  d: string;
  h?: string;
}

/** Resolves an item's (`d`, `h`) body: inline, or from the blob store. */
export async function resolveEntry(item: StoredArticle, blobs: BlobStore): Promise<IndexedArticle> {
  const entry = decodeEntry(item.d);
  const html = item.h ?? entry.html ?? (await blobs.get(entry.ref ?? ""));
  return { meta: entry.meta, html };
}
