import { readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { fileURLToPath } from "node:url";

/**
 * Maps stack frames of a bundle (`moduleUrl`, e.g. import.meta.url of the bundled entry) to the
 * TypeScript sources, from the `.map` file beside it, read on the first stack only. The feed
 * function runs without `--enable-source-maps`, which would parse the map on every cold start
 * (~15 ms of its import here) to serve stacks it rarely logs. Frames of other files, and every
 * frame when the map cannot be read, are left as they are.
 */
export function bundleStackMapper(moduleUrl: string): (stack: string) => string {
  const file = moduleUrl.startsWith("file:") ? fileURLToPath(moduleUrl) : moduleUrl;
  let map: SourceMap | null | undefined;
  const load = () => {
    if (map === undefined) {
      try {
        map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, "utf8")));
      } catch {
        map = null;
      }
    }
    return map;
  };
  const frame = /(?:file:\/\/)?([^\s()]+):(\d+):(\d+)/g;
  return (stack) =>
    stack.replace(frame, (whole, path: string, line: string, column: string) => {
      if (path !== file) return whole;
      const entry = load()?.findEntry(Number(line) - 1, Number(column) - 1);
      if (!entry || !("originalSource" in entry) || !entry.originalSource) return whole;
      const source = entry.originalSource.replace(/^(?:\.\.\/)+/, "");
      return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
    });
}
