/**
 * compileArticle: the one function turning a stored file into a servable article. Every failure
 * of any step (an exception, a stack overflow, a size, nesting, output or CPU limit) comes back
 * as that file's FailedArticle; it never throws, and its output is plain data.
 */
import { describe, expect, it } from "vitest";
import { compileArticle, DEFAULT_STEPS } from "../../functions/articles/compile.ts";
import type { CompileResult } from "../../functions/articles/compiled.ts";
import { MAX_NESTING } from "../../functions/articles/markdown.ts";
import { MAX_ARTICLE_BYTES } from "../../functions/articles/parse.ts";
import { articleFile, SITE, storedFile, wireFile } from "../fixtures/index.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);

function compile(text: string | Uint8Array, key = "news/a.md", steps = DEFAULT_STEPS) {
  const bytes = typeof text === "string" ? utf8(text) : text;
  return compileArticle(
    storedFile(key, { size: bytes.byteLength }),
    bytes,
    { siteUrl: SITE },
    steps,
  );
}

function failure(result: CompileResult) {
  if (result.ok) throw new Error(`expected a failure, got ${result.meta.title}`);
  return result;
}

function success(result: CompileResult) {
  if (!result.ok) throw new Error(`expected an article, got ${result.error}`);
  return result;
}

describe("compileArticle: a servable article", () => {
  it("gives metadata, sanitized absolute-linked HTML and a plain-text summary", () => {
    const result = success(
      compile(
        articleFile(
          {},
          'Read *the* [report](/reports/1) and <a href="javascript:alert(1)">this</a>.\n\n<script>x()</script>',
        ),
      ),
    );
    expect(result.meta.title).toBe("Harbour ferry terminal opens");
    expect(result.meta.summary).toBe("Read the report and this.");
    expect(result.html).toContain(`<a href="${SITE}/reports/1">report</a>`);
    expect(result.html).not.toMatch(/javascript:|<script/);
    expect(result.meta).not.toHaveProperty("body");
  });

  it("is plain data: a structured clone and a JSON round trip keep every field", () => {
    const result = success(compile(articleFile({ summary: "S." })));
    expect(structuredClone(result)).toEqual(result);
    const json = JSON.parse(JSON.stringify(result));
    expect(json.html).toBe(result.html);
    expect(new Date(json.meta.date).getTime()).toBe(result.meta.date.getTime());
  });

  it("renders the wire format with its dateline", () => {
    const result = success(compile(wireFile(), "wire/lagos.txt"));
    expect(result.html).toMatch(/^<p><strong>LAGOS \(DATELINE NEWS\)<\/strong> – Lagos opened/);
  });

  it("keeps the text of legacy presentational HTML (<font>, <center>) and drops the tags", () => {
    const result = success(
      compile(
        articleFile({}, 'A <font color="red">red</font> word.\n\n<center align=x>mid</center>\n'),
      ),
    );
    expect(result.html).toContain("A red word.");
    expect(result.html).toContain("mid");
    expect(result.html).not.toMatch(/<font|<center/);
  });
});

describe("compileArticle: every failure is the file's recorded error", () => {
  it("refuses a listed size above the limit before looking at the bytes", () => {
    const result = failure(
      compileArticle(storedFile("huge.md", { size: 3 * 1024 ** 3 }), new Uint8Array(0), {
        siteUrl: SITE,
      }),
    );
    expect(result).toMatchObject({ key: "huge.md", stage: "size" });
    expect(result.error).toMatch(/larger than/);
  });

  it("refuses the bytes above the limit", () => {
    const result = failure(compile("x".repeat(MAX_ARTICLE_BYTES + 1)));
    expect(result.error).toMatch(/larger than/);
  });

  it.each([
    ["2,000 × '>'", `${">".repeat(2_000)} x\n`],
    ["1,200 × '- '", `${"- ".repeat(1_200)}x\n`],
    ["1,000 × '1. '", `${"1. ".repeat(1_000)}x\n`],
    [
      "indented lists 100 deep",
      Array.from({ length: 100 }, (_, i) => `${"  ".repeat(i)}- x`).join("\n"),
    ],
  ])("refuses nesting deeper than the limit (%s), naming the depth", (_name, body) => {
    const result = failure(compile(articleFile({}, body)));
    expect(result.stage).toBe("limit");
    expect(result.error).toMatch(new RegExp(`nested \\d+ levels deep \\(limit ${MAX_NESTING}\\)`));
  });

  it("accepts nesting up to the limit and a long thematic break", () => {
    success(compile(articleFile({}, `${">".repeat(MAX_NESTING)} x\n\n${"* ".repeat(500)}\n`)));
  });

  it("refuses an id readers would not treat as an id (javascript:alert(1))", () => {
    const result = failure(compile(articleFile({ id: "javascript:alert(1)" })));
    expect(result.stage).toBe("parse");
    expect(result.error).toMatch(/^id: must be a URI that feed readers treat as an id/);
  });

  it.each([
    ["urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66", true],
    ["tag:news.example.com,2024:ferry", true],
    ["tag:news.example.com,2024-03-05:ferry", true],
    ["https://news.example.com/a/1", true],
    ["http://news.example.com/a/1", true],
    ["javascript:alert(1)", false],
    ["data:text/html,hi", false],
    ["mailto:desk@news.example.com", false],
    ["urn:", false],
    ["https://", false],
    ["tag:nodate:x", false],
  ])("id %s is accepted: %s", (id, accepted) => {
    expect(compile(articleFile({ id })).ok).toBe(accepted);
  });

  const STEPS = [
    ["decode", "decode"],
    ["parse", "parse"],
    ["render", "render"],
    ["sanitize", "sanitize"],
    ["sanitizeMarkdown", "sanitize"],
  ] as const;
  it.each(STEPS)("a %s step that throws becomes a failure at stage %s", (step, stage) => {
    const steps = {
      ...DEFAULT_STEPS,
      [step]: () => {
        throw new TypeError(`injected ${step} failure`);
      },
    };
    // Raw HTML in the source takes the general sanitizer, Markdown alone the md4c-output one.
    const body = step === "sanitize" ? "Some <b>raw</b> HTML.\n" : "Plain *Markdown*.\n";
    const result = failure(compile(articleFile({}, body), "news/a.md", steps));
    expect(result).toMatchObject({
      key: "news/a.md",
      stage,
      error: `TypeError: injected ${step} failure`,
    });
  });

  it("a stack overflow while rendering becomes a failure", () => {
    const overflow = (depth: number): number => overflow(depth + 1) + 1;
    const result = failure(
      compile(articleFile(), "news/a.md", { ...DEFAULT_STEPS, render: () => String(overflow(0)) }),
    );
    expect(result.stage).toBe("render");
    expect(result.error).toMatch(/cannot be rendered \(Maximum call stack size exceeded\)/);
  });

  it("non-Error throws and non-UTF-8 bytes are failures too", () => {
    const steps = {
      ...DEFAULT_STEPS,
      parse: () => {
        throw "a string";
      },
    };
    expect(failure(compile(articleFile(), "a.md", steps)).error).toBe("a string");
    expect(failure(compile(new Uint8Array([0xff, 0xfe, 0x00]))).error).toBe("not valid UTF-8 text");
  });
});
