/**
 * Could `npm start`'s cold start (no saved index) compile lazily? The first /feed.xml needs only
 * the newest `limit` articles, but which ones they are is known only once every file's date is:
 * every file must still be listed, read and have its front matter parsed. This measures those
 * parts on a sample of the 100,000-article corpus, per file, against the full compile, and
 * prints what each would cost for all 100,000 files beside the target (≤ 5 s).
 *
 *   npx tsx bench/lazy-compile.ts [--sample=5000] [--articles=100000]
 */
import { parseArgs } from "node:util";
import { compileArticle } from "../functions/articles/compile.ts";
import { parseYaml, splitFrontMatter } from "../functions/articles/frontmatter.ts";
import { parseArticleText } from "../functions/articles/parse.ts";
import { FolderStore } from "../functions/storage/folder.ts";
import { corpusFolder } from "./corpus.ts";

const { values: args } = parseArgs({
  options: { sample: { type: "string" }, articles: { type: "string" } },
  strict: false,
});
const ARTICLES = Number(args.articles ?? 100_000);
const SAMPLE = Math.min(Number(args.sample ?? 5_000), ARTICLES);
const SITE_URL = "https://news.example.com";
const TARGET_S = 5;

/** CPU ms of `fn` (user + system), and its wall ms. */
async function measure(
  fn: () => Promise<unknown> | unknown,
): Promise<{ cpu: number; wall: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const c = process.cpuUsage(c0);
  return { cpu: (c.user + c.system) / 1000, wall: performance.now() - t0 };
}

const store = new FolderStore(await corpusFolder(ARTICLES));
let files = await store.list();
const list = await measure(async () => {
  files = await store.list();
});
// Every (ARTICLES / SAMPLE)-th file: the sample spans the archive's years.
const step = files.length / SAMPLE;
const sample = Array.from({ length: SAMPLE }, (_, i) => files[Math.floor(i * step)]).filter(
  (f) => f !== undefined,
);
const bytes: Uint8Array[] = [];
const read = await measure(async () => {
  for (const file of sample) bytes.push(await store.read(file.key));
});
const decoder = new TextDecoder("utf-8", { fatal: true });
const texts = bytes.map((b) => decoder.decode(b));
const frontMatter = await measure(() => {
  for (const text of texts) {
    const split = splitFrontMatter(text);
    if ("yaml" in split && split.yaml !== undefined) parseYaml(split.yaml);
  }
});
const parse = await measure(() => {
  for (const [i, text] of texts.entries()) parseArticleText(sample[i] as never, text);
});
const compile = await measure(() => {
  for (const [i, b] of bytes.entries())
    compileArticle(sample[i] as never, b, { siteUrl: SITE_URL });
});

const scale = ARTICLES / sample.length;
const at = (ms: number) => `${((ms * scale) / 1000).toFixed(1)} s`;
const n = ARTICLES.toLocaleString("en");
console.log(
  `\nLazy compile for npm start's cold start (issue 10): per-file CPU on ${sample.length.toLocaleString("en")} of ${n} files, scaled to all ${n}`,
);
console.log(
  `  list the folder (stat every file): ${(list.wall / 1000).toFixed(1)} s wall, CPU ${(list.cpu / 1000).toFixed(1)} s`,
);
console.log(`  read every file: CPU ${at(read.cpu)}`);
console.log(`  front matter only (split + YAML): CPU ${at(frontMatter.cpu)}`);
console.log(`  parse (front matter, fields, no Markdown): CPU ${at(parse.cpu)}`);
console.log(`  full compile (parse, Markdown, sanitize): CPU ${at(compile.cpu)}`);
const lazy = list.cpu + (read.cpu + frontMatter.cpu) * scale;
console.log(
  `  a lazy first feed would still list, read and parse the front matter of all: CPU ${(lazy / 1000).toFixed(1)} s  [target ≤ ${TARGET_S} s] ${lazy / 1000 <= TARGET_S ? "met" : "NOT met"}`,
);
