// With VITEST_CPU=<file>: appends, per test file, the CPU seconds its worker process and the
// children it waited for (cdk synth, s3rver, chromium) spent from before the file's import to its
// last afterAll. CPU rather than wall time: the machine is shared, so wall times say little.
import { appendFileSync, readFileSync } from "node:fs";
import { afterAll, expect } from "vitest";

const out = process.env.VITEST_CPU;
const cpu = () => {
  const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1]?.split(" ") ?? [];
  // utime stime cutime cstime: fields 14–17 of proc(5), 12–15 after "pid (comm) ".
  return [11, 12, 13, 14].reduce((s, i) => s + Number(fields[i]), 0) / 100;
};
if (out) {
  const start = cpu();
  const wall = performance.now();
  afterAll(() => {
    const file = expect.getState().testPath ?? "?";
    appendFileSync(
      out,
      `${JSON.stringify({ file, cpu: +(cpu() - start).toFixed(2), wall: Math.round(performance.now() - wall) })}\n`,
    );
  });
}
