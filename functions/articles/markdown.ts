import { init, mdToHtml, ParseFlags } from "md4w";

// md4c compiled to WebAssembly (the 60 KB size-optimised build). The module loads it from beside
// itself: node_modules/md4w/js locally, the bundle's folder on Lambda (infra copies it there).
await init("small");

/** CommonMark plus the GFM extensions authors use: tables, ~~strikethrough~~, task lists, URLs. */
const PARSE_FLAGS =
  ParseFlags.TABLES |
  ParseFlags.STRIKETHROUGH |
  ParseFlags.TASKLISTS |
  ParseFlags.PERMISSIVE_URL_AUTO_LINKS;

/**
 * Markdown → HTML (raw HTML passed through: sanitize it after). md4c works in time linear in
 * the input on every family of pathological input we know (bench/markdown-engines.ts), without
 * recursion on the JavaScript stack.
 */
export function markdownToHtml(markdown: string): string {
  return mdToHtml(markdown, { parseFlags: PARSE_FLAGS });
}

/** Deepest nesting of Markdown containers (quotes, lists) an article may have. */
export const MAX_NESTING = 64;

/**
 * The deepest run of container markers (`>`, `-`, `*`, `+`, `1.`) opening any line that has text
 * after them: an upper bound on what those lines nest, found in one pass before rendering (the
 * HTML for a million `>` is 27 MB). Marker-only lines (`* * *`, a thematic break) are skipped.
 */
export function markerDepth(markdown: string): number {
  let max = 0;
  let i = 0;
  const n = markdown.length;
  while (i < n) {
    let depth = 0;
    for (;;) {
      while (i < n && (markdown[i] === " " || markdown[i] === "\t")) i++;
      const c = markdown[i];
      if (c === ">") {
        depth++;
        i++;
        continue;
      }
      const next = markdown[i + 1];
      const spaced = next === " " || next === "\t";
      if ((c === "-" || c === "*" || c === "+") && spaced) {
        depth++;
        i += 2;
        continue;
      }
      let j = i;
      while (j < n && j - i < 9 && markdown.charCodeAt(j) >= 48 && markdown.charCodeAt(j) <= 57)
        j++;
      const after = markdown[j + 1];
      if (
        j > i &&
        (markdown[j] === "." || markdown[j] === ")") &&
        (after === " " || after === "\t")
      ) {
        depth++;
        i = j + 2;
        continue;
      }
      break;
    }
    const end = markdown.indexOf("\n", i);
    const lineEnd = end === -1 ? n : end;
    if (depth > max && markdown.slice(i, lineEnd).trim() !== "") max = depth;
    i = lineEnd + 1;
  }
  return max;
}

const CONTAINER = /<(\/?)(blockquote|ul|ol|li)\b/g;

/**
 * How deeply the containers in rendered HTML nest (one linear scan). Readers' HTML engines
 * recurse per level, and the output of 2,000 nested `>` is tens of MB.
 */
export function containerDepth(html: string): number {
  let depth = 0;
  let max = 0;
  for (const match of html.matchAll(CONTAINER)) {
    depth += match[1] ? -1 : 1;
    if (depth > max) max = depth;
  }
  return max;
}
