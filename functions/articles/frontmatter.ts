import { CORE_SCHEMA, load } from "js-yaml";

/** Front matter above this size is refused: real metadata is a few hundred bytes. */
export const MAX_FRONT_MATTER_BYTES = 64 * 1024;
/** Alias references allowed in one front matter block (a "billion laughs" document needs many). */
export const MAX_ALIASES = 50;

export interface SplitSource {
  /** The YAML text between the fences, or undefined when the file has none. */
  yaml?: string;
  body: string;
}

/** Splits `---\nyaml\n---\nbody`. Text without an opening fence is all body. */
export function splitFrontMatter(text: string): SplitSource | { error: string } {
  const source = text.replace(/^\s*\n/, "");
  if (!/^---[ \t]*\n/.test(source)) return { body: text };
  const open = source.indexOf("\n") + 1;
  const close = /^(?:---|\.\.\.)[ \t]*$/m;
  const rest = source.slice(open);
  const match = close.exec(rest);
  if (!match) return { error: "front matter starts with --- but has no closing ---" };
  const yaml = rest.slice(0, match.index);
  const body = rest.slice(match.index + match[0].length).replace(/^\n/, "");
  return { yaml, body };
}

/**
 * Parses front matter YAML safely: YAML 1.2 core schema (no custom tags, nothing executable,
 * dates stay strings so their offsets survive), duplicate keys refused, size and alias count
 * bounded. js-yaml shares aliased nodes rather than copying them, so memory stays linear.
 */
export function parseYaml(yaml: string): { data: unknown } | { error: string } {
  if (Buffer.byteLength(yaml) > MAX_FRONT_MATTER_BYTES) {
    return { error: `front matter is larger than ${MAX_FRONT_MATTER_BYTES / 1024} KB` };
  }
  const aliases = yaml.match(/(?:^|[\s[{,:-])\*[^\s,[\]{}]+/g)?.length ?? 0;
  if (aliases > MAX_ALIASES) {
    return { error: `front matter uses more than ${MAX_ALIASES} YAML aliases` };
  }
  try {
    return { data: load(yaml, { schema: CORE_SCHEMA }) };
  } catch (error) {
    return { error: `invalid YAML front matter: ${(error as Error).message.split("\n")[0]}` };
  }
}
