import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { RevisionLog, RevisionRecord } from "../articles/revisions.ts";
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
  /** Article key → [content hash, front-matter updated ms, revised ms | null]. */
  articles: Record<string, [string, number, number | null]>;
}

/**
 * What the local server must remember across restarts, in one small JSON file: when each
 * representation's bytes were first served (Last-Modified) and each article's last seen
 * content (edits without `updated:`). Written atomically (temporary file, then rename) shortly
 * after a change and on exit. An unreadable file is logged and started afresh: the safe
 * direction (a first start marks nothing revised and dates every representation "now").
 */
export class StateFile {
  readonly served: ServedLog;
  readonly revisions: RevisionLog;
  readonly #path: string;
  readonly #log: Logger;
  readonly #servedLog: MemoryServedLog;
  readonly #articles = new Map<string, RevisionRecord>();
  #timer: NodeJS.Timeout | undefined;
  #failed = false;

  constructor(path: string, log: Logger) {
    this.#path = path;
    this.#log = log;
    this.#servedLog = new MemoryServedLog();
    this.#load();
    const dirty = () => this.#schedule();
    const servedLog = this.#servedLog;
    this.served = {
      get: (key) => servedLog.get(key),
      set: (key, record: ServedRecord) => {
        servedLog.set(key, record);
        dirty();
      },
    };
    const articles = this.#articles;
    this.revisions = {
      get: (key) => articles.get(key),
      set: (key, record) => {
        const old = articles.get(key);
        if (
          old?.hash === record.hash &&
          old.revised === record.revised &&
          old.updated === record.updated
        )
          return;
        articles.set(key, record);
        dirty();
      },
    };
  }

  /** Writes pending changes now (synchronously: called on exit). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const doc: StateDocument = { format: FORMAT, version: VERSION, served: {}, articles: {} };
    for (const [key, r] of this.#servedLog.entries()) doc.served[key] = [r.etag, r.lastModified];
    for (const [key, r] of this.#articles)
      doc.articles[key] = [r.hash, r.updated, r.revised ?? null];
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
      for (const [key, value] of Object.entries(doc.articles ?? {})) {
        const [hash, updated, revised] = value;
        if (typeof hash !== "string" || !Number.isFinite(updated)) continue;
        this.#articles.set(key, {
          hash,
          updated,
          ...(typeof revised === "number" && Number.isFinite(revised) ? { revised } : {}),
        });
      }
    } catch (error) {
      this.#log.warn("state file unreadable; starting afresh", {
        file: this.#path,
        reason: (error as Error).message,
      });
    }
  }
}
