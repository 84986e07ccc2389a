import { parentPort } from "node:worker_threads";
import type { TaskAnswer } from "./pool.ts";

/**
 * The worker side of a WorkerPool: answers each task the main thread posts with `run`'s result,
 * or with the message of what it threw (the worker itself goes on).
 */
export function serveTasks<Task, Result>(run: (task: Task) => Result): void {
  parentPort?.on("message", ({ id, task }: { id: number; task: Task }) => {
    let answer: TaskAnswer<Result>;
    try {
      answer = { id, result: run(task) };
    } catch (error) {
      answer = { id, error: error instanceof Error ? error.message : String(error) };
    }
    parentPort?.postMessage(answer);
  });
}
