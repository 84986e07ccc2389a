import { cpuUsage } from "node:process";
import { ArticleError } from "../errors.ts";
import type { StoredFile } from "../storage/store.ts";
import type { Article } from "./article.ts";
import type { CompileOptions, CompileResult, CompileStage, FailedArticle } from "./compiled.ts";
import { sanitizeHtml, sanitizeRenderedMarkdown, wireHtml } from "./html.ts";
import { containerDepth, MAX_NESTING, markdownToHtml, markerDepth } from "./markdown.ts";
import { checkSize, type ParseResult, parseArticleText } from "./parse.ts";
import { decodeArticle } from "./text.ts";

/**
 * Rendered HTML above this is refused: 4× the largest article, where real articles render to
 * ~1.2× (text) to ~2.5× (short list items) their size; `# a` repeated renders to 4.5×.
 */
export const MAX_HTML_BYTES = 1024 * 1024;
/**
 * CPU time one compile may take before its result is refused. Compiles are measured at a few
 * ms (worst adversarial input ~100 ms, bench/compile.ts); this catches a regression without
 * letting a slow (shared) machine's wall clock decide what gets published.
 */
export const MAX_COMPILE_CPU_MS = 2_000;

/** The steps of a compile, injectable so tests can make any one of them fail. */
export interface CompileSteps {
  decode(key: string, bytes: Uint8Array): string;
  parse(file: StoredFile, text: string): ParseResult;
  render(markdown: string): string;
  /** Sanitizes HTML that may hold raw HTML from the source. */
  sanitize(html: string, siteUrl: string): string;
  /** Sanitizes md4c output of a source without raw HTML. */
  sanitizeMarkdown(html: string, siteUrl: string): string;
}

export const DEFAULT_STEPS: CompileSteps = {
  decode: decodeArticle,
  parse: parseArticleText,
  render: markdownToHtml,
  sanitize: sanitizeHtml,
  sanitizeMarkdown: sanitizeRenderedMarkdown,
};

/**
 * Stored file → servable article, or that file's recorded failure. The one place a file's
 * content is turned into what feeds and pages serve: every failure on the way (an exception of
 * any kind, a stack overflow, the size, nesting, output or CPU limit) is caught here and becomes
 * a FailedArticle naming the file, the stage and the reason. It never throws.
 */
export function compileArticle(
  file: StoredFile,
  bytes: Uint8Array,
  options: CompileOptions,
  steps: CompileSteps = DEFAULT_STEPS,
): CompileResult {
  const started = cpuUsage();
  let stage: CompileStage = "size";
  try {
    checkSize(file.key, Math.max(file.size, bytes.byteLength));
    stage = "decode";
    const text = steps.decode(file.key, bytes);
    stage = "parse";
    const { article, warnings } = steps.parse(file, text);
    stage = "render";
    const html = bodyHtml(article, options.siteUrl, steps, (next) => {
      stage = next;
    });
    stage = "limit";
    const spent = cpuMs(started);
    if (spent > MAX_COMPILE_CPU_MS)
      throw new ArticleError(file.key, [
        `took ${Math.round(spent)} ms of CPU to compile (limit ${MAX_COMPILE_CPU_MS} ms)`,
      ]);
    const { body: _body, dateline: _dateline, ...meta } = article;
    // A copy: fields sliced from the source would otherwise keep the whole text alive.
    return { ok: true, meta: structuredClone(meta), html, warnings };
  } catch (error) {
    return failed(file, stage, error);
  }
}

/** A failure for `file` at `stage` from whatever was thrown (file and reasons kept). */
export function failed(file: StoredFile, stage: CompileStage, error: unknown): FailedArticle {
  const reason =
    error instanceof ArticleError
      ? error.reasons.join("; ")
      : error instanceof RangeError
        ? `cannot be rendered (${error.message})`
        : error instanceof Error
          ? `${error.name}: ${error.message}`
          : String(error);
  return {
    ok: false,
    key: file.key,
    version: file.version,
    modified: file.modified,
    stage,
    error: reason,
  };
}

function bodyHtml(
  article: Article,
  siteUrl: string,
  steps: CompileSteps,
  at: (stage: CompileStage) => void,
): string {
  if (article.format === "wire") return wireHtml(article);
  at("limit");
  const markers = markerDepth(article.body);
  if (markers > MAX_NESTING) throw nestingError(article.key, markers);
  at("render");
  const rendered = steps.render(article.body);
  at("limit");
  const depth = containerDepth(rendered);
  if (depth > MAX_NESTING) throw nestingError(article.key, depth);
  if (rendered.length > MAX_HTML_BYTES)
    throw new ArticleError(article.key, [
      `renders to more than ${MAX_HTML_BYTES / 1024 / 1024} MB of HTML (limit: 4× the article size limit)`,
    ]);
  at("sanitize");
  // No `<` in the source: no raw HTML, only md4c's own tags (sanitized in one linear pass).
  return article.body.includes("<")
    ? steps.sanitize(rendered, siteUrl)
    : steps.sanitizeMarkdown(rendered, siteUrl);
}

function nestingError(key: string, depth: number): ArticleError {
  return new ArticleError(key, [
    `quotes or lists nested ${depth} levels deep (limit ${MAX_NESTING})`,
  ]);
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = cpuUsage(since);
  return (used.user + used.system) / 1000;
}
