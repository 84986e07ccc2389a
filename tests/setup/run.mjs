#!/usr/bin/env node
/**
 * `npm test`: the type check (tsc), the linter (biome) and the tests (vitest) at the same time,
 * then how long each took and how long each vitest project ran. Fails when any of them fails.
 * Arguments go to vitest (`npm test -- tests/feeds`).
 *
 * The check runs beside the tests rather than before them: tsc is one thread for ~20 s of CPU,
 * and the test run has waits (servers, child processes) it can fill.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const bin = (name) => join(import.meta.dirname, "..", "..", "node_modules", ".bin", name);
const scratch = mkdtempSync(join(tmpdir(), "dateline-test-run-"));
const timingFile = join(scratch, "timing.json");

/** Runs a command; resolves its exit code, wall seconds and (if buffered) its output. */
function run(name, command, args, { buffer = false, env = {} } = {}) {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      stdio: buffer ? ["ignore", "pipe", "pipe"] : "inherit",
      env: { ...process.env, ...env },
    });
    let output = "";
    child.stdout?.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr?.on("data", (chunk) => {
      output += chunk;
    });
    const done = (code) =>
      resolve({ name, code, seconds: (performance.now() - started) / 1000, output });
    child.on("error", (error) => {
      output += `${error.message}\n`;
      done(127);
    });
    child.on("close", (code, signal) => done(code ?? (signal ? 128 : 1)));
  });
}

const runStarted = performance.now();
const check = (async () => {
  // Incremental: a second run re-checks only what changed (a clean clone, as in CI, checks all).
  const tsc = await run(
    "tsc",
    bin("tsc"),
    ["--noEmit", "--incremental", "--tsBuildInfoFile", "node_modules/.cache/dateline/tsbuildinfo"],
    { buffer: true },
  );
  const biome = await run("biome", bin("biome"), ["check", "."], { buffer: true });
  for (const step of [tsc, biome]) {
    if (step.code !== 0) process.stdout.write(`\n${step.name} failed:\n${step.output}\n`);
  }
  return [tsc, biome];
})();
const vitest = run("vitest", bin("vitest"), ["run", ...process.argv.slice(2)], {
  env: { VITEST_TIMING: timingFile },
});
const [[tsc, biome], tests] = await Promise.all([check, vitest]);

const s = (seconds) => `${seconds.toFixed(1)} s`;
const lines = [
  `check   ${s(tsc.seconds + biome.seconds)} (tsc ${s(tsc.seconds)}, biome ${s(biome.seconds)})${tsc.code || biome.code ? " FAILED" : ""}`,
  `vitest  ${s(tests.seconds)}${tests.code ? " FAILED" : ""}`,
];
if (existsSync(timingFile)) {
  /** @type {{ project: string, start: number, end: number, duration: number }[]} */
  const rows = JSON.parse(readFileSync(timingFile, "utf8"));
  const projects = [...new Set(rows.map((r) => r.project))].sort();
  for (const project of projects) {
    const mine = rows.filter((r) => r.project === project);
    const span =
      (Math.max(...mine.map((r) => r.end)) - Math.min(...mine.map((r) => r.start))) / 1000;
    const busy = mine.reduce((sum, r) => sum + r.duration, 0) / 1000;
    lines.push(
      `  ${project.padEnd(12)} ${String(mine.length).padStart(3)} files, ran ${s(span)} (tests and hooks ${s(busy)})`,
    );
  }
}
lines.push(`total   ${s((performance.now() - runStarted) / 1000)} (check beside vitest)`);
process.stdout.write(`\nnpm test split:\n${lines.map((l) => `  ${l}`).join("\n")}\n`);
rmSync(scratch, { recursive: true, force: true });
process.exit(tsc.code || biome.code || tests.code ? 1 : 0);
