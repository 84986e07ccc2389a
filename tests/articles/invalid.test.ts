import { describe, expect, it } from "vitest";
import { MAX_ARTICLE_BYTES } from "../../functions/articles/parse.ts";
import { stripXmlIllegal } from "../../functions/articles/text.ts";
import { ArticleError } from "../../functions/errors.ts";
import { articleError, articleFile, parseText, utf8, wireFile } from "../fixtures/index.ts";

const KEY = "2024/broken.md";

describe("invalid articles are refused with the file and a reason", () => {
  it.each([
    ["bad YAML", articleFile().replace("title:", "title: [unclosed\n  x:"), /YAML/],
    ["missing date", articleFile({ date: undefined }), /^date: missing/m],
    ["impossible date", articleFile({ date: "2024-02-30" }), /^date: /m],
    ["empty file", "", /empty/],
    ["whitespace only", " \n\t\r\n  \n", /empty/],
    ["BOM and whitespace only", "\uFEFF  \n", /empty/],
    ["front matter but no text and no title", "---\ndate: 2024-03-05\n---\n\n", /text|title/],
  ])("%s", (_name, text, reason) => {
    const error = articleError(KEY, text);
    expect(error).toBeInstanceOf(ArticleError);
    expect(error.file).toBe(KEY);
    expect(error.message).toContain(KEY);
    expect(error.reasons.join("\n")).toMatch(reason);
  });

  it("refuses bytes that are not UTF-8", () => {
    const latin1 = Uint8Array.from([...utf8("---\ntitle: Caf"), 0xe9, ...utf8("\n---\n\nBody\n")]);
    const error = articleError(KEY, latin1);
    expect(error.file).toBe(KEY);
    expect(error.reasons.join("\n")).toMatch(/UTF-8/);
  });

  it("refuses a file over the size limit (256 KB) and accepts one just under", () => {
    const head = articleFile({}, "");
    const over = head + "x".repeat(MAX_ARTICLE_BYTES - utf8(head).byteLength + 1);
    expect(utf8(over).byteLength).toBe(MAX_ARTICLE_BYTES + 1);
    expect(articleError(KEY, over).reasons.join("\n")).toMatch(/larger than 256 KB/);
    const under = head + "x".repeat(MAX_ARTICLE_BYTES - utf8(head).byteLength);
    expect(parseText(KEY, under).article.title).toBe("Harbour ferry terminal opens");
  });

  it("reports every problem at once, not just the first", () => {
    const error = articleError(KEY, articleFile({ date: "2024-02-30", lang: "???", draft: "x" }));
    const text = error.reasons.join("\n");
    expect(text).toMatch(/^date: /m);
    expect(text).toMatch(/^lang: /m);
    expect(text).toMatch(/^draft: /m);
  });
});

describe("encoding and characters", () => {
  it("reads a file with a BOM and CRLF line endings like its LF twin", () => {
    const lf = articleFile({ summary: "Line one." }, "First paragraph.\n\nSecond paragraph.\n");
    const crlf = `\uFEFF${lf.replace(/\n/g, "\r\n")}`;
    const a = parseText(KEY, lf).article;
    const b = parseText(KEY, crlf).article;
    expect(b).toEqual(a);
    expect(b.body).not.toContain("\r");
  });

  it("reads a BOM + CRLF wire file", () => {
    const text = `\uFEFF${wireFile().replace(/\n/g, "\r\n")}`;
    const { article } = parseText("wire/x.txt", text);
    expect(article.dateline).toBe("LAGOS (DATELINE NEWS)");
    expect(article.body.split("\n\n")).toHaveLength(2);
    expect(article.body).not.toContain("\r");
  });

  it("reads old Mac CR-only line endings", () => {
    const text = articleFile({}, "One.\n\nTwo.\n").replace(/\n/g, "\r");
    expect(parseText(KEY, text).article.body.trim()).toBe("One.\n\nTwo.");
  });

  it("strips control characters (keeping tab and newline) from every field and the body", () => {
    const text = articleFile(
      {
        title: "Ferry\u0000 terminal\u0007 opens\u001F",
        tags: ["Tran\u0008sport"],
        author: "Kim\u000B",
      },
      "Body\u0001 text\twith tab.\n\nSecond\u001B para.\n",
    );
    const { article } = parseText(KEY, text);
    expect(article.title).toBe("Ferry terminal opens");
    expect(article.tags).toEqual(["Transport"]);
    expect(article.authors).toEqual([{ name: "Kim" }]);
    expect(article.body.trim()).toBe("Body text\twith tab.\n\nSecond para.");
    // Nothing XML 1.0 forbids survives anywhere in the parsed article.
    expect(JSON.stringify(article)).not.toMatch(/\\u00(0[0-8bcef]|1[0-9a-f])/i);
  });

  it("strips lone surrogates and U+FFFE/U+FFFF but keeps Korean and emoji", () => {
    // A lone surrogate cannot be encoded as UTF-8, so it arrives escaped in YAML.
    const text = `---\ntitle: "서울 🚀 \\uD800 x\\uFFFE\\uFFFF"\ndate: 2024-03-05\n---\n\n축제 🎉 본문.\n`;
    const { article } = parseText(KEY, text);
    // The YAML parser may turn the lone surrogate into U+FFFD; it must not reach the title raw.
    expect(article.title).toMatch(/^서울 🚀 \uFFFD? ?x$/u);
    expect(article.title).toBe(stripXmlIllegal(article.title));
    expect(article.body.trim()).toBe("축제 🎉 본문.");
  });
});
