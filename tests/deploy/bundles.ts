/**
 * The Lambda bundles the benchmarks run: the synthesized ones (`cdk synth`) when the stack's
 * function is built from the index design's entry (functions/handlers/), else that entry bundled
 * with the stack's own esbuild settings (said so in the output), so figures exist while the
 * stack is being switched over.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { build, type Metafile } from "esbuild";
import { BUNDLE_ALIASES } from "../../infra/bundle/aliases.ts";
import { type FunctionArtifact, REPO_ROOT } from "./support.ts";

export interface Bundle {
  file: string;
  exportName: string;
  /** "synthesized" or why it was built here. */
  origin: string;
}

/** The source files a synthesized bundle was built from (its source map). */
function sourcesOf(bundleFile: string): string[] {
  const map = `${bundleFile}.map`;
  if (!existsSync(map)) return [];
  return (JSON.parse(readFileSync(map, "utf8")) as { sources?: string[] }).sources ?? [];
}

/**
 * `entry` bundled into `outfile` with the stack's esbuild settings (infra/constructs/function.ts
 * BUNDLING); the metafile says which inputs (and externals) went in.
 */
export async function buildLikeTheStack(entry: string, outfile: string): Promise<Metafile> {
  const result = await build({
    entryPoints: [join(REPO_ROOT, entry)],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    minify: true,
    sourcemap: true,
    mainFields: ["module", "main"],
    external: ["@aws-sdk/*"],
    banner: {
      js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
    },
    alias: { ...BUNDLE_ALIASES },
    outfile,
    metafile: true,
    logLevel: "error",
  });
  return result.metafile;
}

export async function bundleFor(
  artifact: FunctionArtifact | undefined,
  entry: string,
  outDir: string,
): Promise<Bundle> {
  if (artifact && sourcesOf(artifact.bundleFile).some((s) => s.endsWith(entry)))
    return { file: artifact.bundleFile, exportName: artifact.exportName, origin: "synthesized" };
  const dir = join(outDir, entry.replace(/[^a-z0-9]+/gi, "-"));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "index.mjs");
  await buildLikeTheStack(entry, file);
  copyFileSync(
    join(REPO_ROOT, "node_modules", "md4w", "js", "md4w-small.wasm"),
    join(dirname(file), "md4w-small.wasm"),
  );
  return {
    file,
    exportName: "handler",
    origin: `built here with the stack's esbuild settings (the stack does not build ${entry} yet)`,
  };
}
