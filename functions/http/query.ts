import { BadRequestError } from "../errors.ts";
import { type Cursor, parseCursor } from "../feeds/cursor.ts";
import { OPML_FORMATS, type OpmlFormat } from "../feeds/opml.ts";

export const MAX_LIMIT = 100;

/** Reads `?limit=` (1–100, default from config). Anything else is a 400 with the reason. */
export function parseLimit(values: string[] | undefined, fallback: number): number {
  if (!values || values.length === 0) return fallback;
  if (values.length > 1) throw new BadRequestError("limit must be given once");
  const value = values[0] ?? "";
  if (!/^\d{1,3}$/.test(value) || Number(value) < 1 || Number(value) > MAX_LIMIT) {
    throw new BadRequestError(`limit must be a whole number from 1 to ${MAX_LIMIT}`);
  }
  return Number(value);
}

/** Reads `?before=` (the paging cursor written in `next` links). */
export function parseBefore(values: string[] | undefined): Cursor | undefined {
  if (!values || values.length === 0) return undefined;
  const cursor = values.length === 1 && values[0] ? parseCursor(values[0]) : undefined;
  if (!cursor)
    throw new BadRequestError("before must be a page cursor taken from a feed's next link");
  return cursor;
}

/** Reads `/opml.xml?format=` (rss, the default, atom or json). */
export function parseOpmlFormat(values: string[] | undefined): OpmlFormat {
  if (!values || values.length === 0) return "rss";
  const value = values.length === 1 ? values[0] : undefined;
  if (value && Object.hasOwn(OPML_FORMATS, value)) return value as OpmlFormat;
  throw new BadRequestError(
    `format must be given once, one of: ${Object.keys(OPML_FORMATS).join(", ")}`,
  );
}
