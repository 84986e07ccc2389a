/** Articles above this size are refused, from the listed size before any read (a long feature is ~50 KB). */
export const MAX_ARTICLE_BYTES = 1024 * 1024;
