// Per-file wall times (import + hooks + tests) for a vitest run, written as JSON when
// VITEST_TIMING names a file. Used to find what makes the suite slow.
import { writeFileSync } from "node:fs";
import { relative } from "node:path";
import type { Reporter, TestModule } from "vitest/node";

export default class TimingReporter implements Reporter {
  private readonly started = new Map<string, number>();
  private readonly rows: object[] = [];

  onTestModuleStart(module: TestModule): void {
    this.started.set(module.moduleId, performance.now());
  }

  onTestModuleEnd(module: TestModule): void {
    const start = this.started.get(module.moduleId) ?? performance.now();
    const d = module.diagnostic();
    this.rows.push({
      file: relative(process.cwd(), module.moduleId),
      project: module.project.name,
      wall: Math.round(performance.now() - start),
      collect: Math.round(d.collectDuration),
      duration: Math.round(d.duration),
    });
  }

  onTestRunEnd(): void {
    const out = process.env.VITEST_TIMING;
    if (out) writeFileSync(out, JSON.stringify(this.rows, null, 1));
  }
}
