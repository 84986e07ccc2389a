/**
 * `npx tsx bench/check-content.ts [COUNT]` (default 100,000): the content check over a generated
 * corpus folder (bench/corpus.ts, cached under .tmp/corpus), in-process: wall time, files per
 * second and peak RSS. Then the same through the CLI in a fresh process (what an editor's CI runs).
 */
import { execFileSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { checkStore } from "../functions/check/run.ts";
import { FolderStore } from "../functions/storage/folder.ts";
import { corpusFolder } from "./corpus.ts";

const count = Number(process.argv[2] ?? 100_000);
const generating = performance.now();
const dir = await corpusFolder(count);
console.log(
  `corpus: ${count} articles in ${dir} (${((performance.now() - generating) / 1000).toFixed(1)} s to find or generate)`,
);

let peak = 0;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 50);
const started = performance.now();
const report = await checkStore(new FolderStore(dir), {
  siteUrl: "https://news.example.com",
  now: Date.now(),
  workers: availableParallelism(),
});
const seconds = (performance.now() - started) / 1000;
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
console.log(
  `in-process: ${report.files} files in ${seconds.toFixed(1)} s (${Math.round(report.files / seconds)} files/s), ` +
    `${report.errors} errors, ${report.warnings} warnings, peak RSS ${Math.round(peak / 2 ** 20)} MB`,
);

const cli = performance.now();
let output = "";
try {
  output = execFileSync(
    join(process.cwd(), "node_modules", ".bin", "tsx"),
    ["functions/cli/check-content.ts", dir],
    { encoding: "utf8", maxBuffer: 256 * 2 ** 20 },
  );
} catch (error) {
  output = (error as { stdout?: string }).stdout ?? "";
}
console.log(
  `CLI (fresh process): ${((performance.now() - cli) / 1000).toFixed(1)} s; last line: ${output.trimEnd().split("\n").at(-1)}`,
);
