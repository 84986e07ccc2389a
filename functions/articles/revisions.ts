import { createHash } from "node:crypto";
import type { ArticleMeta } from "./article.ts";

/**
 * What must be remembered of an article's last seen content to tell an edit from a re-upload:
 * its content hash, its front-matter `updated` then, and when its content last changed without
 * the front matter saying so (`revised`, ms since the epoch).
 */
export interface RevisionRecord {
  hash: string;
  updated: number;
  revised?: number;
}

/** A short, stable hash of a stored file's bytes: equal bytes, equal hash, whatever the store. */
export function contentHash(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("base64url").slice(0, 22);
}

/** The record that `meta` (as returned by revise) leaves behind. */
export function recordOf(meta: ArticleMeta): RevisionRecord | undefined {
  if (!meta.hash) return undefined;
  return {
    hash: meta.hash,
    updated: meta.updated.getTime(),
    ...(meta.revised ? { revised: meta.revised.getTime() } : {}),
  };
}

/**
 * `meta` with its content hash, and `revised` when its content changed since `previous` was
 * recorded without a newer front-matter `updated`: a correction must reach readers as an update
 * even when the author forgot the field. The stored file's modification time dates the change.
 *
 * - Nothing recorded before (a new article, or no durable record): the content is the first
 *   version seen, so nothing is marked updated (a restart or re-deploy never invents edits).
 * - Same bytes as recorded (a re-upload, a touch, a restart): the recorded `revised` stays.
 * - Different bytes and a newer `updated:` in the front matter: the author dated it; the recorded
 *   `revised` is kept so the entry's date never goes backwards.
 * - Different bytes, same `updated:`: `revised` is the file's modification time (at least one
 *   second after the previous revision, so every edit moves the date).
 */
export function revise(meta: ArticleMeta, hash: string, previous?: RevisionRecord): ArticleMeta {
  const { revised: _stale, ...base } = meta;
  const out: ArticleMeta = { ...base, hash };
  if (!previous) return out;
  if (previous.hash === hash || meta.updated.getTime() > previous.updated) {
    if (previous.revised !== undefined) out.revised = new Date(previous.revised);
    return out;
  }
  out.revised = new Date(Math.max(meta.modified.getTime(), (previous.revised ?? 0) + 1000));
  return out;
}

/** When readers should see the article as last updated: the later of `updated` and `revised`. */
export function updatedOf(meta: Pick<ArticleMeta, "updated" | "revised">): Date {
  return meta.revised && meta.revised > meta.updated ? meta.revised : meta.updated;
}
