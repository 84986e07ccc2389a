import { Worker } from "node:worker_threads";
import type { StoredFile } from "../storage/store.ts";
import type { CheckedArticle } from "./article.ts";
import type { CheckTask } from "./worker.ts";

const WORKER = new URL("./worker.ts", import.meta.url).href;
/** Resolved here: an eval worker would resolve a bare name against the working directory. */
const TSX_API = import.meta.resolve("tsx/esm/api");

/**
 * Compiling is CPU-bound (Markdown, sanitizing): the check spreads it over worker threads, one
 * per core, while the main thread lists and reads. Tasks go to the least busy worker.
 */
export class CheckPool {
  readonly #workers: { worker: Worker; pending: number }[];
  readonly #waiting = new Map<
    number,
    { resolve: (r: CheckedArticle) => void; reject: (e: Error) => void }
  >();
  #next = 0;

  constructor(size: number) {
    this.#workers = Array.from({ length: size }, () => {
      // The CLI runs TypeScript through tsx, whose loader Node 20 does not hand on to a worker
      // given a .ts file: the worker registers it, then imports the module.
      const worker = new Worker(
        `import(${JSON.stringify(TSX_API)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER)}); });`,
        { eval: true },
      );
      const slot = { worker, pending: 0 };
      worker.on("message", ({ id, result }: { id: number; result: CheckedArticle }) => {
        slot.pending--;
        this.#waiting.get(id)?.resolve(result);
        this.#waiting.delete(id);
      });
      worker.on("error", (error) => {
        for (const waiter of this.#waiting.values()) waiter.reject(error);
        this.#waiting.clear();
      });
      return slot;
    });
  }

  check(file: StoredFile, bytes: Uint8Array, siteUrl: string): Promise<CheckedArticle> {
    const slot = this.#workers.reduce((a, b) => (b.pending < a.pending ? b : a));
    const id = this.#next++;
    slot.pending++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      const task: CheckTask = { id, file, bytes, siteUrl };
      slot.worker.postMessage(task);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map(({ worker }) => worker.terminate()));
  }
}
