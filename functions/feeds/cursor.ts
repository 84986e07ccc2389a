import type { ArticleMeta } from "../articles/article.ts";

/**
 * Where a page of a feed starts: after the article with this date and slug (exclusive). Written
 * `<seconds>-<slug>` in `?before=`, the one place that format is known.
 */
export interface Cursor {
  seconds: number;
  slug: string;
}

/** `1712345678-some-slug` → Cursor; undefined when malformed. */
export function parseCursor(value: string): Cursor | undefined {
  // Any letter: slugs keep modifier letters such as the katakana long-vowel mark (コーヒー).
  const m = /^(\d{1,12})-([\p{L}\p{N}-]{1,120})$/u.exec(value);
  return m?.[1] && m[2] ? { seconds: Number(m[1]), slug: m[2] } : undefined;
}

/** A cursor as `?before=` carries it. */
export function formatCursor(cursor: Cursor): string {
  return `${cursor.seconds}-${cursor.slug}`;
}

/** The cursor that continues after `meta`. */
export function cursorAfter(meta: ArticleMeta): string {
  return formatCursor({ seconds: Math.floor(meta.date.getTime() / 1000), slug: meta.slug });
}
