import { Worker } from "node:worker_threads";

/** Resolved here: an eval worker would resolve a bare name against the working directory. */
const TSX_API = import.meta.resolve("tsx/esm/api");

interface Waiter<Result> {
  resolve: (result: Result) => void;
  reject: (error: Error) => void;
}

/** What a worker posts back for a task: its result, or why it failed. */
export type TaskAnswer<Result> = { id: number; result: Result } | { id: number; error: string };

/**
 * Worker threads running one module's task function (see serveTasks in ./serve.ts): work that is
 * CPU-bound (compiling Markdown, sanitizing) spreads over the cores while the main thread lists
 * and reads files. Each task goes to the least busy worker. A worker that dies fails the tasks
 * it held and every later one: the caller decides whether to go on without the pool.
 */
export class WorkerPool<Task, Result> {
  readonly #slots: { worker: Worker; pending: Set<number> }[];
  readonly #waiting = new Map<number, Waiter<Result>>();
  #next = 0;
  #broken: Error | undefined;

  constructor(module: URL, size: number) {
    this.#slots = Array.from({ length: Math.max(1, size) }, () => {
      // Dateline runs its TypeScript through tsx, whose loader Node 20 does not hand on to a
      // worker given a .ts file: the worker registers it, then imports the module.
      const worker = new Worker(
        `import(${JSON.stringify(TSX_API)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(module.href)}); });`,
        { eval: true },
      );
      const slot = { worker, pending: new Set<number>() };
      worker.on("message", (answer: TaskAnswer<Result>) => {
        slot.pending.delete(answer.id);
        const waiter = this.#waiting.get(answer.id);
        this.#waiting.delete(answer.id);
        if ("error" in answer) waiter?.reject(new Error(answer.error));
        else waiter?.resolve(answer.result);
      });
      const fail = (error: Error) => {
        this.#broken ??= error;
        for (const id of slot.pending) {
          this.#waiting.get(id)?.reject(error);
          this.#waiting.delete(id);
        }
        slot.pending.clear();
      };
      worker.on("error", fail);
      worker.on("exit", (code) => fail(new Error(`worker thread exited (code ${code})`)));
      return slot;
    });
  }

  /** Runs `task` on the least busy worker. */
  run(task: Task): Promise<Result> {
    if (this.#broken) return Promise.reject(this.#broken);
    const slot = this.#slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.#next++;
    slot.pending.add(id);
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      slot.worker.postMessage({ id, task });
    });
  }

  /** Stops every worker (tasks still running are failed). */
  async close(): Promise<void> {
    this.#broken ??= new Error("worker pool closed");
    await Promise.all(this.#slots.map(({ worker }) => worker.terminate()));
  }
}
