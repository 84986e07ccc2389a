/**
 * The one post-processing step behind `feed`'s writers: each change Dateline makes to their
 * output names what it expects to find, and a missing target throws (a new `feed` that writes
 * the root, a link or an entry otherwise fails the tests instead of shipping a feed without the
 * change). `count`: how many matches there must be (default exactly one).
 */
export function patch(
  xml: string,
  what: string,
  target: string | RegExp,
  replacement: string | ((match: string, ...groups: string[]) => string),
  count = 1,
): string {
  const source =
    typeof target === "string" ? target.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") : target.source;
  const pattern = new RegExp(
    source,
    typeof target === "string" ? "g" : `${target.flags.replace("g", "")}g`,
  );
  const found = xml.match(pattern)?.length ?? 0;
  if (found !== count)
    throw new Error(`feed's output changed: ${what} found ${found} times, expected ${count}`);
  return typeof replacement === "string"
    ? xml.replace(pattern, replacement)
    : xml.replace(pattern, (match: string, ...rest: unknown[]) =>
        replacement(match, ...(rest.slice(0, groupsOf(source)) as string[])),
      );
}

/** How many capturing groups `source` has (what a replacer receives before the offset). */
function groupsOf(source: string): number {
  return (new RegExp(`${source}|`).exec("")?.length ?? 1) - 1;
}
