import type { CompileTask } from "../articles/compile-worker.ts";
import type { CompileResult } from "../articles/compiled.ts";
import { WorkerPool } from "../workers/pool.ts";
import type { ParallelCompile } from "./indexing.ts";

const COMPILE_WORKER = new URL("../articles/compile-worker.ts", import.meta.url);

/**
 * compileArticle on `size` worker threads (CompileResult is plain data, so it crosses threads
 * as it is): what npm start's first check over a large folder uses, the index being written on
 * the main thread meanwhile.
 */
export function compilePool(size: number): ParallelCompile {
  const pool = new WorkerPool<CompileTask, CompileResult>(COMPILE_WORKER, size);
  return {
    compile: (file, bytes, options) => pool.run({ file, bytes, options }),
    close: () => pool.close(),
  };
}
