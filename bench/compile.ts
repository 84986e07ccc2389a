/**
 * Worst per-article compile time over the adversarial corpus: every super-linear family of
 * bench/markdown-families.ts as one paragraph at 16 KB, 64 KB and the article size limit,
 * plus the hostile front matter and legacy-HTML cases, through compileArticle (read → decode →
 * parse → Markdown → sanitize). CPU time of this process (process.cpuUsage), which other
 * processes on a shared machine do not inflate, and wall time beside it.
 *
 *   npx tsx bench/compile.ts      (also printed by `npm run bench`)
 */
import { cpuUsage } from "node:process";
import { compileArticle } from "../functions/articles/compile.ts";
import { MAX_ARTICLE_BYTES } from "../functions/articles/limits.ts";
import { FAMILIES } from "./markdown-families.ts";

const SITE = "https://news.example.com";
const HEAD = "---\ntitle: Adversarial\ndate: 2024-01-01\n---\n\n";

export interface CompileFigures {
  worstCpuMs: number;
  worstWallMs: number;
  worstCase: string;
  cases: number;
  refused: number;
}

/** Compiles every adversarial case once (best of `runs`), returning the worst. */
export function measureCompile(runs = 2, log: (line: string) => void = () => {}): CompileFigures {
  const sizes = [16 * 1024, 64 * 1024, MAX_ARTICLE_BYTES - HEAD.length];
  const figures: CompileFigures = {
    worstCpuMs: 0,
    worstWallMs: 0,
    worstCase: "",
    cases: 0,
    refused: 0,
  };
  for (const family of FAMILIES) {
    for (const size of sizes) {
      const text = HEAD + family.make(size).slice(0, size);
      const bytes = new TextEncoder().encode(text).slice(0, MAX_ARTICLE_BYTES);
      const file = {
        key: "adversarial.md",
        version: "v1",
        modified: new Date(0),
        size: bytes.byteLength,
      };
      let cpu = Number.POSITIVE_INFINITY;
      let wall = Number.POSITIVE_INFINITY;
      let ok = true;
      for (let i = 0; i < runs; i++) {
        const c0 = cpuUsage();
        const w0 = performance.now();
        ok = compileArticle(file, bytes, { siteUrl: SITE }).ok;
        const used = cpuUsage(c0);
        wall = Math.min(wall, performance.now() - w0);
        cpu = Math.min(cpu, (used.user + used.system) / 1000);
      }
      figures.cases++;
      if (!ok) figures.refused++;
      const name = `${family.name} @ ${Math.round(bytes.byteLength / 1024)} KB`;
      log(
        `  ${name.padEnd(48)} cpu ${cpu.toFixed(1).padStart(7)} ms  wall ${wall.toFixed(1).padStart(7)} ms  ${ok ? "rendered" : "refused"}`,
      );
      if (cpu > figures.worstCpuMs) {
        figures.worstCpuMs = cpu;
        figures.worstCase = name;
      }
      figures.worstWallMs = Math.max(figures.worstWallMs, wall);
    }
  }
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const f = measureCompile(2, process.argv.includes("--verbose") ? console.log : () => {});
  console.log(
    `compile, adversarial corpus (${f.cases} cases, ${f.refused} refused by a limit): worst ${f.worstCpuMs.toFixed(1)} ms CPU (${f.worstCase}), worst wall ${f.worstWallMs.toFixed(1)} ms; target ≤ 200 ms`,
  );
}
