/**
 * What the feed function's bundle is made of (functions/handlers/feed.ts built with the stack's
 * esbuild settings, read through esbuild's metafile): it only reads and renders, so no AWS SDK,
 * no YAML, Markdown or sanitizer and none of the compile step's modules; Node built-ins are its
 * only externals (bench/lambda-cold.ts prints its size against issue 10's ≤ 100 KB).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { isBuiltin } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Metafile } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildLikeTheStack } from "./bundles.ts";

const ENTRY = "functions/handlers/feed.ts";
/**
 * Packages the feed function must never load: the AWS SDK, YAML, Markdown, the sanitizer, and
 * xml-js's parser (its writer alone is bundled, infra/bundle/aliases.ts).
 */
const WRITE_PATH_PACKAGES = [
  "@aws-sdk",
  "@smithy",
  "marked",
  "js-yaml",
  "md4w",
  "xss",
  "cssfilter",
  "sax",
];
/** Modules of the compile step (functions/articles/: stored file → front matter → article). */
const COMPILE_MODULES = ["compile", "parse", "frontmatter", "wire"].map(
  (m) => `functions/articles/${m}.ts`,
);
/** A bound that catches a dependency pulled in by mistake (YAML alone is 19 KB minified). */
const MAX_BYTES = 150 * 1024;

let dir: string;
let meta: Metafile;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dateline-feed-bundle-"));
  meta = await buildLikeTheStack(ENTRY, join(dir, "index.mjs"));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const inputs = () => Object.keys(meta.inputs);
const packageOf = (path: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];

describe("the feed function's bundle", () => {
  it("holds no AWS SDK, no YAML and no other Markdown engine", () => {
    const packages = new Set(
      inputs()
        .map(packageOf)
        .filter((p) => p !== undefined),
    );
    expect(packages.size).toBeGreaterThan(0);
    const writePath = [...packages].filter((p) =>
      WRITE_PATH_PACKAGES.some((w) => p === w || p.startsWith(`${w}/`)),
    );
    expect(writePath).toEqual([]);
  });

  it("holds none of the compile step's modules, and only xml-js's writer", () => {
    expect(inputs().filter((path) => COMPILE_MODULES.includes(path))).toEqual([]);
    expect(inputs().filter((path) => path.includes("xml-js/lib/xml2js"))).toEqual([]);
    expect(inputs().some((path) => path.includes("xml-js/lib/js2xml"))).toBe(true);
    expect(inputs()).toContain(ENTRY);
    expect(inputs()).toContain("functions/index/read.ts");
  });

  it("imports nothing but Node built-ins at run time", () => {
    const externals = Object.values(meta.inputs).flatMap((input) =>
      input.imports.filter((i) => i.external).map((i) => i.path),
    );
    expect(externals.length).toBeGreaterThan(0);
    expect(externals.filter((path) => !isBuiltin(path))).toEqual([]);
  });

  it("stays below 150 KB minified", () => {
    const [output] = Object.entries(meta.outputs).filter(([file]) => file.endsWith(".mjs"));
    expect(output).toBeDefined();
    const bytes = output?.[1].bytes ?? Number.POSITIVE_INFINITY;
    expect(bytes, `${(bytes / 1024).toFixed(1)} KB`).toBeLessThanOrEqual(MAX_BYTES);
  });
});
