import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { MemoryServedLog, type ServedLog, type ServedRecord } from "../http/served.ts";
import type { Logger } from "../log.ts";

const FORMAT = "dateline-state";
const VERSION = 1;
/** Writes are gathered for this long: one render of many feeds is one write. */
const WRITE_DELAY_MS = 100;

interface StateDocument {
  format: typeof FORMAT;
  version: typeof VERSION;
  /** Resource key → [ETag, Last-Modified ms]. */
  served: Record<string, [string, number]>;
}

/**
 * What the local server must remember across restarts, in one small JSON file: when each
 * representation's bytes were first served (Last-Modified). Written atomically (temporary
 * file, then rename) shortly after a change and on exit. An unreadable file is logged and
 * started afresh: the safe direction (every representation is dated "now"). Articles' last seen
 * content is the index's to keep (index/table-file.ts); an `articles` part written by older
 * versions is ignored.
 */
export class StateFile {
  readonly served: ServedLog;
  readonly #path: string;
  readonly #log: Logger;
  readonly #servedLog: MemoryServedLog;
  #timer: NodeJS.Timeout | undefined;
  #failed = false;

  constructor(path: string, log: Logger) {
    this.#path = path;
    this.#log = log;
    this.#servedLog = new MemoryServedLog();
    this.#load();
    const servedLog = this.#servedLog;
    this.served = {
      get: (key) => servedLog.get(key),
      set: (key, record: ServedRecord) => {
        servedLog.set(key, record);
        this.#schedule();
      },
    };
  }

  /** Writes pending changes now (synchronously: called on exit). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const doc: StateDocument = { format: FORMAT, version: VERSION, served: {} };
    for (const [key, r] of this.#servedLog.entries()) doc.served[key] = [r.etag, r.lastModified];
    try {
      mkdirSync(dirname(this.#path), { recursive: true });
      const temporary = `${this.#path}.${process.pid}.tmp`;
      writeFileSync(temporary, `${JSON.stringify(doc)}\n`);
      renameSync(temporary, this.#path);
      this.#failed = false;
    } catch (error) {
      if (!this.#failed)
        this.#log.warn("cannot write the state file; dates may move after a restart", {
          file: this.#path,
          reason: (error as Error).message,
        });
      this.#failed = true;
    }
  }

  #schedule(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => this.flush(), WRITE_DELAY_MS);
    this.#timer.unref();
  }

  #load(): void {
    let text: string;
    try {
      text = readFileSync(this.#path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT")
        this.#log.warn("cannot read the state file; starting afresh", {
          file: this.#path,
          reason: (error as Error).message,
        });
      return;
    }
    try {
      const doc = JSON.parse(text) as Partial<StateDocument>;
      if (doc.format !== FORMAT || doc.version !== VERSION) throw new Error("not a state file");
      for (const [key, value] of Object.entries(doc.served ?? {})) {
        const [etag, lastModified] = value;
        if (typeof etag === "string" && Number.isFinite(lastModified))
          this.#servedLog.set(key, { etag, lastModified });
      }
    } catch (error) {
      this.#log.warn("state file unreadable; starting afresh", {
        file: this.#path,
        reason: (error as Error).message,
      });
    }
  }
}
