/**
 * One `cdk synth` for every deploy test file (and the benchmarks) of one source tree: vitest runs
 * files in separate workers, and each synth costs 20–30 s of CPU on a small machine. The cloud
 * assembly lives in the temp directory under a hash of everything the synth reads (infra/,
 * functions/, content/, cdk.json, the lockfile, the context); the first caller builds it while
 * the others wait on a lock directory. A changed source is a new hash, so never a stale bundle.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import {
  DEPLOY_CONTEXT,
  linkNodeModules,
  locate,
  REPO_ROOT,
  type Synthesized,
  synthesize,
} from "./support.ts";

const INPUTS = ["infra", "functions", "content", "cdk.json", "package-lock.json", "tsconfig.json"];
/** Longer than any synth; a lock older than this was left by a killed process. */
const STALE_LOCK_MS = 240_000;
/** Assemblies not rebuilt for this long belong to sources long changed (25 MB each). */
const OLD_ASSEMBLY_MS = 3 * 3_600_000;

/** Removes assemblies of this cache older than OLD_ASSEMBLY_MS (never the one in use). */
async function removeOld(keep: string): Promise<void> {
  const names = await readdir(tmpdir()).catch(() => [] as string[]);
  for (const name of names) {
    const path = join(tmpdir(), name);
    if (!/^dateline-synth-[0-9a-f]+$/.test(name) || path === keep) continue;
    const { mtimeMs } = await stat(path).catch(() => ({ mtimeMs: Date.now() }));
    if (Date.now() - mtimeMs > OLD_ASSEMBLY_MS) await rm(path, { recursive: true, force: true });
  }
}

async function filesUnder(path: string): Promise<string[]> {
  if (!existsSync(path)) return [];
  if (!(await stat(path)).isDirectory()) return [path];
  const entries = await readdir(path, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** A hash of the synth's inputs: file names and bytes, and the context. */
async function inputHash(context: Record<string, string>): Promise<string> {
  const hash = createHash("sha256").update(JSON.stringify(context)).update(REPO_ROOT);
  const files = (await Promise.all(INPUTS.map((p) => filesUnder(join(REPO_ROOT, p))))).flat();
  for (const file of files.sort()) {
    hash.update(relative(REPO_ROOT, file)).update("\0");
    hash.update(await readFile(file)).update("\0");
  }
  return hash.digest("hex").slice(0, 20);
}

/**
 * The synthesized stack for the current sources with `context` (default: the deploy tests'), its
 * `@aws-sdk/*` externals resolvable beside it. Shared: callers must not delete it.
 */
export async function sharedSynth(
  context: Record<string, string> = DEPLOY_CONTEXT,
): Promise<Synthesized> {
  const dir = join(tmpdir(), `dateline-synth-${await inputHash(context)}`);
  const lock = `${dir}.lock`;
  for (;;) {
    if (existsSync(join(dir, "manifest.json"))) return locate(dir);
    try {
      await mkdir(lock);
    } catch {
      const age = Date.now() - (await stat(lock).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > STALE_LOCK_MS) await rm(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    try {
      const building = `${dir}.tmp-${process.pid}`;
      await rm(building, { recursive: true, force: true });
      await synthesize(building, context);
      await linkNodeModules(building);
      await rename(building, dir);
      await removeOld(dir);
    } finally {
      await rm(lock, { recursive: true, force: true });
    }
  }
}
