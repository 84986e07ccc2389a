/**
 * The article manifest: every article's parsed metadata in one gzipped object, kept current by
 * the indexer function, so a cold feed function reads one object instead of listing and reading
 * the whole bucket. Lossless: an entry decodes to exactly the ArticleMeta that parsing the file
 * gives, so feeds are byte-identical whichever way the catalog was filled.
 *
 * Format: gzipped JSON lines. A header line (format, version, column names, entry count), then
 * one line per entry: an array for an article, an object for a file that does not parse. Lines
 * let a reader decode as the bytes inflate, never holding the whole document as one string (at
 * 100,000 articles that string alone would be ~120 MB); non-ASCII is escaped so that no line
 * needs two bytes per character.
 */
import { once } from "node:events";
import { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { createGunzip, createGzip } from "node:zlib";
import type { ArticleMeta, Attachment, Person } from "../articles/article.ts";
import { DatelineError } from "../errors.ts";
import type { IndexedArticle } from "./store.ts";

/** Identifies the document; a reader refuses any other format or a newer version. */
const FORMAT = "dateline-manifest";
const VERSION = 1;
/** Far above a real manifest (100,000 articles inflate to ~65 MB); stops a gzip bomb. */
const MAX_INFLATED_BYTES = 512 * 1024 * 1024;

/** The manifest's key: `index/manifest.json.gz` next to the article prefix (`articles/`). */
export function manifestKeyFor(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, "").replace(/\/+$/, "");
  const parent = trimmed.includes("/") ? trimmed.slice(0, trimmed.lastIndexOf("/") + 1) : "";
  return `${parent}index/manifest.json.gz`;
}

/** A manifest that cannot be used (corrupt, truncated, another format). */
export class ManifestError extends DatelineError {
  override name = "ManifestError";
}

// Rows are arrays (column order below) rather than objects: at 100,000 articles that halves the
// JSON to parse at a cold start. Optional trailing columns are null or left off.
type PersonRow = string | [name: string, email: string | null, url: string | null];
type AttachmentRow = [
  url: string,
  type: string,
  size: number | null,
  title: string | null,
  durationSeconds: number | null,
];
type ArticleRow = [
  key: string,
  version: string,
  modified: number,
  slug: string,
  id: string,
  title: string,
  date: number,
  updated: number,
  authors: PersonRow[],
  tags: string[],
  summary: string,
  flags: number,
  lang?: string | null,
  image?: string | null,
  attachments?: AttachmentRow[] | null,
  hash?: string | null,
  revised?: number | null,
];
interface BrokenRow {
  key: string;
  version: string;
  modified: number;
  error: string;
}

const COLUMNS = [
  "key",
  "version",
  "modified",
  "slug",
  "id",
  "title",
  "date",
  "updated",
  "authors",
  "tags",
  "summary",
  "flags",
  "lang",
  "image",
  "attachments",
  "hash",
  "revised",
];
const DRAFT = 1;
const WIRE = 2;

interface ManifestHeader {
  format: typeof FORMAT;
  version: typeof VERSION;
  columns: string[];
  /** Entry lines that follow: a truncated manifest is refused, never read as a smaller one. */
  count: number;
}

/**
 * Serializes entries (sorted by key, so equal content gives equal bytes) as gzipped JSON lines,
 * compressing as it goes: the whole text (~65 MB at 100,000 articles) never exists at once.
 */
export async function encodeManifest(entries: Iterable<IndexedArticle>): Promise<Buffer> {
  const sorted = [...entries].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const header: ManifestHeader = {
    format: FORMAT,
    version: VERSION,
    columns: COLUMNS,
    count: sorted.length,
  };
  // Level 6: a third of level 9's time for a few percent more bytes, on every indexer write.
  const gzip = createGzip({ level: 6 });
  const chunks: Buffer[] = [];
  gzip.on("data", (chunk: Buffer) => chunks.push(chunk));
  const ended = once(gzip, "end");
  let batch = `${JSON.stringify(header)}\n`;
  for (const entry of sorted) {
    const row: ArticleRow | BrokenRow =
      "meta" in entry
        ? articleRow(entry.meta)
        : {
            key: entry.key,
            version: entry.version,
            modified: entry.modified.getTime(),
            error: entry.error,
          };
    batch += `${JSON.stringify(row).replace(/[\u007f-\uffff]/g, escapeChar)}\n`;
    if (batch.length >= 1 << 20) {
      if (!gzip.write(batch)) await once(gzip, "drain");
      batch = "";
    }
  }
  gzip.end(batch);
  await ended;
  return Buffer.concat(chunks);
}

function escapeChar(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/**
 * Reads a manifest written by encodeManifest, decoding line by line as it inflates; throws
 * ManifestError for anything else (another format, a truncated or corrupt one).
 */
export async function decodeManifest(bytes: Uint8Array): Promise<IndexedArticle[]> {
  const out: IndexedArticle[] = [];
  let header: ManifestHeader | undefined;
  let lineNumber = 0;
  const onLine = (line: string) => {
    lineNumber++;
    if (line === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new ManifestError(`manifest line ${lineNumber} is not JSON`);
    }
    if (!header) {
      const h = value as ManifestHeader;
      if (h?.format !== FORMAT || h.version !== VERSION || typeof h.count !== "number") {
        throw new ManifestError(`not a ${FORMAT} version ${VERSION} document`);
      }
      header = h;
    } else if (Array.isArray(value)) {
      const meta = fromRow(value, lineNumber);
      out.push({ key: meta.key, version: meta.version, meta });
    } else {
      out.push(fromBrokenRow(value, lineNumber));
    }
  };

  const decoder = new StringDecoder("utf8");
  let pending = "";
  let inflated = 0;
  try {
    for await (const chunk of Readable.from([bytes]).pipe(
      createGunzip(),
    ) as AsyncIterable<Buffer>) {
      inflated += chunk.byteLength;
      if (inflated > MAX_INFLATED_BYTES) throw new ManifestError("manifest inflates beyond 512 MB");
      const lines = (pending + decoder.write(chunk)).split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) onLine(line);
    }
    onLine(pending + decoder.end());
  } catch (error) {
    if (error instanceof ManifestError) throw error;
    throw new ManifestError(`manifest is not gzipped JSON lines: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!header) throw new ManifestError("manifest is empty");
  if (out.length !== header.count) {
    throw new ManifestError(
      `manifest holds ${out.length} entries, its header says ${header.count}`,
    );
  }
  return out;
}

function fromBrokenRow(value: unknown, line: number): IndexedArticle {
  const row = value as Partial<BrokenRow> | null;
  if (
    typeof row?.key !== "string" ||
    typeof row.version !== "string" ||
    typeof row.modified !== "number" ||
    typeof row.error !== "string"
  ) {
    throw new ManifestError(`manifest line ${line} is malformed`);
  }
  return { key: row.key, version: row.version, modified: new Date(row.modified), error: row.error };
}

function articleRow(m: ArticleMeta): ArticleRow {
  const row: ArticleRow = [
    m.key,
    m.version,
    m.modified.getTime(),
    m.slug,
    m.id,
    m.title,
    m.date.getTime(),
    m.updated.getTime(),
    m.authors.map(personRow),
    m.tags,
    m.summary,
    (m.draft ? DRAFT : 0) | (m.format === "wire" ? WIRE : 0),
    m.lang ?? null,
    m.image ?? null,
    m.attachments.length > 0 ? m.attachments.map(attachmentRow) : null,
    m.hash ?? null,
    m.revised?.getTime() ?? null,
  ];
  while (row.length > 12 && row[row.length - 1] === null) row.pop();
  return row;
}

function personRow(p: Person): PersonRow {
  return p.email || p.url ? [p.name, p.email ?? null, p.url ?? null] : p.name;
}

function attachmentRow(a: Attachment): AttachmentRow {
  return [a.url, a.type, a.size ?? null, a.title ?? null, a.durationSeconds ?? null];
}

const isString = (v: unknown): v is string => typeof v === "string";
const isTime = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** One row back to ArticleMeta, checking every column's type: a bad row fails the manifest. */
function fromRow(row: unknown, line: number): ArticleMeta {
  const fail = (what: string): never => {
    throw new ManifestError(`manifest line ${line}: ${what}`);
  };
  if (!Array.isArray(row) || row.length < 12) return fail("not a row");
  const [key, version, modified, slug, id, title, date, updated, authors, tags, summary, flags] =
    row;
  const [lang, image, attachments] = [row[12] ?? null, row[13] ?? null, row[14] ?? null];
  const [hash, revised] = [row[15] ?? null, row[16] ?? null];
  if (![key, version, slug, id, title, summary].every(isString)) return fail("text column");
  if (![modified, date, updated].every(isTime)) return fail("date column");
  if (!Array.isArray(tags) || !tags.every(isString)) return fail("tags");
  if (!Array.isArray(authors)) return fail("authors");
  if (typeof flags !== "number") return fail("flags");
  if (lang !== null && !isString(lang)) return fail("lang");
  if (image !== null && !isString(image)) return fail("image");
  if (attachments !== null && !Array.isArray(attachments)) return fail("attachments");
  if (hash !== null && !isString(hash)) return fail("hash");
  if (revised !== null && !isTime(revised)) return fail("revised");
  const meta: ArticleMeta = {
    key,
    version,
    modified: new Date(modified),
    id,
    slug,
    title,
    date: new Date(date),
    updated: new Date(updated),
    authors: authors.map((p: unknown) => toPerson(p) ?? fail("author")),
    tags,
    summary,
    attachments: ((attachments ?? []) as unknown[]).map(
      (a) => toAttachment(a) ?? fail("attachment"),
    ),
    draft: (flags & DRAFT) !== 0,
    format: (flags & WIRE) !== 0 ? "wire" : "markdown",
  };
  // Same key order as parseArticle's output, so both serialize alike.
  if (image !== null) meta.image = image;
  if (lang !== null) meta.lang = lang;
  if (hash !== null) meta.hash = hash;
  if (revised !== null) meta.revised = new Date(revised);
  return meta;
}

function toPerson(value: unknown): Person | undefined {
  if (isString(value)) return { name: value };
  if (!Array.isArray(value) || !isString(value[0])) return undefined;
  const [name, email, url] = value;
  if ((email !== null && !isString(email)) || (url !== null && !isString(url))) return undefined;
  return { name, ...(email ? { email } : {}), ...(url ? { url } : {}) };
}

function toAttachment(value: unknown): Attachment | undefined {
  if (!Array.isArray(value) || !isString(value[0]) || !isString(value[1])) return undefined;
  const [url, type, size, title, duration] = value;
  if (size !== null && typeof size !== "number") return undefined;
  if (title !== null && !isString(title)) return undefined;
  if (duration !== null && typeof duration !== "number") return undefined;
  return {
    url,
    type,
    ...(size !== null ? { size } : {}),
    ...(title ? { title } : {}),
    ...(duration !== null ? { durationSeconds: duration } : {}),
  };
}
