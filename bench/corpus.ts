/**
 * Deterministic article corpora for the benchmark and the scale tests: realistic Markdown
 * (~3 KB, front matter with tags, one or two authors, sometimes a summary, slug, lang, update),
 * the same bytes for the same seed and count on every machine.
 */
import { existsSync } from "node:fs";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

/** Bumped whenever the generated text changes, so cached corpora are rebuilt. */
const GENERATOR_VERSION = 1;

/** mulberry32: a tiny, fast, seedable PRNG (deterministic across platforms). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  "council harbour ferry terminal river bridge city port market school library museum festival " +
  "transport budget mayor residents officials station district water energy solar wind grid " +
  "hospital clinic university students teachers court ruling election vote parliament minister " +
  "weather storm flood drought harvest farmers fishing coast island mountain valley railway " +
  "night bus tram network service route timetable passengers cyclists pedestrians road tunnel " +
  "housing rent construction permit plan zoning park garden tree heritage archive concert " +
  "theatre film gallery artist writer reporter editor newspaper radio broadcast signal data " +
  "software release version update security patch users developers community volunteers " +
  "meeting report survey study research scientists laboratory measurement results evidence " +
  "company workers union wages prices inflation exports imports trade agreement partnership " +
  "said told announced confirmed expected planned opened closed reported added explained " +
  "new old first last local regional national public private early late major minor annual"
).split(" ");

const TAGS = Array.from({ length: 240 }, (_, i) => {
  const base = [
    "Transport",
    "Politics",
    "Culture",
    "Science",
    "Energy",
    "Health",
    "Education",
    "Housing",
    "Weather",
    "Business",
    "Technology",
    "Sport",
  ][i % 12] as string;
  return i < 12 ? base : `${base} ${String.fromCharCode(65 + (i % 26))}${Math.floor(i / 12)}`;
});

const FIRST = [
  "Mara",
  "Jonas",
  "Seo-yeon",
  "Aiko",
  "Lucía",
  "Tomás",
  "Amara",
  "Priya",
  "Zoë",
  "Björn",
  "Chidi",
  "Elena",
  "Farid",
  "Hana",
  "Ines",
  "Kwame",
  "Lena",
  "Mateo",
  "Nadia",
  "Oskar",
];
const LAST = [
  "Ellison",
  "Weiß",
  "Kim",
  "Tanaka",
  "García",
  "Novak",
  "Okafor",
  "Raman",
  "Lefèvre",
  "Schäfer",
  "Mensah",
  "Rossi",
  "Haddad",
  "Park",
  "Silva",
];

const LANGS = ["en", "en", "en", "en", "en-GB", "de", "fr", "ko"];

export interface CorpusFile {
  /** Path relative to the content root, e.g. `2019/04/council-approves-budget-12.md`. */
  key: string;
  text: string;
}

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)] as T;
}

function sentence(rand: () => number, min = 8, max = 22): string {
  const n = min + Math.floor(rand() * (max - min));
  const words = Array.from({ length: n }, () => pick(rand, WORDS));
  const first = words[0] ?? "news";
  words[0] = first.charAt(0).toUpperCase() + first.slice(1);
  if (rand() < 0.15) {
    const i = 1 + Math.floor(rand() * (n - 1));
    words[i] = `**${words[i]}**`;
  }
  if (rand() < 0.1) {
    const i = 1 + Math.floor(rand() * (n - 1));
    words[i] = `[${words[i]}](/articles/related-${Math.floor(rand() * 1000)})`;
  }
  return `${words.join(" ")}.`;
}

function paragraph(rand: () => number): string {
  const n = 3 + Math.floor(rand() * 4);
  return Array.from({ length: n }, () => sentence(rand)).join(" ");
}

function yamlString(value: string): string {
  return JSON.stringify(value);
}

/** The `index`-th article of a corpus (0-based); independent of the others. */
export function corpusArticle(seed: number, index: number): CorpusFile {
  const rand = prng(seed * 1_000_003 + index * 7_919 + 17);
  // Articles spread over 2010-2024, roughly one every 70 minutes at 100,000.
  const start = Date.UTC(2010, 0, 1);
  const span = Date.UTC(2024, 11, 31) - start;
  const time = start + Math.floor(rand() * span);
  const date = new Date(Math.floor(time / 60_000) * 60_000);
  const titleWords = sentence(rand, 5, 11).replace(/\*\*|\[|\]\([^)]*\)/g, "");
  const title = titleWords.slice(0, -1);
  const slugBase = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 60);
  const slug = `${slugBase}-${index}`;
  const year = date.getUTCFullYear();
  const month = String(date.getUTCMonth() + 1).padStart(2, "0");
  const offset = pick(rand, ["Z", "+09:00", "+01:00", "-05:00", "+02:00"]);
  const local = new Date(
    date.getTime() + (offset === "Z" ? 0 : Number(offset.slice(0, 3)) * 3_600_000),
  );
  const iso = `${local.toISOString().slice(0, 19)}${offset}`;

  const lines = ["---", `title: ${yamlString(title)}`, `date: ${iso}`];
  if (rand() < 0.2) {
    const later = new Date(date.getTime() + Math.floor(rand() * 30) * 86_400_000);
    lines.push(`updated: ${later.toISOString().slice(0, 10)}`);
  }
  const person = () => `${pick(rand, FIRST)} ${pick(rand, LAST)}`;
  if (rand() < 0.25) {
    lines.push("authors:", `  - ${yamlString(person())}`);
    lines.push(
      rand() < 0.5
        ? `  - { name: ${yamlString(person())}, email: desk${index % 97}@news.example.com }`
        : `  - ${yamlString(person())}`,
    );
  } else {
    lines.push(`author: ${yamlString(person())}`);
  }
  const tagCount = 1 + Math.floor(rand() * 4);
  const tags = new Set<string>();
  while (tags.size < tagCount) tags.add(pick(rand, TAGS));
  lines.push("tags:", ...[...tags].map((t) => `  - ${yamlString(t)}`));
  if (rand() < 0.3) lines.push(`summary: ${yamlString(sentence(rand, 12, 30))}`);
  if (rand() < 0.1) lines.push(`lang: ${pick(rand, LANGS)}`);
  if (rand() < 0.01) lines.push("draft: true");
  if (rand() < 0.05) lines.push(`image: /images/${slug}.jpg`);
  // Most files are named after their slug; some set it in front matter instead.
  const explicitSlug = rand() < 0.1;
  if (explicitSlug) lines.push(`slug: ${slug}`);
  lines.push("---", "");

  const body: string[] = [];
  let size = 0;
  const target = 2_400 + Math.floor(rand() * 1_200);
  while (size < target) {
    const roll = rand();
    let block: string;
    if (roll < 0.06 && body.length > 1) block = `## ${sentence(rand, 3, 7).slice(0, -1)}`;
    else if (roll < 0.1 && body.length > 1)
      block = Array.from({ length: 3 }, () => `- ${sentence(rand, 4, 9)}`).join("\n");
    else if (roll < 0.12 && body.length > 1) block = `> ${sentence(rand)}`;
    else block = paragraph(rand);
    body.push(block);
    size += block.length + 2;
  }
  const name = explicitSlug ? `article-${index}` : slug;
  return {
    key: `${year}/${month}/${name}.md`,
    text: `${lines.join("\n")}\n${body.join("\n\n")}\n`,
  };
}

/** All `count` articles of a seeded corpus, in index order. */
export function* corpus(count: number, seed = 1): Generator<CorpusFile> {
  for (let i = 0; i < count; i++) yield corpusArticle(seed, i);
}

/**
 * The corpus written to a folder under `root` (default `.tmp/corpus`), reused across runs: the
 * folder is only generated when missing, written to a temp name first and renamed when complete.
 */
export async function corpusFolder(
  count: number,
  { seed = 1, root = join(process.cwd(), ".tmp", "corpus") } = {},
): Promise<string> {
  const dir = join(root, `v${GENERATOR_VERSION}-seed${seed}-n${count}`);
  if (existsSync(dir)) return dir;
  const partial = `${dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  const made = new Set<string>();
  let batch: Promise<void>[] = [];
  for (const file of corpus(count, seed)) {
    const path = join(partial, file.key);
    const folder = dirname(path);
    if (!made.has(folder)) {
      await mkdir(folder, { recursive: true });
      made.add(folder);
    }
    batch.push(writeFile(path, file.text));
    if (batch.length >= 256) {
      await Promise.all(batch);
      batch = [];
    }
  }
  await Promise.all(batch);
  await rename(partial, dir);
  return dir;
}
