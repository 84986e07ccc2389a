/**
 * The Markdown engine comparison behind the README's choice: speed on ordinary articles,
 * CommonMark spec conformance (commonmark-spec 0.31.2, 652 examples) and the worst time over
 * the super-linear families (bench/markdown-families.ts) at 64 KB and at the 1 MB limit.
 * Each adversarial run happens in a worker that is terminated after CUTOFF_MS, so a quadratic
 * engine reports "> 3000 ms" instead of stalling the benchmark.
 *
 *   npx tsx bench/markdown-engines.ts            (all engines)
 *   npx tsx bench/markdown-engines.ts md4w       (one engine)
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
// @ts-expect-error plain JavaScript module without types
import { loadEngine } from "./markdown-engine-load.mjs";
import { FAMILIES } from "./markdown-families.ts";

const ENGINES = ["md4w", "markdown-it", "micromark", "marked"] as const;
type Engine = (typeof ENGINES)[number];
const CUTOFF_MS = 3_000;

/** Loose HTML normalisation, enough to compare engines' output with the spec's. */
function normalize(html: string): string {
  return html
    .replace(/\s*\/>/g, ">")
    .replace(/>\s+</g, "><")
    .replace(/\s+/g, " ")
    .trim();
}

function timed(engine: Engine, text: string): Promise<number | undefined> {
  return new Promise((done) => {
    const w = new Worker(new URL("./markdown-engine-load.mjs", import.meta.url), {
      workerData: { engine, text },
      resourceLimits: { stackSizeMb: 4 },
    });
    const timer = setTimeout(() => {
      void w.terminate();
      done(undefined);
    }, CUTOFF_MS + 2_000);
    w.once("message", (ms: number) => {
      clearTimeout(timer);
      void w.terminate();
      done(ms > CUTOFF_MS ? undefined : ms);
    });
    w.once("error", (e) => {
      if (process.env.DEBUG) console.error(e);
      clearTimeout(timer);
      done(Number.NaN);
    });
  });
}

async function main(): Promise<void> {
  const only = process.argv.slice(2).filter((a) => (ENGINES as readonly string[]).includes(a));
  const engines = (only.length ? only : ENGINES) as Engine[];
  const { tests } = (await import("commonmark-spec")).default as {
    tests: { markdown: string; html: string }[];
  };
  const articles = readdirSync("content", { recursive: true })
    .map(String)
    .filter((f) => f.endsWith(".md"))
    .map((f) => readFileSync(join("content", f), "utf8").replace(/^---[\s\S]*?\n---\n/, ""));
  const ordinary = articles.join("\n\n").repeat(4);
  const fmt = (ms: number | undefined) =>
    ms === undefined ? `> ${CUTOFF_MS} ms` : Number.isNaN(ms) ? "crash" : `${ms.toFixed(1)} ms`;
  for (const engine of engines) {
    const render = await loadEngine(engine);
    let pass = 0;
    for (const t of tests) {
      try {
        if (normalize(render(t.markdown.replace(/→/g, "\t"))) === normalize(t.html)) pass++;
      } catch {}
    }
    for (let i = 0; i < 20; i++) render(ordinary);
    const runs: number[] = [];
    for (let i = 0; i < 30; i++) {
      const s = performance.now();
      render(ordinary);
      runs.push(performance.now() - s);
    }
    runs.sort((a, b) => a - b);
    const kb = Buffer.byteLength(ordinary) / 1024;
    const median = runs[15] ?? 0;
    console.log(
      `\n${engine}: CommonMark spec ${pass}/${tests.length}; ordinary Markdown ${kb.toFixed(0)} KB in ${median.toFixed(2)} ms (${(kb / 1024 / (median / 1000)).toFixed(1)} MB/s)`,
    );
    let worst64 = 0;
    let worst1m = 0;
    let worstName = "";
    const failures: string[] = [];
    for (const family of FAMILIES) {
      const at64 = await timed(engine, family.make(64 * 1024));
      const atLimit =
        at64 === undefined ? undefined : await timed(engine, family.make(1024 * 1024));
      const line = `  ${family.name.padEnd(34)} 64 KB ${fmt(at64).padStart(10)}   1 MB ${fmt(atLimit).padStart(10)}`;
      if (process.argv.includes("--verbose")) console.log(line);
      if (
        at64 === undefined ||
        atLimit === undefined ||
        Number.isNaN(at64) ||
        Number.isNaN(atLimit)
      )
        failures.push(line.trim());
      if (at64 !== undefined && !Number.isNaN(at64)) worst64 = Math.max(worst64, at64);
      if (atLimit !== undefined && !Number.isNaN(atLimit) && atLimit > worst1m) {
        worst1m = atLimit;
        worstName = family.name;
      }
    }
    console.log(
      `  adversarial (${FAMILIES.length} families): worst 64 KB ${worst64.toFixed(0)} ms; worst 1 MB that finished ${worst1m.toFixed(0)} ms (${worstName}); ${failures.length} slow or crashing`,
    );
    for (const f of failures) console.log(`    ${f}`);
  }
}

await main();
