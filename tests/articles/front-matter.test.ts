import { describe, expect, it } from "vitest";
import { articleError, articleFile, parseText } from "../fixtures/index.ts";

const KEY = "2024/harbour.md";

/** The article parsed from BASE front matter plus `fields`. */
function parsed(fields: Record<string, unknown>, body?: string) {
  return parseText(KEY, articleFile(fields, body));
}

function reasons(fields: Record<string, unknown>, body?: string): string[] {
  return articleError(KEY, articleFile(fields, body)).reasons;
}

describe("front matter: title, dates", () => {
  it("takes the title as written, whitespace collapsed", () => {
    expect(parsed({ title: "  Ferry   terminal\topens " }).article.title).toBe(
      "Ferry terminal opens",
    );
  });

  it.each([
    ["2024-03-05", "2024-03-05T00:00:00.000Z"],
    ["2024-03-05T09:30:00+09:00", "2024-03-05T00:30:00.000Z"],
    ["2024-03-05T09:30:00-05:00", "2024-03-05T14:30:00.000Z"],
    ["2024-03-05T09:30:00+09:30", "2024-03-05T00:00:00.000Z"],
    ["2024-03-05T09:30:00Z", "2024-03-05T09:30:00.000Z"],
    ["2024-03-05T09:30:00.250+02:00", "2024-03-05T07:30:00.250Z"],
    ["2024-03-05 09:30:00+0930", "2024-03-05T00:00:00.000Z"],
    ["2024-03-05 09:30:00 +0900", "2024-03-05T00:30:00.000Z"],
    ["2024-03-05 09:30 -05:00", "2024-03-05T14:30:00.000Z"],
    ["2024-03-05t09:30:00z", "2024-03-05T09:30:00.000Z"],
  ])("reads date %s as %s", (date, iso) => {
    const { article, warnings } = parsed({ date });
    expect(article.date.toISOString()).toBe(iso);
    expect(warnings).toEqual([]);
  });

  it("reads an unquoted YAML date as the same instant as a quoted one", () => {
    const text = articleFile({ date: undefined }).replace("---\n", "---\ndate: 2024-03-05\n");
    expect(parseText(KEY, text).article.date.toISOString()).toBe("2024-03-05T00:00:00.000Z");
    const withTime = articleFile({ date: undefined }).replace(
      "---\n",
      "---\ndate: 2024-03-05T09:30:00+09:00\n",
    );
    expect(parseText(KEY, withTime).article.date.toISOString()).toBe("2024-03-05T00:30:00.000Z");
  });

  it("warns (does not fail) when a date-time has no offset, and reads it as UTC", () => {
    const { article, warnings } = parsed({ date: "2024-03-05T09:30:00" });
    expect(article.date.toISOString()).toBe("2024-03-05T09:30:00.000Z");
    expect(warnings.join("\n")).toMatch(/date:.*UTC/);
  });

  it.each([
    "2024-02-30",
    "2023-02-29",
    "2024-13-01",
    "2024-04-31",
    "2024-00-10",
    "2024-03-05T24:00:00Z",
    "2024-03-05T09:60:00Z",
    "2024-03-05T09:30:00+25:00",
    "5 March 2024",
    "yesterday",
    "",
  ])("rejects the impossible or malformed date %j with the field named", (date) => {
    expect(reasons({ date }).join("\n")).toMatch(/^date: /m);
  });

  it("accepts 29 February in a leap year", () => {
    expect(parsed({ date: "2024-02-29" }).article.date.toISOString()).toBe(
      "2024-02-29T00:00:00.000Z",
    );
  });

  it("reads updated, defaulting to date, and never lets it be earlier than date", () => {
    expect(parsed({}).article.updated.toISOString()).toBe("2024-03-05T00:30:00.000Z");
    expect(parsed({ updated: "2024-03-07T10:00:00-05:00" }).article.updated.toISOString()).toBe(
      "2024-03-07T15:00:00.000Z",
    );
    const early = parsed({ updated: "2024-01-01" });
    expect(early.article.updated.toISOString()).toBe("2024-03-05T00:30:00.000Z");
    expect(early.warnings.join("\n")).toMatch(/^updated:/m);
    expect(reasons({ updated: "2024-02-30" }).join("\n")).toMatch(/^updated: /m);
  });

  it("refuses a missing date, naming the field and how to fix it", () => {
    expect(reasons({ date: undefined }).join("\n")).toMatch(/^date: missing/m);
  });
});

describe("front matter: people", () => {
  it("takes author as a plain name", () => {
    expect(parsed({ author: "Kim Seo-yeon" }).article.authors).toEqual([{ name: "Kim Seo-yeon" }]);
  });

  it("takes author as a map with name, email and url", () => {
    const author = { name: "Ana Lima", email: "ana@example.com", url: "https://ana.example" };
    expect(parsed({ author }).article.authors).toEqual([author]);
  });

  it("takes an authors list mixing names and maps, in order", () => {
    const { article } = parsed({
      author: undefined,
      authors: ["Kim Seo-yeon", { name: "Ana Lima", email: "ana@example.com" }],
    });
    expect(article.authors).toEqual([
      { name: "Kim Seo-yeon" },
      { name: "Ana Lima", email: "ana@example.com" },
    ]);
  });

  it("has no authors when none is given (the feed falls back to the site author)", () => {
    expect(parsed({ author: undefined }).article.authors).toEqual([]);
  });

  it("reports every schema problem with its path", () => {
    const found = reasons({
      author: undefined,
      authors: ["Kim", { name: "Ana", email: "not-an-email" }, { email: "x@example.com" }],
      tags: ["ok", 5, ["nested"]],
      draft: "maybe",
      attachments: [{ url: "javascript:alert(1)", type: "audio" }],
    });
    const text = found.join("\n");
    expect(text).toMatch(/^authors\.1\.email: /m);
    expect(text).toMatch(/^authors\.2(\.name)?: /m);
    expect(text).toMatch(/^tags(\.2)?: /m);
    expect(text).toMatch(/^draft: /m);
    expect(text).toMatch(/^attachments\.0\.url: /m);
    expect(text).toMatch(/^attachments\.0\.type: /m);
  });

  it("names the field of a bad author map", () => {
    expect(reasons({ author: { name: "Ana", url: "javascript:alert(1)" } }).join("\n")).toMatch(
      /^author\.url: /m,
    );
  });
});

describe("front matter: tags, summary, image, slug, draft, lang, attachments", () => {
  it("takes tags as a list or as a single string", () => {
    expect(parsed({ tags: ["Transport", "Busan"] }).article.tags).toEqual(["Transport", "Busan"]);
    expect(parsed({ tags: "Transport" }).article.tags).toEqual(["Transport"]);
    expect(parsed({ tags: undefined }).article.tags).toEqual([]);
  });

  it("collapses tags that differ only by case or punctuation, keeping the first spelling", () => {
    const { article } = parsed({
      tags: [
        "Climate Change",
        "climate-change",
        "CLIMATE CHANGE!",
        "climate_change",
        "축제",
        "축제",
      ],
    });
    expect(article.tags).toEqual(["Climate Change", "축제"]);
  });

  it("refuses a tag with no letter or digit", () => {
    expect(reasons({ tags: ["ok", "!!!"] }).join("\n")).toMatch(/^tags(\.1)?: /m);
  });

  it("takes summary as plain text and otherwise derives it from the first paragraph", () => {
    expect(parsed({ summary: "  Short\n  summary. " }).article.summary).toBe("Short summary.");
    expect(parsed({}, "First *para* graph.\n\nSecond.\n").article.summary).toBe(
      "First para graph.",
    );
  });

  it("keeps image as written (resolution against the site happens when rendering)", () => {
    expect(parsed({ image: "/img/ferry.jpg" }).article.image).toBe("/img/ferry.jpg");
    expect(parsed({ image: "https://cdn.example/f.jpg" }).article.image).toBe(
      "https://cdn.example/f.jpg",
    );
  });

  it.each(["javascript:alert(1)", "data:image/png;base64,AAAA", "vbscript:x"])(
    "refuses the image URL %s",
    (image) => {
      expect(reasons({ image }).join("\n")).toMatch(/^image: /m);
    },
  );

  it("uses the slug from front matter, else the file name", () => {
    expect(parsed({ slug: "Ferry Terminal 2024" }).article.slug).toBe("ferry-terminal-2024");
    expect(parsed({}).article.slug).toBe("harbour");
  });

  it("marks drafts", () => {
    expect(parsed({ draft: true }).article.draft).toBe(true);
    expect(parsed({}).article.draft).toBe(false);
  });

  it("takes lang as a language tag and refuses anything else", () => {
    expect(parsed({ lang: "ko" }).article.lang).toBe("ko");
    expect(parsed({ lang: "en-GB" }).article.lang).toBe("en-GB");
    expect(reasons({ lang: "not a language" }).join("\n")).toMatch(/^lang: /m);
  });

  it("takes attachments with type, size, title and duration", () => {
    const { article } = parsed({
      attachments: [
        { url: "/audio/ep1.mp3", type: "Audio/MPEG", size: 1234, title: "Episode 1", duration: 61 },
        { url: "https://cdn.example/report.pdf", type: "application/pdf" },
      ],
    });
    expect(article.attachments).toEqual([
      {
        url: "/audio/ep1.mp3",
        type: "audio/mpeg",
        size: 1234,
        title: "Episode 1",
        durationSeconds: 61,
      },
      { url: "https://cdn.example/report.pdf", type: "application/pdf" },
    ]);
  });

  it("refuses a negative or fractional attachment size", () => {
    expect(
      reasons({ attachments: [{ url: "/a.mp3", type: "audio/mpeg", size: -1 }] }).join("\n"),
    ).toMatch(/^attachments\.0\.size: /m);
    expect(
      reasons({ attachments: [{ url: "/a.mp3", type: "audio/mpeg", size: 1.5 }] }).join("\n"),
    ).toMatch(/^attachments\.0\.size: /m);
  });

  it("warns about unknown fields but still parses the article", () => {
    const { article, warnings } = parsed({ categories: ["x"], layout: "post" });
    expect(article.title).toBe("Harbour ferry terminal opens");
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^categories: /),
        expect.stringMatching(/^layout: /),
      ]),
    );
  });

  it("refuses front matter that is not a map", () => {
    const text = "---\n- a\n- b\n---\n\nBody.\n";
    expect(articleError(KEY, text).reasons.join("\n")).toMatch(/map/);
  });
});

describe("front matter: YAML safety", () => {
  const withYaml = (yaml: string) => `---\n${yaml}\n---\n\nBody text.\n`;

  it.each([
    ["!!js/function", 'title: !!js/function "function () { globalThis.pwned = true; return 1 }"'],
    ["!!js/undefined", "title: !!js/undefined ''"],
    ["!!js/regexp", "title: !!js/regexp /x/"],
    ["!<tag:yaml.org,2002:js/function>", 'title: !<tag:yaml.org,2002:js/function> "function(){}"'],
    ["!!python/object", "title: !!python/object/apply:os.system ['echo pwned']"],
  ])("never executes %s: refused or kept as inert text", (_tag, line) => {
    const text = withYaml(`${line}\ndate: 2024-03-05`);
    let title: unknown;
    try {
      title = parseText(KEY, text).article.title;
    } catch (error) {
      expect(articleError(KEY, text).reasons.join("\n")).toMatch(/YAML|title/);
      expect(error).toBeInstanceOf(Error);
    }
    if (title !== undefined) expect(typeof title).toBe("string");
    expect((globalThis as { pwned?: boolean }).pwned).toBeUndefined();
  });

  it("refuses a billion-laughs alias bomb with a reason", () => {
    const levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(", ")}]`);
    }
    const text = withYaml(`title: Bomb\ndate: 2024-03-05\n${levels.join("\n")}\ntags: *j`);
    expect(articleError(KEY, text).reasons.join("\n")).toMatch(/alias/i);
  });

  it("stays bounded for a deep, narrow alias chain under known and unknown fields", () => {
    const levels = ["l0: &l0 [x, y]"];
    for (let i = 1; i <= 24; i++) levels.push(`l${i}: &l${i} [*l${i - 1}, *l${i - 1}]`);
    for (const field of ["tags", "extra", "authors"]) {
      const text = withYaml(`title: Chain\ndate: 2024-03-05\n${levels.join("\n")}\n${field}: *l24`);
      // Either refused with a reason or parsed; what matters is that it returns at all.
      try {
        parseText(KEY, text);
      } catch {
        expect(articleError(KEY, text).reasons.length).toBeGreaterThan(0);
      }
    }
  });

  it("refuses front matter over 64 KB and accepts it just under", () => {
    const big = `title: Big\ndate: 2024-03-05\nnotes: "${"x".repeat(64 * 1024)}"`;
    expect(articleError(KEY, withYaml(big)).reasons.join("\n")).toMatch(/64 KB/);
    const fits = `title: Fits\ndate: 2024-03-05\nnotes: "${"x".repeat(60 * 1024)}"`;
    expect(parseText(KEY, withYaml(fits)).article.title).toBe("Fits");
  });

  it("refuses duplicate keys", () => {
    const text = withYaml("title: One\ntitle: Two\ndate: 2024-03-05");
    expect(articleError(KEY, text).reasons.join("\n")).toMatch(/duplicate|duplicated/i);
  });

  it("refuses malformed YAML with a reason naming YAML", () => {
    const text = withYaml('title: "unclosed\ndate: [2024');
    const error = articleError(KEY, text);
    expect(error.file).toBe(KEY);
    expect(error.reasons.join("\n")).toMatch(/YAML/);
  });

  it("refuses an opening fence that is never closed", () => {
    expect(articleError(KEY, "---\ntitle: x\n\nBody\n").reasons.join("\n")).toMatch(/closing/);
  });

  it("keeps YAML 1.1 booleans like `no` and `on` as text, not false/true", () => {
    const { article } = parseText(KEY, withYaml("title: no\ndate: 2024-03-05\ntags: [on, yes]"));
    expect(article.title).toBe("no");
    expect(article.tags).toEqual(["on", "yes"]);
  });
});
