/**
 * Super-linear Markdown, fuzzed: every family known to make a CommonMark engine quadratic or
 * overflow its stack (bench/markdown-families.ts, from the engines' issue trackers) at random
 * sizes up to the article limit, mixed with random text and wrapped in random containers, goes
 * through compileArticle: an article or a recorded failure, never a throw, within a time bound.
 *
 * The bound is CPU time of this process (process.cpuUsage, best of two runs), not wall time: on
 * this shared 2-core machine (load ~9) wall time is several times CPU time. The target is 200 ms
 * (bench/compile.ts prints the worst: ~180 ms); the test allows twice that, which still catches
 * any return to super-linear time (marked took seconds on these inputs).
 */
import { cpuUsage } from "node:process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FAMILIES } from "../../bench/markdown-families.ts";
import { compileArticle } from "../../functions/articles/compile.ts";
import { MAX_ARTICLE_BYTES } from "../../functions/articles/limits.ts";
import { SITE } from "../fixtures/index.ts";

const SEED = 20_261_202;
const CPU_BOUND_MS = 400;
const HEAD = "---\ntitle: Fuzzed\ndate: 2024-01-01\n---\n\n";

/** Compiles `body` twice; the result and the lower CPU time. */
function timedCompile(body: string) {
  const bytes = new TextEncoder().encode(HEAD + body).slice(0, MAX_ARTICLE_BYTES);
  const file = { key: "fuzz.md", version: "v1", modified: new Date(0), size: bytes.byteLength };
  let best = Number.POSITIVE_INFINITY;
  let result = compileArticle(file, bytes, { siteUrl: SITE });
  for (let i = 0; i < 2; i++) {
    const started = cpuUsage();
    result = compileArticle(file, bytes, { siteUrl: SITE });
    const used = cpuUsage(started);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  return { result, cpuMs: best };
}

function expectWellFormed(result: ReturnType<typeof compileArticle>) {
  if (result.ok) {
    expect(result.html).not.toMatch(/<script|javascript:/i);
    expect(result.meta.title).toBe("Fuzzed");
  } else {
    expect(result.key).toBe("fuzz.md");
    expect(result.error.length).toBeGreaterThan(0);
  }
}

describe("every super-linear family at the article size limit", () => {
  it.each(FAMILIES.map((f) => [f.name, f] as const))("%s", (_name, family) => {
    const { result, cpuMs } = timedCompile(family.make(MAX_ARTICLE_BYTES - HEAD.length));
    expectWellFormed(result);
    expect(cpuMs).toBeLessThan(CPU_BOUND_MS);
  });
});

describe("families fuzzed: random sizes, mixes and containers", () => {
  const family = fc.constantFrom(...FAMILIES);
  const wrap = fc.constantFrom(
    (s: string) => s,
    (s: string) => `> ${s}`,
    (s: string) => `- ${s}`,
    (s: string) => `# ${s}`,
    (s: string) => `| a |\n|---|\n| ${s} |`,
    (s: string) => `**${s}**`,
    (s: string) => `[${s}](/x)`,
  );
  it("compiles to an article or a failure within the CPU bound", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(family, fc.integer({ min: 1, max: 96 * 1024 }), wrap), {
          minLength: 1,
          maxLength: 3,
        }),
        fc.string({ maxLength: 40 }),
        (parts, noise) => {
          const body = parts.map(([f, size, w]) => w(f.make(size))).join(`\n\n${noise}\n\n`);
          const { result, cpuMs } = timedCompile(body);
          expectWellFormed(result);
          expect(cpuMs).toBeLessThan(CPU_BOUND_MS);
        },
      ),
      { seed: SEED, numRuns: 40 },
    );
  });
});
