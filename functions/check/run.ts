import { articleId } from "../articles/ids.ts";
import { claimOrder, forEachLimit } from "../articles/order.ts";
import { MAX_ARTICLE_BYTES } from "../articles/parse.ts";
import { NotFoundError } from "../errors.ts";
import { type ArticleStore, isArticleKey, type StoredFile } from "../storage/store.ts";
import { WorkerPool } from "../workers/pool.ts";
import {
  type CheckedArticle,
  type Claim,
  checkArticle,
  oversize,
  type Problem,
} from "./article.ts";
import type { CheckTask } from "./worker.ts";

const CHECK_WORKER = new URL("./worker.ts", import.meta.url);

/** Below this many files the check compiles on the calling thread. */
const MIN_FILES_FOR_WORKERS = 200;

export interface CheckOptions {
  /** Base URL relative links resolve against (the server's SITE_URL). */
  siteUrl: string;
  /** Clock for telling future-dated articles apart. */
  now: number;
  /** Reads in flight at once. */
  concurrency?: number;
  /** Worker threads that compile, for 200 files or more (0: the calling thread). Default 0. */
  workers?: number;
}

export interface CheckReport {
  files: number;
  /** Sorted by file, then line. */
  problems: Problem[];
  errors: number;
  warnings: number;
  drafts: number;
  future: number;
}

/**
 * Checks every article of a store: each file compiled as the server compiles it, then the
 * checks across files (a slug or an id claimed twice: the index's rule says who keeps it).
 */
export async function checkStore(store: ArticleStore, options: CheckOptions): Promise<CheckReport> {
  const files = (await store.list()).filter((file) => isArticleKey(file.key));
  const problems: Problem[] = [];
  const claims: Claim[] = [];
  let drafts = 0;
  let future = 0;
  const record = (checked: CheckedArticle) => {
    problems.push(...checked.problems);
    if (!checked.claim) return;
    claims.push(checked.claim);
    if (checked.claim.draft) drafts++;
    else if (checked.claim.date.getTime() > options.now) future++;
  };
  // Starting workers costs more than a small folder takes to compile.
  const pool =
    options.workers && files.length >= MIN_FILES_FOR_WORKERS
      ? new WorkerPool<CheckTask, CheckedArticle>(CHECK_WORKER, options.workers)
      : undefined;
  const check = (file: StoredFile, bytes: Uint8Array) =>
    pool
      ? pool.run({ file, bytes, siteUrl: options.siteUrl })
      : checkArticle(file, bytes, options.siteUrl);
  try {
    await forEachLimit(files, options.concurrency ?? 32, async (file) => {
      // The listing knows the size: an oversize file is not even read.
      if (file.size > MAX_ARTICLE_BYTES) {
        record({
          problems: [{ key: file.key, line: 1, severity: "error", reason: oversize(file.size) }],
        });
        return;
      }
      let bytes: Uint8Array;
      try {
        bytes = await store.read(file.key);
      } catch (error) {
        if (error instanceof NotFoundError) return; // removed while the check ran
        throw error;
      }
      record(await check(file, bytes));
    });
  } finally {
    await pool?.close();
  }
  problems.push(...duplicateClaims(claims));
  problems.sort(
    (a, b) =>
      (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) ||
      a.line - b.line ||
      (a.reason < b.reason ? -1 : 1),
  );
  const errors = problems.filter((p) => p.severity === "error").length;
  return {
    files: files.length,
    problems,
    errors,
    warnings: problems.length - errors,
    drafts,
    future,
  };
}

/** Slugs and ids claimed by more than one file: who keeps each, and who is moved. */
export function duplicateClaims(claims: Claim[]): Problem[] {
  const ordered = [...claims].sort(claimOrder);
  const problems: Problem[] = [];
  for (const field of ["slug", "id"] as const) {
    const owners = new Map<string, Claim>();
    for (const claim of ordered) {
      // An id derived from the slug moves with the slug (reported once, as the slug).
      if (field === "id" && claim.id === articleId(claim.slug)) continue;
      const owner = owners.get(claim[field]);
      if (!owner) {
        owners.set(claim[field], claim);
        continue;
      }
      problems.push({
        key: claim.key,
        line: field === "slug" ? claim.slugLine : claim.idLine,
        severity: "error",
        reason:
          field === "slug"
            ? `slug "${claim.slug}" is also claimed by ${owner.key}, which keeps it (older, or first by path); this article gets another URL`
            : `id "${claim.id}" is also claimed by ${owner.key}, which keeps it (older, or first by path); this article gets its slug's id`,
      });
    }
  }
  return problems;
}

/** `file:line: reason`, the form editors and CI annotators read; warnings say so. */
export function formatProblem(problem: Problem, display: (key: string) => string): string {
  const kind = problem.severity === "warning" ? "warning: " : "";
  return `${display(problem.key)}:${problem.line}: ${kind}${problem.reason}`;
}

/** The closing line of a check. */
export function summaryLine(report: CheckReport, seconds: number): string {
  const files = new Set(report.problems.filter((p) => p.severity === "error").map((p) => p.key));
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const held = [
    report.drafts ? `${plural(report.drafts, "draft")}` : "",
    report.future ? `${report.future} future-dated` : "",
  ].filter(Boolean);
  return [
    `checked ${plural(report.files, "file")} in ${seconds.toFixed(1)} s: `,
    report.errors
      ? `${plural(report.errors, "error")} in ${plural(files.size, "file")}`
      : "no errors",
    `, ${plural(report.warnings, "warning")}`,
    held.length ? ` (not yet published: ${held.join(", ")})` : "",
  ].join("");
}
