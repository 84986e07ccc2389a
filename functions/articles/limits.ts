/**
 * Articles above this size are refused, from the listed size before any read. A long feature
 * is ~50 KB; at 256 KB every adversarial input compiles within ~200 ms of CPU here
 * (bench/compile.ts), where 1 MB of tag-dense Markdown took up to ~1 s to sanitize.
 */
export const MAX_ARTICLE_BYTES = 256 * 1024;
