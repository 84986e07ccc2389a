// Per-file times of a vitest run (module start to end: import, hooks and tests), written as JSON
// when VITEST_TIMING names a file. tests/setup/run.mjs reads it to print each project's time.
import { writeFileSync } from "node:fs";
import { relative } from "node:path";
import type { Reporter, TestModule } from "vitest/node";

export interface FileTiming {
  file: string;
  project: string;
  /** Epoch milliseconds. */
  start: number;
  end: number;
  /** Tests and hooks, as vitest counts them. */
  duration: number;
}

export default class TimingReporter implements Reporter {
  private readonly started = new Map<string, number>();
  private readonly rows: FileTiming[] = [];

  onTestModuleQueued(module: TestModule): void {
    this.started.set(module.moduleId, Date.now());
  }

  onTestModuleEnd(module: TestModule): void {
    const end = Date.now();
    this.rows.push({
      file: relative(process.cwd(), module.moduleId),
      project: module.project.name,
      start: this.started.get(module.moduleId) ?? end,
      end,
      duration: Math.round(module.diagnostic().duration),
    });
  }

  onTestRunEnd(): void {
    const out = process.env.VITEST_TIMING;
    if (out) writeFileSync(out, JSON.stringify(this.rows, null, 1));
  }
}
