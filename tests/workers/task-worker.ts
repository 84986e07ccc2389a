/** A worker for tests/workers/pool.test.ts: doubles numbers, throws, or ends its own thread. */
import { serveTasks } from "../../functions/workers/serve.ts";

export type TestTask = { double: number } | { fail: string } | { exit: number };

serveTasks((task: TestTask) => {
  if ("fail" in task) throw new Error(task.fail);
  if ("exit" in task) process.exit(task.exit);
  return { doubled: task.double * 2 };
});
