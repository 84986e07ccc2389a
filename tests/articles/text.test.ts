import { describe, expect, it } from "vitest";
import { articleId, keyHash, uuidV5 } from "../../functions/articles/ids.ts";
import { slugify, squash, stripXmlIllegal, truncateWords } from "../../functions/articles/text.ts";

describe("slugify", () => {
  it.each([
    ["Harbour Ferry Terminal Opens", "harbour-ferry-terminal-opens"],
    ["  Café Crème, brûlée!  ", "cafe-creme-brulee"],
    ["Tiếng Việt", "tieng-viet"],
    ["Climate_Change", "climate-change"],
    ["CLIMATE CHANGE!!!", "climate-change"],
    ["K&R", "k-r"],
    ["ﬁle Ⅻ", "file-xii"],
    ["---", ""],
  ])("%j → %j", (text, slug) => {
    expect(slugify(text)).toBe(slug);
  });

  it("keeps Korean as composed syllables, so the slug matches what a browser sends", () => {
    expect(slugify("축제")).toBe("축제");
    expect(slugify("수영강 등불 축제")).toBe("수영강-등불-축제");
    expect(encodeURIComponent(slugify("축제"))).toBe(encodeURIComponent("축제"));
  });

  it("keeps Japanese voiced kana distinct from unvoiced", () => {
    expect(slugify("ガイド")).toBe("ガイド");
    expect(slugify("ガイド")).not.toBe(slugify("カイト"));
    expect(slugify("コーヒー")).toBe("コーヒー");
  });

  it("is the same for NFC and NFD spellings of one word", () => {
    expect(slugify("Café".normalize("NFD"))).toBe(slugify("Café".normalize("NFC")));
    expect(slugify("축제".normalize("NFD"))).toBe("축제");
  });

  it("stays at most 80 characters, never ending in a hyphen", () => {
    const slug = slugify(`${"word ".repeat(40)}`);
    expect(slug.length).toBeLessThanOrEqual(80);
    expect(slug).not.toMatch(/-$/);
  });
});

describe("text helpers", () => {
  it("squash collapses whitespace runs and trims", () => {
    expect(squash("  a \n\t b  ")).toBe("a b");
  });

  it("truncateWords cuts at a word boundary and adds an ellipsis only when it cut", () => {
    expect(truncateWords("short text", 20)).toBe("short text");
    expect(truncateWords("one two three four", 12)).toBe("one two…");
    expect(truncateWords("one two, three four", 9)).toBe("one two…");
    expect(truncateWords("a".repeat(30), 10)).toBe(`${"a".repeat(10)}…`);
  });

  it("stripXmlIllegal removes C0 controls, lone surrogates and U+FFFE/U+FFFF only", () => {
    expect(stripXmlIllegal("a\u0000b\u0008c\u000Bd\u000Ce\u001Ff\tg\nh\ri")).toBe(
      "abcdef\tg\nh\ri",
    );
    expect(stripXmlIllegal("x\uD800y\uDC00z\uFFFE\uFFFF")).toBe("xyz");
    expect(stripXmlIllegal("서울 🚀 \u00A0 \u2028")).toBe("서울 🚀 \u00A0 \u2028");
  });
});

describe("ids", () => {
  it("uuidV5 matches the RFC 9562 test vector", () => {
    expect(uuidV5("www.example.com", "6ba7b810-9dad-11d1-80b4-00c04fd430c8")).toBe(
      "2ed6657d-e927-568b-95e1-2665a8aea6a2",
    );
  });

  it("articleId depends on the slug alone: stable, distinct, urn:uuid v5", () => {
    expect(articleId("harbour")).toBe(articleId("harbour"));
    expect(articleId("harbour")).not.toBe(articleId("harbour-2"));
    expect(articleId("harbour")).toMatch(
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it("keyHash is a short stable hash of a store key", () => {
    expect(keyHash("a/x.md")).toMatch(/^[0-9a-f]{8}$/);
    expect(keyHash("a/x.md")).toBe(keyHash("a/x.md"));
    expect(keyHash("a/x.md")).not.toBe(keyHash("b/x.md"));
  });
});
