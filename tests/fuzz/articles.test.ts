/**
 * Property-based fuzzing of article input (fast-check, fixed seed): whatever bytes, front matter
 * or Markdown a file holds, parseArticle either returns an article or throws ArticleError, within
 * a bound that only proves it cannot hang; and the feeds rendered from whatever parsed are always
 * well-formed XML (xmllint) and valid JSON.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { MAX_ARTICLE_BYTES, parseArticle } from "../../functions/articles/parse.ts";
import { loadConfig } from "../../functions/config.ts";
import { ArticleError } from "../../functions/errors.ts";
import { memoryLogger } from "../../functions/log.ts";
import { createRuntime } from "../../functions/runtime.ts";
import { memoryStore } from "../fixtures/store.ts";

const SEED = 20_261_130;
/** Far above any real parse (a few ms): exceeding it means a hang, not a slow machine. */
const NO_HANG_MS = 3_000;

const scratch = mkdtempSync(join(tmpdir(), "dateline-fuzz-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

type Outcome = { ok: true; title: string } | { ok: false; reasons: string[] };

/** Parses `input` as `key`; fails the property on any error other than ArticleError or a hang. */
function parse(key: string, input: string | Uint8Array): Outcome {
  const bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
  const started = performance.now();
  let outcome: Outcome;
  try {
    const { article } = parseArticle(
      { key, version: "v1", modified: new Date("2024-01-01T00:00:00Z"), size: bytes.byteLength },
      bytes,
    );
    outcome = { ok: true, title: article.title };
  } catch (error) {
    if (!(error instanceof ArticleError)) throw error;
    expect(error.file).toBe(key);
    expect(error.reasons.length).toBeGreaterThan(0);
    outcome = { ok: false, reasons: error.reasons };
  }
  expect(performance.now() - started).toBeLessThan(NO_HANG_MS);
  return outcome;
}

// ---- generators -----------------------------------------------------------------------------

const FIELDS = ["title", "date", "updated", "author", "authors", "tags", "summary", "image"];
const MORE_FIELDS = ["attachments", "slug", "id", "draft", "lang", "__proto__", "constructor"];

/** Text with the characters that break parsers and XML: controls, surrogates, markup. */
const nasty = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom(
    "]]>",
    "]]>]]>",
    "<script>alert(1)</script>",
    "&amp;&lt;&#0;&#xD800;",
    "\u0000\u0001\u000b\ufffe\uffff",
    "\ud800 lone surrogate",
    "축제 🎉 Zoë",
    "javascript:alert(1)",
    "{{title}} $" + "{x}",
    "---",
    "' OR 1=1 --",
  ),
);

const dateText = fc.oneof(
  fc
    .date({ min: new Date("1900-01-01"), max: new Date("2100-01-01"), noInvalidDate: true })
    .map((d) => d.toISOString()),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
  fc.constantFrom("2024-02-30", "2024-13-01", "yesterday", "", "0", "2024-03-05T25:00:00Z"),
);

const fieldValue = fc.oneof(
  nasty,
  dateText,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(nasty, { maxLength: 8 }),
  fc.dictionary(nasty, nasty, { maxKeys: 4 }),
  fc.jsonValue({ maxDepth: 4 }),
);

const frontMatter = fc.dictionary(
  fc.oneof(fc.constantFrom(...FIELDS, ...MORE_FIELDS), fc.string({ maxLength: 12 })),
  fieldValue,
  { maxKeys: 12 },
);

/** Markdown-ish bodies: random blocks, inline markup and raw HTML. */
const body = fc
  .array(
    fc.oneof(
      nasty,
      fc.constantFrom(
        "# Heading",
        "## Sub ##",
        "- item\n- item",
        "> quote",
        "```\ncode ]]> <b>\n```",
        "[link](javascript:alert(1))",
        "[rel](/relative/path)",
        "![img](data:image/png;base64,AAAA)",
        "<iframe src=x></iframe><img src=x onerror=alert(1)>",
        "**bold** _em_ `code` ~~del~~",
        "| a | b |\n|---|---|\n| 1 | 2 |",
        "[ref]: https://example.com",
        "Mr. Smith went to Washington. Then he left.",
      ),
    ),
    { maxLength: 12 },
  )
  .map((blocks) => blocks.join("\n\n"));

/** A front-matter file written the way people do: JSON-style values are valid YAML. */
const markdownFile = fc.tuple(frontMatter, body).map(
  ([fm, text]) =>
    `---\n${Object.entries(fm)
      .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v) ?? "null"}`)
      .join("\n")}\n---\n\n${text}\n`,
);

/** Raw YAML token soup: anchors, aliases, tags, flow and block syntax, odd indentation. */
const yamlSoup = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        "title: x",
        "date: 2024-03-05",
        "tags: [a, b]",
        "a: &a [x, y]",
        "b: [*a, *a, *a]",
        "c: *a",
        "? complex\n: key",
        "!!js/function 'function(){}'",
        "!!binary aGVsbG8=",
        "!<tag:yaml.org,2002:js/regexp> /x/",
        "  - nested",
        "\t- tab",
        "key: |\n  block\n  text",
        "key: >\n  folded",
        "{a: 1, b: [2, {c: 3}]}",
        "- - - deep",
        "%YAML 1.1",
        "<<: *a",
        "'unclosed",
        '"\\u0000 escape"',
        "...",
        "---",
      ),
      nasty.map((s) => `k: ${JSON.stringify(s)}`),
    ),
    { maxLength: 20 },
  )
  .map((lines) => `---\n${lines.join("\n")}\n---\n\nBody.\n`);

const wireFile = fc
  .tuple(dateText, nasty, nasty, body)
  .map(([date, place, source, text]) => `date ${date.slice(0, 10)} ${place} (${source})- ${text}`);

// ---- properties -----------------------------------------------------------------------------

describe("parseArticle on fuzzed input: an article or an ArticleError, never anything else", () => {
  it("random front matter and Markdown", () => {
    fc.assert(
      fc.property(markdownFile, (text) => {
        parse("fuzz/article.md", text);
      }),
      { seed: SEED, numRuns: 1_000 },
    );
  });

  it("raw YAML token soup (anchors, aliases, tags, block and flow syntax)", () => {
    fc.assert(
      fc.property(yamlSoup, (text) => {
        parse("fuzz/yaml.md", text);
      }),
      { seed: SEED, numRuns: 1_000 },
    );
  });

  it("the wire format with odd places, sources and bodies", () => {
    fc.assert(
      fc.property(wireFile, (text) => {
        parse("fuzz/wire.txt", text);
      }),
      { seed: SEED, numRuns: 800 },
    );
  });

  it("random bytes and random Unicode text", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 4096 }),
          fc.string({ unit: "binary", maxLength: 2048 }),
          fc.string({ unit: "grapheme", maxLength: 2048 }),
        ),
        fc.constantFrom("fuzz/a.md", "fuzz/a.txt"),
        (input, key) => {
          parse(key, input);
        },
      ),
      { seed: SEED, numRuns: 1_000 },
    );
  });

  it("huge repetitions of the units that make parsers backtrack stay bounded", () => {
    // Each of these once took seconds to minutes at a few hundred KB (quadratic regexes and
    // sentence splitting on one huge paragraph); the bound proves they are linear now.
    const unit = fc.constantFrom(
      "Mr. ",
      "A. ",
      "#",
      "# ",
      " #",
      "*a",
      "_a",
      "[",
      "](",
      "`",
      "<a",
      "&",
      "\t \n",
      "(",
      "- ",
      "\\",
      "~",
      ":",
      "\n",
    );
    const template = fc.constantFrom(
      (s: string) => `---\ntitle: t\ndate: 2024-01-01\n---\n${s}`,
      (s: string) => `---\ndate: 2024-01-01\n---\n${s}`,
      (s: string) => `---\ndate: 2024-01-01\n---\n# ${s}\n\nBody.`,
      (s: string) => `date 2024-01-01 PLACE (SOURCE)- ${s}`,
      (s: string) =>
        `---\ntitle: t\ndate: 2024-01-01\nsummary: "${s.replace(/["\\]/g, "")}"\n---\nx`,
    );
    fc.assert(
      fc.property(unit, fc.integer({ min: 1_000, max: 120_000 }), template, (u, n, wrap) => {
        const key = wrap("").startsWith("date ") ? "fuzz/big.txt" : "fuzz/big.md";
        parse(key, wrap(u.repeat(n)));
      }),
      { seed: SEED, numRuns: 100 },
    );
  });
});

describe("parseArticle on hostile documents", () => {
  it("refuses files over the size limit with the reason", () => {
    const outcome = parse(
      "fuzz/huge.md",
      `---\ntitle: x\ndate: 2024-01-01\n---\n${"a".repeat(MAX_ARTICLE_BYTES)}`,
    );
    expect(outcome).toEqual({ ok: false, reasons: [expect.stringMatching(/larger than/)] });
  });

  it.each([
    ["flow sequences", `x: ${"[".repeat(50_000)}`],
    ["flow maps", `x: ${"{a: ".repeat(20_000)}`],
    ["block maps", Array.from({ length: 2_000 }, (_, i) => `${" ".repeat(i)}k${i}:`).join("\n")],
    ["block sequences", Array.from({ length: 2_000 }, (_, i) => `${" ".repeat(i)}-`).join("\n")],
  ])("deep nesting (%s) is refused or parsed, without a crash", (_name, yaml) => {
    parse("fuzz/deep.md", `---\ntitle: Deep\ndate: 2024-01-01\n${yaml}\n---\n\nBody.\n`);
  });

  it("alias bombs of any shape are refused or stay small", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 12 }),
        fc.integer({ min: 2, max: 12 }),
        (depth, width) => {
          const lines = ["a0: &a0 [lol, lol]"];
          for (let i = 1; i <= depth; i++) {
            lines.push(
              `a${i}: &a${i} [${Array(width)
                .fill(`*a${i - 1}`)
                .join(", ")}]`,
            );
          }
          const text = `---\ntitle: Bomb\ndate: 2024-01-01\n${lines.join("\n")}\ntags: *a${depth}\n---\n\nB.\n`;
          const outcome = parse("fuzz/bomb.md", text);
          if (!outcome.ok) expect(outcome.reasons.join(" ")).toMatch(/alias|tags/i);
        },
      ),
      { seed: SEED, numRuns: 100 },
    );
  });
});

// ---- rendered feeds -------------------------------------------------------------------------

/** Fails with xmllint's complaint unless every file is well-formed XML. */
function assertWellFormed(documents: string[]): void {
  const files = documents.map((xml, i) => {
    const path = join(scratch, `doc-${i}.xml`);
    writeFileSync(path, xml);
    return path;
  });
  const run = spawnSync("xmllint", ["--noout", "--nonet", ...files], { encoding: "utf8" });
  if (run.error) throw new Error(`xmllint could not run: ${run.error.message}`);
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
}

describe("feeds rendered from fuzzed articles", () => {
  it("are always well-formed XML and valid JSON", async () => {
    const articles = fc.array(
      fc.record({
        fm: frontMatter,
        title: nasty,
        tags: fc.array(nasty, { maxLength: 4 }),
        author: nasty,
        text: body,
        wire: fc.boolean(),
      }),
      { minLength: 1, maxLength: 6 },
    );
    await fc.assert(
      fc.asyncProperty(articles, async (list) => {
        const files: Record<string, string> = {};
        list.forEach((a, i) => {
          const fm = {
            ...a.fm,
            title: a.title,
            date: "2024-03-05T09:30:00+09:00",
            tags: a.tags,
            author: a.author,
          };
          files[`f/${i}.${a.wire ? "txt" : "md"}`] = a.wire
            ? `date 2024-03-05 ${a.author} (${a.title})- ${a.text}`
            : `---\n${Object.entries(fm)
                .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v) ?? "null"}`)
                .join("\n")}\n---\n\n${a.text}\n`;
        });
        const config = loadConfig({ SITE_URL: "https://news.example.com" });
        const { app, local } = createRuntime(config, memoryStore(files), memoryLogger());
        await local.sync();
        const articles = await local.articles();
        const paths = ["/feed.xml", "/atom.xml", "/opml.xml"];
        for (const tag of articles.flatMap((a) => a.tags).slice(0, 2)) {
          const slug = encodeURIComponent(tag.normalize("NFC"));
          paths.push(`/tags/${slug}/feed.xml`, `/tags/${slug}/atom.xml`);
        }
        const xml: string[] = [];
        for (const path of paths) {
          const response = await app.request(path);
          expect(response.status, path).toBeLessThan(500);
          if (response.status === 200) xml.push(await response.text());
        }
        assertWellFormed(xml);
        const json = await app.request("/feed.json");
        expect(json.status).toBe(200);
        const parsed = JSON.parse(await json.text()) as { items: unknown[] };
        expect(parsed.items.length).toBe(articles.slice(0, 20).length);
      }),
      { seed: SEED, numRuns: 120 },
    );
  });
});
