/**
 * The index record (the `A` item of a stored object) and what is computed from it: its derived
 * state and plan, its article's stored form, and the revision rule an edit follows.
 */
import { createHash } from "node:crypto";
import type { ArticleMeta } from "../articles/article.ts";
import { articleId } from "../articles/ids.ts";
import { forEachLimit } from "../articles/order.ts";
import type { ApplyResult, CompiledArticle, ScopeKey } from "./index.ts";
import { type BlobStore, CLAIMS, decodeEntry, encodeEntry, INLINE_HTML_BYTES } from "./keys.ts";
import { type Claims, type Derived, MEMBER, NOTHING, ownerOf, plan } from "./plan.ts";
import { ConflictError, type Item, keyOf, type Table, type TableWrite } from "./table.ts";

export const UNCHANGED: ApplyResult = { outcome: "unchanged", scopes: [], pages: [] };
export const STALE: ApplyResult = { outcome: "stale", scopes: [], pages: [] };

/** What the change a record holds did when it was applied (see ApplyResult "repeated"). */
export function repeatedOf(rec: Item): ApplyResult {
  const now = derivedOf(rec);
  const before = rec.prev !== undefined ? (JSON.parse(String(rec.prev)) as Derived) : NOTHING;
  const live = [before, now].filter((d) => d.state === "live");
  return {
    outcome: "repeated",
    scopes: [...new Set(live.flatMap((d) => Object.keys(d.scopes)))] as ScopeKey[],
    pages: [...new Set(live.map((d) => d.slug))],
    ...(now.state === "scheduled" ? { releaseAt: now.date } : {}),
  };
}

export function derivedOf(rec: Item): Derived {
  return rec.derived ? (JSON.parse(String(rec.derived)) as Derived) : NOTHING;
}

/** A record's article as it was compiled: its own slug and id, before duplicates were resolved. */
export function baseMeta(rec: Item): ArticleMeta {
  const { meta } = decodeEntry(String(rec.entry));
  const d = derivedOf(rec);
  return { ...meta, slug: d.base, id: d.explicitId || articleId(d.base) };
}

export function planOf(record: Item): ReturnType<typeof plan> {
  return plan({
    key: record.sk,
    prev: JSON.parse(String(record.prev)) as Derived,
    next: derivedOf(record),
    ...(record.entry !== undefined
      ? {
          entry: {
            d: String(record.entry),
            ...(record.h !== undefined ? { h: String(record.h) } : {}),
          },
        }
      : {}),
    ...(record.reasons !== undefined
      ? {
          failure: {
            version: String(record.version),
            reasons: JSON.parse(String(record.reasons)) as string[],
            seenAt: Number(record.seenAt),
          },
        }
      : {}),
  });
}

/** The members of each claim in `keys` (store key → fixed-width date). */
export async function readClaims(table: Table, keys: string[]): Promise<Claims> {
  const out: Claims = new Map();
  for (const sk of new Set(keys)) {
    const item = await table.get({ pk: CLAIMS, sk });
    const members = new Map<string, string>();
    for (const [name, value] of Object.entries(item ?? {}))
      if (name.startsWith(MEMBER)) members.set(name.slice(MEMBER.length), String(value));
    out.set(sk, members);
  }
  return out;
}

/**
 * Runs a record's plan: its claim updates first, then the rest, `parallel` at a time. An entry
 * or page that another article's item holds (a concurrent writer's, or a stale plan's of an
 * article that has lost the slug since) is settled by the slug's claim, which every holder
 * updated before its put: the claim's owner replaces the other item, anyone else leaves it.
 */
export async function runPlan(
  table: Table,
  record: Item,
  writes: TableWrite[],
  parallel: number,
): Promise<void> {
  const claims = writes.filter((w) => keyOf(w).pk === CLAIMS);
  const rest = writes.filter((w) => keyOf(w).pk !== CLAIMS);
  for (const batch of [claims, rest])
    await forEachLimit(batch, parallel, async (w) => {
      try {
        await table.write(w);
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
        // A conditional delete of an item that is gone or no longer ours: nothing to do.
        if ("put" in w) await contend(table, record, w);
        else if (!("delete" in w)) throw error;
      }
    });
}

/** A put of `record`'s entry or page onto an item another article holds (see runPlan). */
async function contend(table: Table, record: Item, w: { put: Item }): Promise<void> {
  const { pk, sk } = w.put;
  const d = derivedOf(record);
  const claim = `slug#${d.base}`;
  for (let attempt = 0; attempt < 8; attempt++) {
    const holder = await table.get({ pk, sk });
    if (holder && holder.key !== record.sk) {
      // Only the base slug is contended; a suffixed one is this article's by construction.
      if (d.slug !== d.base) return;
      const owner = ownerOf((await readClaims(table, [claim])).get(claim));
      if (owner !== record.sk) return;
      try {
        await table.write({ delete: { pk, sk }, if: { owner: String(holder.key) } });
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
      }
    }
    try {
      await table.write(w);
      return;
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }
  throw new ConflictError(`${pk} ${sk} stays contended`);
}

/**
 * Hash of what the feeds show of an article: not its store version or file time, nor `revised`,
 * which this index derives (a re-deploy of the same content must hash the same).
 */
export function contentHash(article: CompiledArticle): string {
  const { key: _k, version: _v, modified: _m, revised: _r, hash: _h, ...shown } = article.meta;
  return createHash("sha256")
    .update(JSON.stringify({ shown, html: article.html }))
    .digest("hex");
}

/**
 * The record's `entry` and `h` for an article: the body inline when small, else in the blob
 * store (content-addressed, so rewriting one is harmless) and named in the entry.
 */
export async function storedArticle(
  meta: ArticleMeta,
  html: string,
  blobs: BlobStore,
): Promise<{ entry: string; h?: string }> {
  if (Buffer.byteLength(html) <= INLINE_HTML_BYTES)
    return { entry: encodeEntry({ meta }), h: html };
  const ref = `${createHash("sha256").update(html).digest("hex")}.html`;
  await blobs.put(ref, html);
  return { entry: encodeEntry({ meta, ref }) };
}

/**
 * `revised` for a put of content hashing to `hash`, after record `rec` (articles/revisions.ts
 * `revise`, for the index): an edit that does not move the front matter's `updated` past the
 * previous one is dated when it was first seen, at least a second after the previous revision,
 * so every such edit reaches readers as an update; otherwise the previous `revised` stays.
 * The first content seen (no previous article in the record) has none: a rebuild never invents
 * edits.
 */
export function revisedOf(
  meta: ArticleMeta,
  hash: string,
  rec: Item | undefined,
  seenAt: number,
): Date | undefined {
  if (rec?.entry === undefined) return undefined;
  const previous = decodeEntry(String(rec.entry)).meta;
  if (rec.hash === hash || meta.updated.getTime() > previous.updated.getTime())
    return previous.revised;
  return new Date(Math.max(seenAt, (previous.revised?.getTime() ?? 0) + 1000));
}

export function merge(results: ApplyResult[]): ApplyResult {
  const applied = results.filter((r) => r.outcome === "applied");
  if (!applied.length) return results[0] ?? UNCHANGED;
  const releases = applied.flatMap((r) => (r.releaseAt === undefined ? [] : [r.releaseAt]));
  return {
    outcome: "applied",
    scopes: [...new Set(applied.flatMap((r) => r.scopes))],
    pages: [...new Set(applied.flatMap((r) => r.pages))],
    ...(releases.length ? { releaseAt: Math.min(...releases) } : {}),
  };
}
