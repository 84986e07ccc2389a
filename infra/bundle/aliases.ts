import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * esbuild aliases every Lambda bundle is built with (the stack, and the tests and benchmarks
 * that bundle as the stack does): module name → absolute path of what replaces it.
 */
export const BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  "xml-js": join(dirname(fileURLToPath(import.meta.url)), "xml-js-writer.cjs"),
};
