/**
 * A corpus of broken articles, each with the lines `check-content` must print for it. Paths are
 * store keys; `expected` holds `key:line: reason` lines in the CLI's order (file, then line).
 */

import { MAX_ARTICLE_BYTES } from "../../functions/articles/limits.ts";
import { articleFile, wireFile } from "../fixtures/articles.ts";

/** Front matter written line by line, so each test line number is plain to see. */
const fm = (...lines: string[]) => `---\n${lines.join("\n")}\n---\n`;

export const BROKEN: Record<string, string> = {
  // Line 4 is indented under a scalar: js-yaml reports it at YAML line 3, column 9.
  "yaml-error.md": `${fm("title: Broken", "date: 2024-01-01", "  author: Nobody")}Body.\n`,
  // Two blank lines before the front matter move every line down by two.
  "leading-blank.md": `\n\n${fm("title: Late start", "date: 2024-01-02", "colour: red")}Body.\n`,
  "unknown-field.md": `${fm("titel: Typo", "title: Typo fixed", "date: 2024-01-03")}Body.\n`,
  "missing-date.md": `${fm("title: Undated")}Body.\n`,
  "impossible-date.md": `${fm("title: Leap", "author: Desk", "date: 2023-02-29")}Body.\n`,
  "no-offset.md": `${fm("title: Local time", "date: 2024-01-04T10:00:00")}Body.\n`,
  "2024/ferry.md": `${fm("title: Ferry one", "date: 2024-01-05")}Body.\n`,
  "2025/ferry.md": `${fm("title: Ferry two", "date: 2025-01-05")}Body.\n`,
  "claims/first.md": `${fm("title: First", "date: 2024-01-06", "slug: shared", "id: urn:x:1")}B.\n`,
  "claims/second.md": `${fm("title: Second", "slug: shared", "date: 2024-02-06", "id: urn:x:1")}B.\n`,
  "links.md":
    fm("title: Links", "date: 2024-01-07") +
    [
      "", // line 5
      "A [safe link](https://example.org/a) and a [relative one](/articles/x).", // 6
      "", // 7
      "Then [a script](javascript:alert(1)).", // 8
      "", // 9
      '<p><img src="data:image/png;base64,AAAA" alt=""></p>', // 10
      "", // 11
      "And [a broken host](http://%zz/).", // 12
      "",
    ].join("\n"),
  "image-type.md": `${fm("title: Photo", "date: 2024-01-08", "image: /photos/harbour")}B.\n`,
  "attachments.md": `${fm(
    "title: Podcast",
    "date: 2024-01-09",
    "attachments:",
    "  - url: https://cdn.example.org/a.mp3",
    "    type: audio/mpeg",
    "  - url: https://cdn.example.org/b.mp3",
  )}B.\n`,
  "authors.md": `${fm(
    "title: Bylines",
    "date: 2024-01-10",
    "authors:",
    "  - name: Ana",
    "    email: ana@example.org",
    "  - name: Ben",
    "    email: not-an-address",
  )}B.\n`,
  "wire/broken.txt": "LAGOS (DATELINE NEWS)- No date marker here.\n",
  "oversize.md": articleFile({ title: "Huge" }, `${"x".repeat(1024 * 1024)}\n`),
};

/** Articles that compile cleanly: a wire story, a draft and a future-dated one. */
export const GOOD: Record<string, string> = {
  "fine.md": articleFile({ title: "Fine" }),
  "wire/good.txt": wireFile(),
  "draft.md": articleFile({ title: "Not yet", slug: "draft-one", draft: true }),
  "future.md": articleFile({ title: "Tomorrow", slug: "future-one", date: "2099-01-01" }),
};

export const EXPECTED = [
  '2025/ferry.md:1: slug "ferry" is also claimed by 2024/ferry.md, which keeps it (older, or first by path); this article gets another URL',
  'attachments.md:7: attachments.1.type: Invalid key: Expected "type" but received undefined',
  "authors.md:8: authors.1.email: must be an e-mail address",
  'claims/second.md:3: slug "shared" is also claimed by claims/first.md, which keeps it (older, or first by path); this article gets another URL',
  'claims/second.md:5: id "urn:x:1" is also claimed by claims/first.md, which keeps it (older, or first by path); this article gets its slug\'s id',
  'image-type.md:4: image: "/photos/harbour" has no image type (.jpg, .png, .gif, .webp, .avif or .svg); feeds cannot announce it',
  "impossible-date.md:4: date: must be a real date (YYYY-MM-DD) or an ISO 8601 date-time such as 2024-03-05T09:30:00+09:00",
  "leading-blank.md:6: colour: unknown field (the server ignores it)",
  'links.md:8: URL "javascript:alert(1)" is a javascript: URL (only http, https or mailto are kept); it is removed',
  'links.md:10: URL "data:image/png;base64,AAAA" is a data: URL (only http or https are kept); it is removed',
  'links.md:12: URL "http://%zz/" cannot be resolved to a URL; it is removed',
  "missing-date.md:1: date: missing (add `date: YYYY-MM-DD` to the front matter)",
  "no-offset.md:3: warning: date: no UTC offset given, read as UTC",
  `oversize.md:1: file is 1025 KB, larger than the ${MAX_ARTICLE_BYTES / 1024} KB limit`,
  "unknown-field.md:2: titel: unknown field (the server ignores it)",
  "wire/broken.txt:1: missing the leading `date YYYY-MM-DD` line",
  "yaml-error.md:4: invalid YAML front matter: bad indentation of a mapping entry (3:9)",
];
