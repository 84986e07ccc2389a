import type { ArticleMeta } from "./article.ts";

/**
 * What compiling one stored file gives: plain, structured-clone-able data with no class
 * instances and no store behind it, so it can be kept in memory, written to an index (DynamoDB,
 * the manifest) and served without the source. Dates are `Date` values (JSON: ISO 8601 strings).
 */
export type CompileResult = CompiledArticle | FailedArticle;

/** A servable article: everything a feed entry or an article page needs. */
export interface CompiledArticle {
  ok: true;
  /** Metadata, including the plain-text `summary` (at most 280 characters). */
  meta: ArticleMeta;
  /**
   * The body as sanitized HTML with every link and source absolute against the site URL.
   * Fragment links (`#notes`) stay relative: feeds point them at the article page when rendering.
   */
  html: string;
  /** Non-fatal findings (e.g. "date: no UTC offset given"), each to be logged with the file. */
  warnings: string[];
}

/** Where compiling stopped: the stage that failed is part of the recorded reason. */
export type CompileStage =
  | "open"
  | "size"
  | "read"
  | "decode"
  | "parse"
  | "render"
  | "sanitize"
  | "limit";

/** A file that cannot be served, and why: recorded (and logged once) instead of the article. */
export interface FailedArticle {
  ok: false;
  /** Store key of the source file. */
  key: string;
  /** Store version the failure belongs to: a new version is compiled again. */
  version: string;
  modified: Date;
  stage: CompileStage;
  /** Every reason, joined with "; ", e.g. `date: missing (add …)`. */
  error: string;
}

/** Settings a compile depends on (its output changes when they do). */
export interface CompileOptions {
  /** Absolute base for links, without a trailing slash, e.g. `https://news.example`. */
  siteUrl: string;
}
