/**
 * Super-linear Markdown families: short patterns that, repeated into one paragraph (or nested),
 * made some CommonMark engine take quadratic time or overflow its stack. Each comes from a
 * report on an engine's issue tracker (marked, markdown-it, md4c, cmark, pulldown-cmark) or
 * from this repository's own history; the fuzz suite and the benchmark both repeat them up to
 * the article size limit.
 */
export interface Family {
  name: string;
  /** The text for about `bytes` bytes of the pattern. */
  make(bytes: number): string;
}

const repeat =
  (unit: string, tail = "") =>
  (bytes: number) =>
    unit.repeat(Math.max(1, Math.floor((bytes - tail.length) / unit.length))) + tail;

/** Nested containers: the opener repeated, then one line of text (stack depth, not length). */
const nest = (opener: string) => (bytes: number) =>
  `${opener.repeat(Math.max(1, Math.floor((bytes - 2) / opener.length)))}x\n`;

export const FAMILIES: Family[] = [
  { name: "*a (emphasis openers)", make: repeat("*a") },
  { name: "**_* (mixed delimiters)", make: repeat("**_* ") },
  { name: "*_ (alternating delimiters)", make: repeat("*_") },
  { name: "_a a_ (intraword)", make: repeat("_a a_a") },
  { name: "~ (tilde run)", make: repeat("~") },
  { name: "~~a (strikethrough openers)", make: repeat("~~a ") },
  { name: "< (lone angles)", make: repeat("<") },
  { name: "<> (empty autolinks)", make: repeat("<>") },
  { name: "\\`` (escaped backticks)", make: repeat("\\``") },
  { name: "``\\ (backticks, escape)", make: repeat("``\\") },
  { name: "`x   x` (spaces in code)", make: (n) => `\`x${" ".repeat(Math.max(1, n - 4))}x\`` },
  { name: "[]( (unclosed links)", make: repeat("[](") },
  { name: "[](( (unclosed links, parens)", make: repeat("[]((") },
  { name: "[ (]( (link titles)", make: repeat("[ (](") },
  { name: "]([ newline", make: repeat("]([\n") },
  { name: "[a](<b (angle destinations)", make: repeat("[a](<b") },
  { name: "[[[ ]]] (nested brackets)", make: (n) => `${"[".repeat(n / 2)}${"]".repeat(n / 2)}` },
  { name: "![[ (nested images)", make: repeat("![") },
  { name: "[x]: references", make: repeat("[x]: /u\n[x] ") },
  { name: "a <![CDATA[", make: repeat("a <![CDATA[") },
  { name: "a <? (processing)", make: repeat("a <? ") },
  { name: "a <!A (declarations)", make: repeat("a <!A") },
  { name: "<a  (unclosed tags)", make: repeat('<a href="') },
  { name: "&# (entities)", make: repeat("&#") },
  { name: "www. (autolinks)", make: repeat("www.a") },
  { name: "http:// (autolinks)", make: repeat("http://a") },
  { name: "a@b. (email autolinks)", make: repeat("a@b.") },
  { name: "* * * a (list markers)", make: repeat("* ", "a") },
  { name: "|a| (table cells)", make: (n) => `|${"a|".repeat(n / 4)}\n|${"-|".repeat(n / 4)}\n` },
  { name: "table rows", make: repeat("|a|b|\n", "") },
  { name: "> nested quotes", make: nest(">") },
  { name: "- nested lists", make: nest("- ") },
  { name: "1. nested ordered lists", make: nest("1. ") },
  { name: "> - mixed nesting", make: nest("> - ") },
  { name: "<div> nesting", make: repeat("<div>") },
  {
    name: "<font>/<center> legacy HTML",
    make: repeat('A <font color="red">red</font> <center align=x>c</center> '),
  },
  { name: "<em> unclosed inline HTML", make: repeat("<em>x") },
  { name: "\\ (backslashes)", make: repeat("\\") },
  { name: "# headings", make: repeat("# a\n") },
  { name: "setext ===", make: repeat("a\n=\n") },
  { name: "``` fences", make: repeat("```\n") },
  { name: "long word", make: repeat("a") },
];
