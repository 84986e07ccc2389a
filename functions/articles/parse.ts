import { ArticleError } from "../errors.ts";
import type { StoredFile } from "../storage/store.ts";
import type { Article, Attachment, Person } from "./article.ts";
import { parseArticleDate } from "./dates.ts";
import { parseYaml, splitFrontMatter } from "./frontmatter.ts";
import { articleId, keyHash } from "./ids.ts";
import { MAX_ARTICLE_BYTES } from "./limits.ts";
import { markdownToHtml } from "./markdown.ts";
import { type FrontMatter, validateFrontMatter } from "./schema.ts";
import { decodeArticle, slugify, squash, stripXmlIllegal, truncateWords } from "./text.ts";
import { creditSource, deriveHeadline, looksLikeWire, parseWire } from "./wire.ts";

export { MAX_ARTICLE_BYTES };

const SUMMARY_MAX = 280;
/**
 * Text looked at to derive a title or summary: far more than they keep, and a bound on the work,
 * since sentence splitting and inline Markdown take quadratic time on some huge paragraphs.
 */
const DERIVE_SOURCE_MAX = 4_000;

export interface ParseResult {
  article: Article;
  warnings: string[];
}

/**
 * Parses one stored file (Markdown with front matter, or the plain-text wire format) into an
 * Article. Throws ArticleError naming the file and every reason it cannot be served.
 */
export function parseArticle(file: StoredFile, bytes: Uint8Array): ParseResult {
  checkSize(file.key, bytes.byteLength);
  return parseArticleText(file, decodeArticle(file.key, bytes));
}

/** Refuses a file above MAX_ARTICLE_BYTES (callers check the listed size before reading too). */
export function checkSize(key: string, bytes: number): void {
  if (bytes > MAX_ARTICLE_BYTES) {
    throw new ArticleError(key, [`file is larger than ${MAX_ARTICLE_BYTES / 1024} KB`]);
  }
}

/** parseArticle after decoding: `text` is the file's decoded text. */
export function parseArticleText(file: StoredFile, text: string): ParseResult {
  if (text.trim() === "") throw new ArticleError(file.key, ["file is empty"]);

  const split = splitFrontMatter(text);
  if ("error" in split) throw new ArticleError(file.key, [split.error]);
  let data: unknown = {};
  if (split.yaml !== undefined) {
    const parsed = parseYaml(split.yaml);
    if ("error" in parsed) throw new ArticleError(file.key, [parsed.error]);
    data = cleanStrings(parsed.data, new Map());
  }
  const checked = validateFrontMatter(data);
  if (!checked.ok) throw new ArticleError(file.key, checked.problems);
  const fm = checked.value;
  const warnings = [...checked.warnings];

  const isWire =
    /\.txt$/i.test(file.key) || (split.yaml === undefined && looksLikeWire(split.body));
  const derived = isWire ? fromWire(file.key, split.body, fm) : fromMarkdown(split.body);
  if (derived.body.trim() === "" && !fm.title) {
    throw new ArticleError(file.key, ["the article has no text"]);
  }

  const problems: string[] = [];
  const dateText = fm.date ?? derived.date;
  const date = dateText === undefined ? undefined : parseArticleDate(dateText);
  if (!date) {
    problems.push(
      dateText === undefined
        ? "date: missing (add `date: YYYY-MM-DD` to the front matter)"
        : `date: "${dateText}" is not a real date`,
    );
  } else if (date.assumedUtc) {
    warnings.push("date: no UTC offset given, read as UTC");
  }
  const title = fm.title ?? derived.title;
  if (!title) problems.push("title: missing and no text to derive one from");
  if (!date || !title || problems.length > 0) throw new ArticleError(file.key, problems);

  let updated = fm.updated ? (parseArticleDate(fm.updated)?.date ?? date.date) : date.date;
  if (updated < date.date) {
    warnings.push("updated: earlier than date, using date");
    updated = date.date;
  }

  const slug = slugify(fm.slug ?? baseName(file.key)) || `article-${keyHash(file.key)}`;
  const authors: Person[] = fm.authors ?? (fm.author ? [fm.author] : derived.authors);
  const article: Article = {
    key: file.key,
    version: file.version,
    modified: file.modified,
    id: fm.id ?? articleId(slug),
    slug,
    title: squash(title),
    date: date.date,
    updated,
    authors: authors.map(cleanPerson),
    tags: uniqueTags(fm.tags ?? []),
    summary: fm.summary ? squash(fm.summary) : derived.summary,
    attachments: (fm.attachments ?? []).map(toAttachment),
    draft: fm.draft ?? false,
    format: isWire ? "wire" : "markdown",
    body: derived.body,
    ...(fm.image ? { image: fm.image } : {}),
    ...(fm.lang ? { lang: fm.lang } : {}),
    ...(derived.dateline ? { dateline: derived.dateline } : {}),
  };
  return { article, warnings };
}

interface Derived {
  date?: string;
  title?: string;
  summary: string;
  authors: Person[];
  body: string;
  dateline?: string;
}

function fromWire(key: string, body: string, fm: FrontMatter): Derived {
  const wire = parseWire(body);
  if ("error" in wire) {
    // A .txt with full front matter may hold plain paragraphs without the wire marker.
    if (fm.date && fm.title && body.trim() !== "") {
      const paragraphs = body
        .split(/\n[ \t]*\n/)
        .map(squash)
        .filter(Boolean);
      return {
        summary: summarize(paragraphs[0] ?? ""),
        authors: [],
        body: paragraphs.join("\n\n"),
      };
    }
    throw new ArticleError(key, [wire.error]);
  }
  const first = wire.paragraphs[0] ?? "";
  return {
    date: wire.date,
    title: deriveHeadline(first.slice(0, DERIVE_SOURCE_MAX)),
    summary: summarize(first),
    authors: wire.source ? [{ name: creditSource(wire.source) }] : [],
    body: wire.paragraphs.join("\n\n"),
    ...(wire.place && wire.source ? { dateline: `${wire.place} (${wire.source})` } : {}),
  };
}

function fromMarkdown(body: string): Derived {
  // A leading `# Heading` is the title when front matter has none; it is not repeated in the body.
  // The closing `#`s are trimmed outside the regex: `(.+?)[ \t#]*\n` backtracks quadratically.
  const heading = /^\s*#[ \t]+([^\n]*)\n/.exec(body);
  const headingText = heading ? trimEnd(heading[1] ?? "", " \t#") : "";
  const rest = heading ? body.slice(heading[0].length) : body;
  const paragraph =
    rest.split(/\n[ \t]*\n/).find((p) => /\p{L}|\p{N}/u.test(p) && !/^\s*(#|```|<)/.test(p)) ?? "";
  const firstParagraph = plainText(paragraph.slice(0, DERIVE_SOURCE_MAX));
  return {
    ...(headingText
      ? { title: plainText(headingText.slice(0, DERIVE_SOURCE_MAX)) }
      : firstParagraph
        ? { title: deriveHeadline(firstParagraph) }
        : {}),
    summary: summarize(firstParagraph),
    authors: [],
    body: heading ? rest : body,
  };
}

/** `text` without any of `chars` at its end (a loop: no regex backtracking). */
function trimEnd(text: string, chars: string): string {
  let end = text.length;
  while (end > 0 && chars.includes(text.charAt(end - 1))) end--;
  return text.slice(0, end);
}

const WORD_JOINER = "\u2060";

/** Markdown inline source → plain text (tags dropped, entities decoded). */
function plainText(markdown: string): string {
  // Rendered as one line behind a word joiner, so it stays one inline paragraph: `2024. A year`
  // or `- note` must not become a list (md4c has no inline-only mode).
  const html = markdownToHtml(`${WORD_JOINER}${squash(markdown)}`);
  return squash(
    html
      .replaceAll(WORD_JOINER, "")
      .replace(/<[^>]*>/g, "")
      .replace(/&(#x?[0-9a-f]+|amp|lt|gt|quot|#39|apos|nbsp);/gi, (_, entity: string) => {
        const named: Record<string, string> = {
          amp: "&",
          lt: "<",
          gt: ">",
          quot: '"',
          apos: "'",
          nbsp: " ",
        };
        if (entity[0] !== "#") return named[entity.toLowerCase()] ?? "";
        const code =
          entity[1] === "x" || entity[1] === "X"
            ? Number.parseInt(entity.slice(2), 16)
            : Number(entity.slice(1));
        return code > 0 && code < 0x110000 ? String.fromCodePoint(code) : "";
      }),
  );
}

/**
 * YAML escapes (`"\u0000"`, `"\uD800"`) can produce characters the raw-text pass removed; strip
 * them from every decoded string too. Shared (aliased) nodes are cleaned once, so the walk stays
 * linear in the document even when aliases make the value graph exponential.
 */
function cleanStrings(value: unknown, seen: Map<object, unknown>): unknown {
  if (typeof value === "string") return stripXmlIllegal(value);
  if (value === null || typeof value !== "object" || value instanceof Date) return value;
  const done = seen.get(value);
  if (done !== undefined) return done;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const item of value) out.push(cleanStrings(item, seen));
    return out;
  }
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const [key, item] of Object.entries(value))
    out[stripXmlIllegal(key)] = cleanStrings(item, seen);
  return out;
}

function summarize(paragraph: string): string {
  return truncateWords(paragraph, SUMMARY_MAX);
}

function baseName(key: string): string {
  const name = key.split("/").pop() ?? key;
  return name.replace(/\.[^.]+$/, "");
}

function cleanPerson(person: Person): Person {
  return {
    name: squash(person.name),
    ...(person.email ? { email: person.email } : {}),
    ...(person.url ? { url: person.url } : {}),
  };
}

function uniqueTags(tags: string[]): string[] {
  const seen = new Set<string>();
  return tags.map(squash).filter((tag) => {
    const slug = slugify(tag);
    if (seen.has(slug)) return false;
    seen.add(slug);
    return true;
  });
}

function toAttachment(a: NonNullable<FrontMatter["attachments"]>[number]): Attachment {
  return {
    url: a.url,
    type: a.type.toLowerCase(),
    ...(a.size !== undefined ? { size: a.size } : {}),
    ...(a.title ? { title: a.title } : {}),
    ...(a.duration !== undefined ? { durationSeconds: a.duration } : {}),
  };
}
