/**
 * Front matter can never run code or blow up: YAML's core schema only (every language tag and
 * custom tag refused or inert), no front-matter "engines" (gray-matter's `---js` evaluates
 * JavaScript), no prototype pollution, alias use and size bounded. Property-based, fixed seed.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import {
  MAX_ALIASES,
  MAX_FRONT_MATTER_BYTES,
  parseYaml,
} from "../../functions/articles/frontmatter.ts";
import { parseArticle } from "../../functions/articles/parse.ts";
import { ArticleError } from "../../functions/errors.ts";

const SEED = 20_261_130;
const canary = globalThis as { pwned?: unknown; polluted?: unknown };

afterEach(() => {
  delete canary.pwned;
});

function outcome(text: string): "parsed" | "refused" {
  const bytes = new TextEncoder().encode(text);
  try {
    parseArticle({ key: "fm.md", version: "v1", modified: new Date(0), size: bytes.length }, bytes);
    return "parsed";
  } catch (error) {
    if (error instanceof ArticleError) return "refused";
    throw error;
  }
}

/** Every value YAML produced is plain data: no functions, RegExps, class instances, undefined. */
function plainData(value: unknown, depth = 0): boolean {
  if (depth > 200) return true;
  if (value === null) return true;
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
      return true;
    case "object": {
      const proto = Object.getPrototypeOf(value);
      if (Array.isArray(value)) return value.every((v) => plainData(v, depth + 1));
      if (proto !== Object.prototype && proto !== null) return false;
      return Object.values(value as object).every((v) => plainData(v, depth + 1));
    }
    default:
      return false;
  }
}

const CODE = [
  "globalThis.pwned = true",
  "function () { globalThis.pwned = 1; return 1 }",
  "(() => { globalThis.pwned = 2 })()",
  "require('child_process').execSync('touch /tmp/pwned')",
];
const TAGS = [
  "!!js/function",
  "!!js/undefined",
  "!!js/regexp",
  "!<tag:yaml.org,2002:js/function>",
  "!!python/object/apply:os.system",
  "!!python/name:os.system",
  "!ruby/object:Gem::Installer",
  "!custom",
  "!!binary",
  "!!set",
  "!!omap",
  "!!timestamp",
];

describe("front matter never executes code", () => {
  it("language and custom tags on any field are refused or stay inert data", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TAGS),
        fc.constantFrom(...CODE),
        fc.constantFrom("title", "summary", "tags", "extra", "author"),
        (tag, code, field) => {
          const yaml = `title: Tagged\ndate: 2024-03-05\n${field === "title" ? "" : `${field}: ${tag} ${JSON.stringify(code)}\n`}`;
          const parsed = parseYaml(yaml);
          if ("data" in parsed) expect(plainData(parsed.data)).toBe(true);
          outcome(`---\n${yaml}---\n\nBody.\n`);
          expect(canary.pwned).toBeUndefined();
        },
      ),
      { seed: SEED, numRuns: 200 },
    );
  });

  it.each(["js", "javascript", "coffee", "json", "yaml", "toml"])(
    "a `---%s` engine fence is never evaluated",
    (engine) => {
      const text = `---${engine}\n{ title: (globalThis.pwned = "${engine}", "x"), date: "2024-03-05" }\n---\n\nBody.\n`;
      outcome(text);
      expect(canary.pwned).toBeUndefined();
    },
  );

  it("keys such as __proto__ and constructor never reach any prototype", () => {
    for (const yaml of [
      "__proto__: {polluted: yes}",
      "__proto__:\n  polluted: yes",
      "constructor: {prototype: {polluted: yes}}",
      "a: &a {polluted: yes}\n__proto__: *a",
    ]) {
      const parsed = parseYaml(yaml);
      if ("data" in parsed) expect(plainData(parsed.data)).toBe(true);
      outcome(`---\ntitle: P\ndate: 2024-03-05\n${yaml}\n---\n\nB.\n`);
      expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
      expect(canary.polluted).toBeUndefined();
    }
  });
});

describe("front matter size and alias use are bounded", () => {
  it(`allows ${MAX_ALIASES} aliases and refuses one more, wherever they stand`, () => {
    const place = fc.constantFrom(
      (n: number) => `tags: [${Array(n).fill("*t").join(", ")}]`,
      (n: number) => Array.from({ length: n }, (_, i) => `k${i}: *t`).join("\n"),
      (n: number) => `x:\n${Array(n).fill("  - *t").join("\n")}`,
      (n: number) => `x: {${Array.from({ length: n }, (_, i) => `k${i}: *t`).join(", ")}}`,
    );
    fc.assert(
      fc.property(place, (write) => {
        const at = (n: number) => parseYaml(`t: &t Transport\n${write(n)}`);
        expect("data" in at(MAX_ALIASES)).toBe(true);
        const over = at(MAX_ALIASES + 1);
        expect("error" in over && over.error).toMatch(/alias/);
      }),
      { seed: SEED, numRuns: 20 },
    );
  });

  it(`refuses front matter over ${MAX_FRONT_MATTER_BYTES / 1024} KB, multi-byte text counted in bytes`, () => {
    fc.assert(
      fc.property(fc.constantFrom("a", "é", "축", "🎉"), (ch) => {
        const bytes = Buffer.byteLength(ch);
        const fits = `x: "${ch.repeat(Math.floor((MAX_FRONT_MATTER_BYTES - 16) / bytes))}"`;
        const over = `x: "${ch.repeat(Math.ceil((MAX_FRONT_MATTER_BYTES + 1) / bytes))}"`;
        expect("data" in parseYaml(fits)).toBe(true);
        const refused = parseYaml(over);
        expect("error" in refused && refused.error).toMatch(/larger than/);
      }),
      { seed: SEED, numRuns: 8 },
    );
  });
});
