import type { ArticleMeta } from "../articles/article.ts";
import { compileArticle } from "../articles/compile.ts";
import { MAX_ARTICLE_BYTES } from "../articles/parse.ts";
import { absoluteUrl } from "../articles/urls.ts";
import { imageType } from "../feeds/xml-safe.ts";
import type { StoredFile } from "../storage/store.ts";
import { droppedUrls, whyDropped } from "./links.ts";
import { SourceMap } from "./source.ts";

/** One finding of the content check, at a line of a file (a store key). */
export interface Problem {
  key: string;
  line: number;
  severity: "error" | "warning";
  reason: string;
}

/** What the duplicate checks need of an article that compiled. */
export interface Claim {
  key: string;
  date: Date;
  slug: string;
  id: string;
  slugLine: number;
  idLine: number;
  draft: boolean;
}

export interface CheckedArticle {
  problems: Problem[];
  /** Set when the article compiled (it will be served, perhaps minus what `problems` says). */
  claim?: Claim;
  /** Its date, when it compiled: the caller tells future-dated articles apart. */
  date?: Date;
}

/**
 * Compiles one article as the server does (compileArticle) and reports, with lines,
 * everything that keeps it from being served as written: parse and validation errors, unknown
 * fields (ignored, so a typo silently loses a value), URLs the renderer drops, an image with no
 * type the feeds can announce, an oversize file. Server warnings come back as warnings.
 */
export function checkArticle(file: StoredFile, bytes: Uint8Array, siteUrl: string): CheckedArticle {
  const problems: Problem[] = [];
  const at = (line: number, reason: string, severity: Problem["severity"] = "error") =>
    problems.push({ key: file.key, line, severity, reason });
  if (bytes.byteLength > MAX_ARTICLE_BYTES) {
    at(1, oversize(bytes.byteLength));
    return { problems };
  }
  const map = new SourceMap(new TextDecoder("utf-8", { fatal: false }).decode(bytes));
  const lineOf = (reason: string): number => {
    const yaml = /^invalid YAML front matter: .*\((\d+):\d+\)$/.exec(reason);
    if (yaml) return map.yamlToFile(Number(yaml[1]));
    const field = /^([^\s:]+): /.exec(reason);
    return field ? map.fieldLine((field[1] as string).split(".")) : 1;
  };

  // Compiled exactly as the indexer compiles (functions/articles/compile.ts).
  const result = compileArticle(file, bytes, { siteUrl });
  const markdown = !/\.txt$/i.test(file.key);
  if (!result.ok) {
    const bodyStage = ["render", "sanitize", "limit"].includes(result.stage);
    for (const reason of result.error.split("; "))
      at(bodyStage ? map.lineAt(map.bodyOffset) : lineOf(reason), reason);
    // The body's URLs are checked anyway, so one run lists everything to fix.
    if (markdown && !bodyStage) checkBodyUrls(map, siteUrl, at);
    return { problems };
  }
  const { meta } = result;
  for (const warning of result.warnings) {
    const unknown = /^(.+): unknown field ignored$/.exec(warning);
    if (unknown) at(lineOf(warning), `${unknown[1]}: unknown field (the server ignores it)`);
    else at(lineOf(warning), warning, "warning");
  }
  if (meta.format === "markdown") checkBodyUrls(map, siteUrl, at);
  checkFrontMatterUrls(meta, siteUrl, (path, reason) => {
    // One author may be written as `author:` rather than a list.
    const line = map.fieldLine(path);
    at(line === 1 && path[0] === "authors" ? map.fieldLine(["author", "url"]) : line, reason);
  });

  return {
    problems,
    date: meta.date,
    claim: {
      key: file.key,
      date: meta.date,
      slug: meta.slug,
      id: meta.id,
      slugLine: map.fieldLine(["slug"]),
      idLine: map.fieldLine(["id"]),
      draft: meta.draft,
    },
  };
}

/** URLs of a Markdown body that the renderer drops. */
function checkBodyUrls(
  map: SourceMap,
  siteUrl: string,
  at: (line: number, reason: string) => void,
): void {
  for (const dropped of droppedUrls(map.body, siteUrl)) {
    at(map.lineAt(map.bodyOffset + dropped.offset), `URL ${dropped.reason}; it is removed`);
  }
}

/** The message for a file above MAX_ARTICLE_BYTES (also used before reading one). */
export function oversize(bytes: number): string {
  return `file is ${Math.ceil(bytes / 1024)} KB, larger than the ${MAX_ARTICLE_BYTES / 1024} KB limit`;
}

/** Front matter URLs the feeds drop: image, attachments and author links. */
function checkFrontMatterUrls(
  article: ArticleMeta,
  siteUrl: string,
  report: (path: string[], reason: string) => void,
): void {
  if (article.image) {
    const dropped = whyDropped(article.image, siteUrl, "source");
    const url = absoluteUrl(article.image, siteUrl, "source");
    if (dropped) report(["image"], `image: ${dropped}; it is removed`);
    else if (url && !imageType(url))
      report(
        ["image"],
        `image: ${JSON.stringify(article.image)} has no image type (.jpg, .png, .gif, .webp, .avif or .svg); feeds cannot announce it`,
      );
  }
  article.attachments.forEach((attachment, i) => {
    const dropped = whyDropped(attachment.url, siteUrl, "source");
    if (dropped)
      report(["attachments", String(i)], `attachments.${i}.url: ${dropped}; it is removed`);
  });
  article.authors.forEach((person, i) => {
    const dropped = person.url ? whyDropped(person.url, siteUrl, "link") : undefined;
    if (dropped) report(["authors", String(i), "url"], `author url: ${dropped}; it is removed`);
  });
}
