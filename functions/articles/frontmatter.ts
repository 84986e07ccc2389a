import { parseDocument } from "yaml";

/** Front matter above this size is refused: real metadata is a few hundred bytes. */
export const MAX_FRONT_MATTER_BYTES = 64 * 1024;

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
 * Parses front matter YAML safely: YAML 1.2 core schema (no custom tags, no code, dates stay
 * strings), duplicate keys refused, alias expansion bounded against "billion laughs" documents.
 */
export function parseYaml(yaml: string): { data: unknown } | { error: string } {
  if (Buffer.byteLength(yaml) > MAX_FRONT_MATTER_BYTES) {
    return { error: `front matter is larger than ${MAX_FRONT_MATTER_BYTES / 1024} KB` };
  }
  const doc = parseDocument(yaml, {
    version: "1.2",
    schema: "core",
    uniqueKeys: true,
    prettyErrors: true,
    customTags: [],
  });
  const first = doc.errors[0];
  if (first) return { error: `invalid YAML front matter: ${first.message.split("\n")[0]}` };
  try {
    return { data: doc.toJS({ maxAliasCount: 50 }) };
  } catch (error) {
    return { error: `invalid YAML front matter: ${(error as Error).message.split("\n")[0]}` };
  }
}
