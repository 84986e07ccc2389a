import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { deriveHeadline, firstSentence } from "../../functions/articles/wire.ts";
import { articleError, parseText, wireFile } from "../fixtures/index.ts";

const SEED_KEY = "000_379200ea27c0657a.txt";
const SEED = readFileSync(new URL(`../../content/${SEED_KEY}`, import.meta.url));

describe("the seed wire article", () => {
  const { article, warnings } = parseText(SEED_KEY, SEED);
  const paragraphs = article.body.split("\n\n");

  it("is a wire article dated 2019-04-16 and credited to Bloomberg", () => {
    expect(article.format).toBe("wire");
    expect(article.date.toISOString()).toBe("2019-04-16T00:00:00.000Z");
    expect(article.authors).toEqual([{ name: "Bloomberg" }]);
    expect(article.dateline).toBe("SEOUL (BLOOMBERG)");
    expect(warnings).toEqual([]);
  });

  it("takes its headline from the first sentence, cut at a word boundary within 110 characters", () => {
    expect(article.title.length).toBeLessThanOrEqual(110);
    expect(article.title).toMatch(
      /^Russia is preparing for North Korean leader Kim Jong Un's first summit with President Vladimir Putin/,
    );
    const words = article.title.replace(/…$/, "").split(" ");
    const sentence = (paragraphs[0] ?? "").split(" ");
    // Every word of the headline is a whole word of the sentence, in order.
    expect(sentence.slice(0, words.length)).toEqual(words);
  });

  it("does not repeat the date marker or the dateline in the body", () => {
    expect(article.body).not.toMatch(/^\s*date\b/);
    expect(article.body).not.toContain("2019-04-16");
    expect(article.body).not.toContain("SEOUL (BLOOMBERG)");
    expect(paragraphs[0]).toMatch(/^Russia is preparing/);
  });

  it("keeps all nine paragraphs, in order and whole", () => {
    expect(paragraphs).toHaveLength(9);
    expect(paragraphs[1]).toMatch(/^Russian officials told .* \(April 16\)\.$/);
    expect(paragraphs[8]).toBe(
      "South Korean President Moon Jae-in's office said it was not its place to confirm the date and location of any upcoming summit between Mr Putin and Mr Kim.",
    );
  });

  it("summarizes with the first paragraph", () => {
    expect(article.summary).toBe(paragraphs[0]);
  });
});

describe("wire format variants", () => {
  const KEY = "wire/story.txt";

  it.each([
    ["- ", "hyphen right after the source"],
    [" -", "spaced hyphen with no space after"],
    [" - ", "spaced hyphen"],
    ["–", "en dash with no spaces"],
    [" – ", "spaced en dash"],
    [" — ", "spaced em dash"],
    ["—", "em dash with no spaces"],
    [" -- ", "double hyphen"],
    ["--", "double hyphen with no spaces"],
  ])("reads the dateline separator %j (%s)", (separator) => {
    const { article } = parseText(KEY, wireFile({ separator }));
    expect(article.dateline).toBe("LAGOS (DATELINE NEWS)");
    expect(article.authors).toEqual([{ name: "Dateline News" }]);
    expect(article.body).toMatch(/^Lagos opened the first section/);
    expect(article.title).toMatch(/^Lagos opened/);
  });

  it.each(["   ", "\n\n", " \t\n "])(
    "allows leading whitespace %j before the marker",
    (leading) => {
      const { article } = parseText(KEY, wireFile({ leading }));
      expect(article.date.toISOString()).toBe("2024-06-02T00:00:00.000Z");
      expect(article.dateline).toBe("LAGOS (DATELINE NEWS)");
    },
  );

  it("credits an all-caps source by name but keeps short acronyms", () => {
    expect(parseText(KEY, wireFile({ source: "REUTERS" })).article.authors).toEqual([
      { name: "Reuters" },
    ]);
    expect(parseText(KEY, wireFile({ source: "AP" })).article.authors).toEqual([{ name: "AP" }]);
    expect(parseText(KEY, wireFile({ source: "AFP" })).article.authors).toEqual([{ name: "AFP" }]);
  });

  it("keeps places with spaces and punctuation", () => {
    const { article } = parseText(KEY, wireFile({ place: "NEW YORK, N.Y.", source: "AP" }));
    expect(article.dateline).toBe("NEW YORK, N.Y. (AP)");
  });

  it("reads an article with a marker but no dateline; the body starts after the date", () => {
    const text = "date 2024-06-02 Boats began running on Sunday.\n\nSecond paragraph.\n";
    const { article } = parseText(KEY, text);
    expect(article.dateline).toBeUndefined();
    expect(article.body).toBe("Boats began running on Sunday.\n\nSecond paragraph.");
    expect(article.authors).toEqual([]);
  });

  it("does not end the first sentence at Mr., U.S. or an initial", () => {
    const first =
      "Mr. Kim met U.S. envoy John F. Kerry in Hanoi on Tuesday. They talked for an hour.";
    const { article } = parseText(KEY, wireFile({ paragraphs: [first, "More."] }));
    expect(article.title).toBe("Mr. Kim met U.S. envoy John F. Kerry in Hanoi on Tuesday");
  });

  it.each([
    [
      "Dr. Lee said the U.K. and U.S. would meet. Later text.",
      "Dr. Lee said the U.K. and U.S. would meet",
    ],
    ["Mrs. Park and Ms. Cho left. Then more.", "Mrs. Park and Ms. Cho left"],
    ["Prices rose 3.5 percent. Analysts were surprised.", "Prices rose 3.5 percent"],
    ["Is this the end? Perhaps not.", "Is this the end?"],
  ])("first sentence of %j", (paragraph, sentence) => {
    expect(deriveHeadline(paragraph)).toBe(sentence);
    expect(firstSentence(paragraph).replace(/\.$/, "")).toBe(sentence);
  });

  it("ends a sentence at lower-case words that only look like abbreviations (no., co.)", () => {
    expect(deriveHeadline("The answer was no. Officials left the room.")).toBe("The answer was no");
    expect(deriveHeadline("Ministers met in St. Petersburg on Monday. Talks went on.")).toBe(
      "Ministers met in St. Petersburg on Monday",
    );
  });

  it("keeps one paragraph per line when the text has no blank lines at all", () => {
    const text =
      "date 2024-06-02 LAGOS (AP) - Boats began running on Sunday.\nOfficials were pleased.\nFares are low.\n";
    const { article } = parseText(KEY, text);
    expect(article.body.split("\n\n")).toEqual([
      "Boats began running on Sunday.",
      "Officials were pleased.",
      "Fares are low.",
    ]);
  });

  it("joins hard-wrapped lines inside a paragraph when paragraphs are separated by blank lines", () => {
    const text = `date 2024-06-02 LAGOS (AP) - Boats began\nrunning on Sunday.\n\nOfficials\nwere pleased.\n`;
    expect(parseText(KEY, text).article.body).toBe(
      "Boats began running on Sunday.\n\nOfficials were pleased.",
    );
  });

  it("cuts a long first sentence at a word boundary, at most about 110 characters", () => {
    const long = `${"Officials said the extraordinary session would ".repeat(5)}continue.`;
    const title = deriveHeadline(long);
    expect(title.length).toBeLessThanOrEqual(111);
    expect(title.endsWith("…")).toBe(true);
    expect(long.startsWith(title.slice(0, -1))).toBe(true);
    expect(long.charAt(title.length - 1)).toBe(" ");
  });

  it("lets front matter override every derived field", () => {
    const text = `---\ntitle: Waterbus launch\nauthor: Ade Bello\ndate: 2024-06-03T08:00:00+01:00\nsummary: Boats now run.\nslug: waterbus\n---\n${wireFile()}`;
    const { article } = parseText(KEY, text);
    expect(article.format).toBe("wire");
    expect(article.title).toBe("Waterbus launch");
    expect(article.authors).toEqual([{ name: "Ade Bello" }]);
    expect(article.date.toISOString()).toBe("2024-06-03T07:00:00.000Z");
    expect(article.summary).toBe("Boats now run.");
    expect(article.slug).toBe("waterbus");
    expect(article.body).toMatch(/^Lagos opened/);
  });

  it("refuses a .txt file without the date marker", () => {
    const error = articleError(KEY, "Lagos opened the first section of a waterbus network.\n");
    expect(error.file).toBe(KEY);
    expect(error.reasons.join("\n")).toMatch(/date YYYY-MM-DD/);
  });

  it("refuses an impossible wire date", () => {
    const error = articleError(KEY, wireFile({ date: "2024-02-30" }));
    expect(error.reasons.join("\n")).toMatch(/^date: .*2024-02-30/m);
  });

  it("refuses a marker with nothing after it", () => {
    expect(articleError(KEY, "date 2024-06-02\n\n").reasons.length).toBeGreaterThan(0);
  });

  it("reads a wire marker in a .md file without front matter as wire", () => {
    const { article } = parseText("story.md", wireFile());
    expect(article.format).toBe("wire");
    expect(article.dateline).toBe("LAGOS (DATELINE NEWS)");
  });
});
