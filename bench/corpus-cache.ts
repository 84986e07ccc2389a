/**
 * Benchmark corpora in DynamoDB, built once and reused across runs: the index of `size`
 * synthetic articles (bench/index-corpus.ts) loaded into dynalite on a LevelDB directory in the
 * temp directory, under a hash of everything that builds it — the source files of
 * bench/corpus-build.ts and all it imports (the generator, the index code, the item marshalling,
 * tests/support/dynalite.ts), and the versions of dynalite and its LevelDB packages. A changed
 * generator or index format is a new hash, so never a stale corpus. At 100,000 articles the
 * build takes minutes (870,000 items at ~3,000 items/s on dynalite); a run then costs a copy.
 *
 * Each run serves a private copy (the benchmark's indexer writes into its table), from dynalite
 * on LevelDB: on disk it serves a page Query as fast as in memory (measured at 10,000 articles:
 * 1.8 vs 2.1 ms), where 870,000 items in memory would hold ~2 GB in the benchmark's process.
 *
 *   const corpus = await corpusServer(100_000, scratchDir);   // builds on first use
 *   corpus.db.endpoint, corpus.table                           // a dynalite serving the copy
 *   await corpus.stop();                                       // stops it, deletes the copy
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import {
  cp,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  utimes,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { type Dynalite, startDynalite, tableExists } from "../tests/support/dynalite.ts";
import type { CorpusInfo } from "./corpus-build.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const BUILDER = join(ROOT, "bench", "corpus-build.ts");
const TABLE = "bench-corpus";
/** The packages that decide the on-disk format besides our own code. */
const STORAGE_PACKAGES = ["dynalite", "level", "classic-level", "abstract-level"];
/** Corpora not used for this long belong to sources long changed (~0.5 GB at 100,000). */
const OLD_CORPUS_MS = 6 * 3_600_000;

export interface CorpusServer {
  /** dynalite serving this run's copy of the corpus. */
  db: Dynalite;
  table: string;
  info: CorpusInfo;
  /** Whether this call built the corpus (false: it was cached). */
  built: boolean;
  /** ms to copy the cached directory for this run. */
  copyMs: number;
  stop(): Promise<void>;
}

/** A hash of what builds the corpus: the builder's source files, the storage packages, `size`. */
export async function corpusHash(size: number): Promise<string> {
  const { metafile } = await build({
    entryPoints: [BUILDER],
    absWorkingDir: ROOT,
    bundle: true,
    write: false,
    metafile: true,
    platform: "node",
    format: "esm",
    packages: "external",
    logLevel: "silent",
  });
  const hash = createHash("sha256").update(`corpus v1\0${size}\0`);
  for (const name of STORAGE_PACKAGES) {
    const file = join(ROOT, "node_modules", name, "package.json");
    const version = existsSync(file)
      ? (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version
      : "-";
    hash.update(`${name}@${version}\0`);
  }
  for (const input of Object.keys(metafile.inputs).sort()) {
    hash.update(relative(ROOT, resolve(ROOT, input))).update("\0");
    hash.update(await readFile(resolve(ROOT, input))).update("\0");
  }
  return hash.digest("hex").slice(0, 20);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Removes corpora of this cache unused for OLD_CORPUS_MS (never `keep`). */
async function removeOld(keep: string): Promise<void> {
  for (const name of await readdir(tmpdir()).catch(() => [] as string[])) {
    const path = join(tmpdir(), name);
    if (!/^dateline-corpus-\d+-[0-9a-f]+(\.tmp-\d+)?$/.test(name) || path === keep) continue;
    const { mtimeMs } = await stat(path).catch(() => ({ mtimeMs: Date.now() }));
    if (Date.now() - mtimeMs > OLD_CORPUS_MS) await rm(path, { recursive: true, force: true });
  }
}

function runBuilder(size: number, dir: string): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      ["--max-old-space-size=8192", "--import", "tsx", BUILDER, String(size), dir, TABLE],
      { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] },
    );
    child.on("error", fail);
    child.on("exit", (code, signal) =>
      code === 0 ? done() : fail(new Error(`corpus build failed: ${signal ?? `exit ${code}`}`)),
    );
  });
}

/**
 * The cached corpus directory of `size` articles for the current sources, built first if there
 * is none (one builder at a time per hash: others wait on its lock directory). Shared: callers
 * must copy it before serving it.
 */
export async function cachedCorpus(size: number): Promise<{ dir: string; built: boolean }> {
  const dir = join(tmpdir(), `dateline-corpus-${size}-${await corpusHash(size)}`);
  const lock = `${dir}.lock`;
  let built = false;
  for (;;) {
    if (existsSync(join(dir, "corpus.json"))) {
      const now = new Date();
      await utimes(dir, now, now);
      return { dir, built };
    }
    try {
      await mkdir(lock);
      await writeFile(join(lock, "pid"), String(process.pid));
    } catch {
      // Another process builds it; its lock is stale if that process is gone.
      const pid = Number(await readFile(join(lock, "pid"), "utf8").catch(() => "0"));
      const { mtimeMs } = await stat(lock).catch(() => ({ mtimeMs: Date.now() }));
      if ((pid && !alive(pid)) || (!pid && Date.now() - mtimeMs > 60_000))
        await rm(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 1_000));
      continue;
    }
    try {
      const building = `${dir}.tmp-${process.pid}`;
      await rm(building, { recursive: true, force: true });
      console.log(
        `  building the ${size.toLocaleString("en")}-article corpus once (cached in ${dir})`,
      );
      await runBuilder(size, building);
      await rename(building, dir);
      built = true;
      await removeOld(dir);
    } finally {
      await rm(lock, { recursive: true, force: true });
    }
  }
}

/** dynalite serving a private copy (under `scratch`) of the cached corpus of `size` articles. */
export async function corpusServer(size: number, scratch: string): Promise<CorpusServer> {
  const { dir, built } = await cachedCorpus(size);
  const info = JSON.parse(await readFile(join(dir, "corpus.json"), "utf8")) as CorpusInfo;
  const copy = join(scratch, `corpus-${size}`);
  const started = performance.now();
  await rm(copy, { recursive: true, force: true });
  await cp(join(dir, "leveldb"), copy, { recursive: true });
  const copyMs = performance.now() - started;
  const db = await startDynalite({ path: copy });
  const stop = async () => {
    await db.stop();
    await rm(copy, { recursive: true, force: true, maxRetries: 3 });
  };
  try {
    if (!(await tableExists(db.client, info.table)))
      throw new Error(`the cached corpus ${dir} holds no table ${info.table}`);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    db,
    table: info.table,
    info,
    built,
    copyMs,
    stop,
  };
}
