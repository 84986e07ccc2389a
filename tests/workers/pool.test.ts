/** WorkerPool over real worker threads: results, a task that throws, a worker that dies. */
import { afterEach, describe, expect, it } from "vitest";
import { WorkerPool } from "../../functions/workers/pool.ts";
import type { TestTask } from "./task-worker.ts";

const WORKER = new URL("./task-worker.ts", import.meta.url);
const pools: WorkerPool<TestTask, { doubled: number }>[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});
function pool(size: number) {
  const made = new WorkerPool<TestTask, { doubled: number }>(WORKER, size);
  pools.push(made);
  return made;
}

describe("WorkerPool", () => {
  it("answers every task with its own result, across the workers", async () => {
    const two = pool(2);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => two.run({ double: i })));
    expect(results.map((r) => r.doubled)).toEqual(Array.from({ length: 50 }, (_, i) => i * 2));
  });

  it("rejects a task that throws with its message, and goes on", async () => {
    const one = pool(1);
    await expect(one.run({ fail: "bad input" })).rejects.toThrow("bad input");
    expect((await one.run({ double: 4 })).doubled).toBe(8);
  });

  it("fails the tasks of a worker that died, and every later one, instead of hanging", async () => {
    const one = pool(1);
    const held = [one.run({ exit: 3 }), one.run({ double: 1 })];
    for (const task of held) await expect(task).rejects.toThrow("worker thread exited (code 3)");
    await expect(one.run({ double: 2 })).rejects.toThrow("worker thread exited (code 3)");
  });

  it("fails what is still running when closed", async () => {
    const one = pool(1);
    await one.close();
    await expect(one.run({ double: 1 })).rejects.toThrow("worker pool closed");
  });
});
