import { splitFrontMatter } from "../articles/frontmatter.ts";

/**
 * Where things are in an article's source text, for `file:line` messages: the first line of the
 * front matter YAML, each top-level key's line, and the body's first line.
 */
export class SourceMap {
  readonly #text: string;
  /** 1-based line of the first YAML line (the one after the opening `---`); 0 without front matter. */
  readonly yamlLine: number;
  readonly #yamlLines: string[];
  /** Offset of the body in the text. */
  readonly bodyOffset: number;
  #lineStarts: number[] | undefined;

  constructor(text: string) {
    this.#text = text;
    const split = splitFrontMatter(text);
    if ("error" in split || split.yaml === undefined) {
      this.yamlLine = 0;
      this.#yamlLines = [];
      this.bodyOffset = "error" in split ? 0 : text.length - split.body.length;
      return;
    }
    // splitFrontMatter drops leading blank lines, then the `---` line; the body is a suffix.
    const source = text.replace(/^\s*\n/, "");
    const yamlOffset = text.length - source.length + source.indexOf("\n") + 1;
    this.yamlLine = this.lineAt(yamlOffset);
    this.#yamlLines = split.yaml.split("\n");
    this.bodyOffset = text.length - split.body.length;
  }

  /** The text after the front matter (all of it without one). */
  get body(): string {
    return this.#text.slice(this.bodyOffset);
  }

  /** 1-based line of a character offset. */
  lineAt(offset: number): number {
    if (!this.#lineStarts) {
      const starts = [0];
      for (let i = this.#text.indexOf("\n"); i !== -1; i = this.#text.indexOf("\n", i + 1))
        starts.push(i + 1);
      this.#lineStarts = starts;
    }
    const starts = this.#lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  /** Line of a front matter line given 1-based within the YAML (js-yaml's error marks). */
  yamlToFile(yamlLine: number): number {
    return this.yamlLine ? this.yamlLine + yamlLine - 1 : 1;
  }

  /**
   * Line of a front-matter field path such as `date`, `authors.1.email` or `attachments.0`:
   * the top-level key, narrowed to the list item and nested key when they can be found. 1 when
   * the key is not in the front matter (e.g. a missing date).
   */
  fieldLine(path: string[]): number {
    const [top, ...rest] = path;
    const lines = this.#yamlLines;
    const start = lines.findIndex((line) => keyOf(line) === top);
    if (start === -1) return 1;
    let end = start + 1;
    while (end < lines.length && !/^\S/.test(lines[end] as string)) end++;
    // Narrow [line, to) segment by segment; `line` is the best line found so far.
    let line = start;
    let to = end;
    for (const segment of rest) {
      if (/^\d+$/.test(segment)) {
        const items: number[] = [];
        let indent = Number.POSITIVE_INFINITY;
        for (let i = line + 1; i < to; i++) {
          const m = /^(\s*)-(\s|$)/.exec(lines[i] as string);
          if (!m) continue;
          const width = (m[1] as string).length;
          if (width < indent) {
            indent = width;
            items.length = 0;
          }
          if (width === indent) items.push(i);
        }
        const item = items[Number(segment)];
        if (item === undefined) break;
        to = items[Number(segment) + 1] ?? to;
        line = item;
      } else {
        const key = new RegExp(`^[\\s-]*${escapeRegExp(segment)}\\s*:`);
        let found = -1;
        for (let i = line; i < to; i++) {
          if (key.test(lines[i] as string)) {
            found = i;
            break;
          }
        }
        if (found === -1) break;
        line = found;
      }
    }
    return this.yamlToFile(line + 1);
  }
}

function keyOf(line: string): string | undefined {
  const m = /^(?:"([^"]+)"|'([^']+)'|([^\s#:'"-][^:]*?))\s*:(\s|$)/.exec(line);
  return m ? (m[1] ?? m[2] ?? m[3]) : undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
