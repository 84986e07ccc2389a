/**
 * The article manifest: every article's parsed metadata in one gzipped JSON object, kept current
 * by the indexer function, so a cold feed function reads one object instead of listing and
 * reading the whole bucket. Lossless: an entry decodes to exactly the ArticleMeta that parsing
 * the file gives, so feeds are byte-identical whichever way the catalog was filled.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import type { ArticleMeta, Attachment, Person } from "../articles/article.ts";
import { DatelineError } from "../errors.ts";
import type { IndexedArticle } from "./store.ts";

/** Identifies the document; a reader refuses any other format or a newer version. */
const FORMAT = "dateline-manifest";
const VERSION = 1;
/** Far above a real manifest (100,000 articles gunzip to ~60 MB); stops a gzip bomb. */
const MAX_JSON_BYTES = 512 * 1024 * 1024;

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
];
type BrokenRow = [key: string, version: string, modified: number, reason: string];

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
];
const DRAFT = 1;
const WIRE = 2;

interface ManifestDocument {
  format: typeof FORMAT;
  version: typeof VERSION;
  columns: string[];
  articles: ArticleRow[];
  broken: BrokenRow[];
}

/** Serializes entries (sorted by key, so equal content gives equal bytes) as gzipped JSON. */
export function encodeManifest(entries: Iterable<IndexedArticle>): Buffer {
  const sorted = [...entries].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const doc: ManifestDocument = {
    format: FORMAT,
    version: VERSION,
    columns: COLUMNS,
    articles: [],
    broken: [],
  };
  for (const entry of sorted) {
    if ("meta" in entry) doc.articles.push(articleRow(entry.meta));
    else doc.broken.push([entry.key, entry.version, entry.modified.getTime(), entry.error]);
  }
  // Level 6: a third of level 9's time for a few percent more bytes, on every indexer write.
  return gzipSync(JSON.stringify(doc), { level: 6 });
}

/** Reads a manifest written by encodeManifest; throws ManifestError for anything else. */
export function decodeManifest(bytes: Uint8Array): IndexedArticle[] {
  let doc: ManifestDocument;
  try {
    const json = gunzipSync(bytes, { maxOutputLength: MAX_JSON_BYTES });
    doc = JSON.parse(json.toString("utf8")) as ManifestDocument;
  } catch (error) {
    throw new ManifestError(`manifest is not gzipped JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (doc?.format !== FORMAT || doc.version !== VERSION) {
    throw new ManifestError(`not a ${FORMAT} version ${VERSION} document`);
  }
  if (!Array.isArray(doc.articles) || !Array.isArray(doc.broken)) {
    throw new ManifestError("manifest has no articles list");
  }
  const out: IndexedArticle[] = [];
  doc.articles.forEach((row, i) => {
    const meta = fromRow(row, i);
    out.push({ key: meta.key, version: meta.version, meta });
  });
  doc.broken.forEach((row, i) => {
    if (
      !Array.isArray(row) ||
      typeof row[0] !== "string" ||
      typeof row[1] !== "string" ||
      typeof row[2] !== "number" ||
      typeof row[3] !== "string"
    ) {
      throw new ManifestError(`manifest broken[${i}] is malformed`);
    }
    out.push({ key: row[0], version: row[1], modified: new Date(row[2]), error: row[3] });
  });
  return out;
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
function fromRow(row: unknown, index: number): ArticleMeta {
  const fail = (what: string): never => {
    throw new ManifestError(`manifest articles[${index}]: ${what}`);
  };
  if (!Array.isArray(row) || row.length < 12) return fail("not a row");
  const [key, version, modified, slug, id, title, date, updated, authors, tags, summary, flags] =
    row;
  const [lang, image, attachments] = [row[12] ?? null, row[13] ?? null, row[14] ?? null];
  if (![key, version, slug, id, title, summary].every(isString)) return fail("text column");
  if (![modified, date, updated].every(isTime)) return fail("date column");
  if (!Array.isArray(tags) || !tags.every(isString)) return fail("tags");
  if (!Array.isArray(authors)) return fail("authors");
  if (typeof flags !== "number") return fail("flags");
  if (lang !== null && !isString(lang)) return fail("lang");
  if (image !== null && !isString(image)) return fail("image");
  if (attachments !== null && !Array.isArray(attachments)) return fail("attachments");
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
