/**
 * What one record change writes besides the record: a pure function of the record's previous
 * and next derived state. Every write is idempotent (a put or delete of an item, a set or
 * remove of one claim member), so any writer can (re)run a plan that was interrupted.
 */
import type { ArticleMeta } from "../articles/article.ts";
import { articleId, keyHash } from "../articles/ids.ts";
import { slugify } from "../articles/text.ts";
import type { IndexRecord, ScopeKey } from "./index.ts";
import {
  CLAIMS,
  entryPartition,
  FAILURES,
  orderKey,
  PAGES,
  SCHEDULE,
  type StoredArticle,
  timeKey,
} from "./keys.ts";
import type { TableWrite } from "./table.ts";

/** The parts of a record that decide its entries, claims and scopes. */
export interface Derived {
  state: IndexRecord["state"];
  date: number;
  /** Slug from the article itself, and a front-matter id that is not the slug's own. */
  base: string;
  explicitId: string;
  /** Slug and id after duplicates are resolved (see derive). */
  slug: string;
  id: string;
  /** Scope → the spelling this article uses for it ("" for the site). */
  scopes: Record<string, string>;
}

export const NOTHING: Derived = {
  state: "deleted",
  date: 0,
  base: "",
  explicitId: "",
  slug: "",
  id: "",
  scopes: {},
};

/**
 * Claim members: store key → fixed-width date; the oldest (then first key) owns the claim.
 * A disambiguated article is also a member of the candidate slug it HOLDS and of those it
 * skipped (WATCHES): such members never own a claim, and are there so that a change to the
 * article that took a candidate (a new one, or one deleted) re-derives the watcher (cascade).
 */
export type Claims = Map<string, Map<string, string>>;
export const MEMBER = "m#";
const HOLDS = "~";
const WATCHES = "?";

/**
 * The claims an article at `key` makes (claim → its member value): its slug and its
 * front-matter id when it set one; when disambiguated, the candidates up to the one it holds.
 */
export function claimsOf(key: string, d: Derived): Map<string, string> {
  const claims = new Map<string, string>();
  if (d.state === "failed" || d.state === "deleted") return claims;
  const time = timeKey(d.date);
  claims.set(`slug#${d.base}`, time);
  if (d.explicitId) claims.set(`id#${d.explicitId}`, time);
  if (d.slug && d.slug !== d.base) {
    for (const slug of slugCandidates(key, d.base)) {
      if (slug === d.slug) break;
      claims.set(`slug#${slug}`, `${WATCHES}${time}`);
    }
    claims.set(`slug#${d.slug}`, `${HOLDS}${time}`);
  }
  return claims;
}

export function claimKeys(key: string, d: Derived): string[] {
  return [...claimsOf(key, d).keys()];
}

export function ownerOf(members: ReadonlyMap<string, string> | undefined): string | undefined {
  let best: [string, string] | undefined;
  for (const [key, time] of members ?? []) {
    if (time.startsWith(HOLDS) || time.startsWith(WATCHES)) continue;
    if (!best || time < best[1] || (time === best[1] && key < best[0])) best = [key, time];
  }
  return best?.[0];
}

/** The slugs a file whose own slug is taken tries, in order (see derive). */
export function slugCandidates(key: string, base: string): string[] {
  const h = keyHash(key);
  return [`${base}-${h}`, `${base}-${h}-2`, `${base}-${h}-3`];
}

/**
 * The first candidate that no other article has as its own slug, nor holds with an older date.
 * A candidate whose claim was not read counts as free: the writer reads the candidates' claims
 * and derives again (Index #resolve). Past the candidates, the path's whole hash.
 */
function freeSlug(key: string, base: string, date: number, claims: Claims): string {
  const mine = timeKey(date);
  for (const slug of slugCandidates(key, base)) {
    const taken = [...(claims.get(`slug#${slug}`) ?? [])].some(([other, time]) => {
      if (other === key || time.startsWith(WATCHES)) return false;
      if (!time.startsWith(HOLDS)) return true;
      const theirs = time.slice(HOLDS.length);
      return theirs < mine || (theirs === mine && other < key);
    });
    if (!taken) return slug;
  }
  return `${base}-${keyHash(key, 64)}`;
}

/**
 * Two files claiming one slug: the oldest (then the first by path) keeps it, the others get a
 * suffix from their own path, never a slug another file has as its own. Two claiming one
 * front-matter id: the oldest keeps it, the others use their slug's id.
 */
export function derive(
  key: string,
  state: IndexRecord["state"],
  meta: ArticleMeta | undefined,
  claims: Claims,
): Derived {
  if (!meta || state === "failed" || state === "deleted") return { ...NOTHING, state };
  const base = meta.slug;
  const explicitId = meta.id !== articleId(base) ? meta.id : "";
  const owns = (claim: string) => (ownerOf(claims.get(claim)) ?? key) === key;
  const date = meta.date.getTime();
  const slug = owns(`slug#${base}`) ? base : freeSlug(key, base, date, claims);
  const id = explicitId && owns(`id#${explicitId}`) ? explicitId : articleId(slug);
  const scopes: Record<string, string> = { site: "" };
  for (const tag of meta.tags) {
    const s = slugify(tag);
    if (s && !(`tag#${s}` in scopes)) scopes[`tag#${s}`] = tag;
  }
  for (const person of meta.authors) {
    const s = slugify(person.name);
    if (s && !(`author#${s}` in scopes)) scopes[`author#${s}`] = person.name;
  }
  return { state, date, base, explicitId, slug, id, scopes };
}

export function sameDerived(a: Derived, b: Derived): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export interface PlanInput {
  key: string;
  prev: Derived;
  next: Derived;
  /** The article's `d` and `h` (articles). */
  entry?: StoredArticle;
  failure?: { version: string; reasons: string[]; seenAt: number };
}

/** The writes of one change; a delete of an item that is rewritten is dropped. */
export function plan({ key, prev, next, entry, failure }: PlanInput): {
  writes: TableWrite[];
  scopes: ScopeKey[];
} {
  const writes = new Map<string, TableWrite>();
  const add = (id: string, w: TableWrite) => {
    writes.delete(id);
    writes.set(id, w);
  };
  const wasLive = prev.state === "live";
  const isLive = next.state === "live" && entry !== undefined;
  const stored: Record<string, string> = entry
    ? { d: entry.d, ...(entry.h !== undefined ? { h: entry.h } : {}) }
    : {};
  if (wasLive) {
    for (const scope of Object.keys(prev.scopes)) {
      const k = { pk: entryPartition(scope as ScopeKey), sk: orderKey(prev.date, prev.slug) };
      add(`${k.pk} ${k.sk}`, { delete: k, if: { owner: key } });
    }
    // Only our own: an older article may have taken this slug over already.
    add(`P ${prev.slug}`, { delete: { pk: PAGES, sk: prev.slug }, if: { owner: key } });
  }
  if (isLive) {
    for (const scope of Object.keys(next.scopes)) {
      const k = { pk: entryPartition(scope as ScopeKey), sk: orderKey(next.date, next.slug) };
      add(`${k.pk} ${k.sk}`, { put: { ...k, key, ...stored }, if: { ownerOrAbsent: key } });
    }
    add(`P ${next.slug}`, {
      put: { pk: PAGES, sk: next.slug, key, ...stored },
      if: { ownerOrAbsent: key },
    });
  }
  const was = new Set(claimKeys(key, prev));
  for (const [claim, value] of claimsOf(key, next)) {
    was.delete(claim);
    add(`C ${claim}`, { update: { pk: CLAIMS, sk: claim }, set: { [`${MEMBER}${key}`]: value } });
  }
  for (const claim of was)
    add(`C ${claim}`, { update: { pk: CLAIMS, sk: claim }, remove: [`${MEMBER}${key}`] });
  const q = (d: Derived) => ({ pk: SCHEDULE, sk: `${timeKey(d.date)}|${key}` });
  if (prev.state === "scheduled") add(`Q ${q(prev).sk}`, { delete: q(prev) });
  if (next.state === "scheduled") add(`Q ${q(next).sk}`, { put: { ...q(next), key } });
  if (prev.state === "failed") add("F", { delete: { pk: FAILURES, sk: key } });
  if (next.state === "failed" && failure)
    add("F", {
      put: {
        pk: FAILURES,
        sk: key,
        version: failure.version,
        reasons: JSON.stringify(failure.reasons),
        seenAt: failure.seenAt,
      },
    });
  const scopes = new Set([
    ...(wasLive ? Object.keys(prev.scopes) : []),
    ...(isLive ? Object.keys(next.scopes) : []),
  ]);
  return { writes: [...writes.values()], scopes: [...scopes] as ScopeKey[] };
}
