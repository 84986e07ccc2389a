import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "../log.ts";
import { MemoryTable } from "./table.ts";
import {
  FORMAT_VERSION,
  type LoadedTable,
  LocalBlobs,
  loadTable,
  removeInterruptedSaves,
  saveTable,
} from "./table-file.ts";

export interface TableCacheOptions {
  /** The file, e.g. `.dateline/index-v1.bin`. */
  path: string;
  /** indexFingerprint(...) of everything the index's contents depend on. */
  fingerprint: string;
  log: Logger;
  /** The local index's table and blobs, filled by load() and saved from (default: new ones). */
  table?: MemoryTable;
  blobs?: LocalBlobs;
  /** Quiet time after the last change before a save (ms). Default 2,000. */
  delayMs?: number;
  /** True while an index write is in flight: a save then waits for the next quiet moment. */
  busy?: () => boolean;
}

/**
 * What the file's contents depend on, as one string: `parts` (the compile options, index
 * options, anything else the caller's index depends on) and the source of the compile and index
 * code and the locked dependency versions, so an upgrade of either rebuilds instead of serving
 * what older code compiled.
 */
export function indexFingerprint(parts: Record<string, unknown>): string {
  const hash = createHash("sha256").update(JSON.stringify({ FORMAT_VERSION, parts }));
  const here = dirname(fileURLToPath(import.meta.url));
  for (const dir of [join(here, "..", "articles"), here]) {
    for (const name of safeList(dir).sort()) hash.update(name).update(safeRead(join(dir, name)));
  }
  hash.update(safeRead(join(here, "..", "..", "package-lock.json")));
  return hash.digest("hex");
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir).filter((name) => name.endsWith(".ts"));
  } catch {
    return [];
  }
}

function safeRead(path: string): Buffer | string {
  try {
    return readFileSync(path);
  } catch {
    return "-";
  }
}

/**
 * The local index's table with its file: loaded once at start (or empty), saved in the
 * background a moment after changes stop, one save at a time, and on flush() (exit). A save
 * that fails is logged once and retried at the next change: the index in memory is unaffected.
 */
export class TableCache {
  readonly #o: Required<TableCacheOptions>;
  #timer: NodeJS.Timeout | undefined;
  #dirty = false;
  #saving: Promise<void> | undefined;
  #failed = false;

  constructor(options: TableCacheOptions) {
    this.#o = {
      delayMs: 2_000,
      busy: () => false,
      table: new MemoryTable(),
      blobs: new LocalBlobs(),
      ...options,
    };
  }

  /**
   * The table and blobs, filled from the file when it is usable (`fromFile`), else empty. Call
   * it once, before the first reconciliation.
   */
  async load(): Promise<LoadedTable & { fromFile: boolean }> {
    const { path, fingerprint, log, table, blobs } = this.#o;
    const removed = await removeInterruptedSaves(path);
    if (removed.length) log.info("removed what interrupted saves left", { files: removed });
    const loaded = await loadTable(path, fingerprint, log, { table, blobs });
    return { table, blobs, fromFile: loaded !== undefined };
  }

  /** The index changed (call after a sync or apply resolved): save once things are quiet. */
  changed(): void {
    this.#dirty = true;
    this.#schedule();
  }

  /** Saves now if anything changed since the last save, and waits for it. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#saving;
    if (this.#dirty) await this.#save();
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#saving || this.#o.busy()) this.#schedule();
      else void this.#save();
    }, this.#o.delayMs);
    this.#timer.unref();
  }

  async #save(): Promise<void> {
    const { table, blobs } = this.#o;
    this.#dirty = false;
    const started = performance.now();
    this.#saving = saveTable(this.#o.path, this.#o.fingerprint, table, blobs).then(
      () => {
        this.#failed = false;
        this.#o.log.info("index file saved", {
          file: this.#o.path,
          ms: Math.round(performance.now() - started),
        });
      },
      (error: Error) => {
        this.#dirty = true;
        if (!this.#failed)
          this.#o.log.warn("cannot write the index file; the next start rebuilds more", {
            file: this.#o.path,
            reason: error.message,
          });
        this.#failed = true;
      },
    );
    await this.#saving;
    this.#saving = undefined;
  }
}
