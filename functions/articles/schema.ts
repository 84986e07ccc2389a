import * as v from "valibot";
import { parseArticleDate } from "./dates.ts";
import { slugify } from "./text.ts";

const KNOWN_FIELDS = new Set([
  "title",
  "date",
  "updated",
  "author",
  "authors",
  "tags",
  "summary",
  "image",
  "attachments",
  "slug",
  "id",
  "draft",
  "lang",
]);

const text = (max: number) =>
  v.pipe(
    v.union([v.string(), v.number()], "must be text"),
    v.transform((value) => String(value).trim()),
    v.nonEmpty("must not be empty"),
    v.maxLength(max, `must be at most ${max} characters`),
  );

const dateField = v.pipe(
  v.union([v.string(), v.date()], "must be a date (YYYY-MM-DD) or a date-time with offset"),
  v.transform((value) => (value instanceof Date ? value.toISOString() : value)),
  v.check(
    (value) => parseArticleDate(value) !== undefined,
    "must be a real date (YYYY-MM-DD) or an ISO 8601 date-time such as 2024-03-05T09:30:00+09:00",
  ),
);

/** A relative path or an http(s) URL; other schemes (javascript:, data:) are refused. */
const urlOrPath = v.pipe(
  v.string("must be a URL or a path"),
  v.trim(),
  v.nonEmpty("must not be empty"),
  v.maxLength(2048, "must be at most 2048 characters"),
  v.check(
    (value) => !/^[a-z][a-z0-9+.-]*:/i.test(value) || /^https?:\/\//i.test(value),
    "must be an http(s) URL or a path",
  ),
);

const email = v.pipe(v.string(), v.trim(), v.email("must be an e-mail address"));

const person = v.union(
  [
    v.pipe(
      text(200),
      v.transform((name) => ({ name })),
    ),
    v.object({
      name: text(200),
      email: v.optional(email),
      url: v.optional(urlOrPath),
    }),
  ],
  "must be a name or a map with name, email and url",
);

const attachment = v.object({
  url: urlOrPath,
  type: v.pipe(
    v.string("must be a MIME type"),
    v.regex(/^[\w.+-]+\/[\w.+-]+$/, "must be a MIME type such as audio/mpeg"),
  ),
  size: v.optional(v.pipe(v.number("must be a number of bytes"), v.integer(), v.minValue(0))),
  title: v.optional(text(300)),
  duration: v.optional(v.pipe(v.number("must be a number of seconds"), v.minValue(0))),
});

const tag = v.pipe(
  text(100),
  v.check((value) => slugify(value) !== "", "must contain a letter or a digit"),
);

/** Front matter as authors write it; every field optional here, requirements checked later. */
export const FrontMatterSchema = v.looseObject({
  title: v.optional(text(500)),
  date: v.optional(dateField),
  updated: v.optional(dateField),
  author: v.optional(person),
  authors: v.optional(v.pipe(v.array(person, "must be a list"), v.maxLength(50))),
  tags: v.optional(
    v.union(
      [
        v.pipe(v.array(tag, "must be a list of tags"), v.maxLength(100)),
        v.pipe(
          tag,
          v.transform((value) => [value]),
        ),
      ],
      "must be a list of tags",
    ),
  ),
  summary: v.optional(text(2000)),
  image: v.optional(urlOrPath),
  attachments: v.optional(v.pipe(v.array(attachment, "must be a list"), v.maxLength(20))),
  slug: v.optional(
    v.pipe(
      text(120),
      v.check((value) => slugify(value) !== "", "must contain a letter or a digit"),
    ),
  ),
  id: v.optional(
    v.pipe(
      text(500),
      v.check(
        isReaderId,
        "must be a URI that feed readers treat as an id: urn:…, tag:… or http(s)://…",
      ),
    ),
  ),
  draft: v.optional(v.boolean("must be true or false")),
  lang: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, "must be a language tag such as en or ko"),
    ),
  ),
});

/**
 * Ids readers keep as the item's identity: RSS guid isPermaLink="false" and Atom id accept any
 * IRI, but readers and validators only treat urn:, tag: and http(s) URLs as ids (a
 * `javascript:` id would also be offered as a link by readers that follow guids).
 */
function isReaderId(value: string): boolean {
  if (/\s/.test(value)) return false;
  if (/^urn:[a-z0-9][a-z0-9-]{0,31}:\S+$/i.test(value)) return true;
  if (/^tag:[^,:\s]+,\d{4}(-\d{2}(-\d{2})?)?:\S*$/i.test(value)) return true;
  if (!/^https?:\/\//i.test(value)) return false;
  try {
    return new URL(value).hostname !== "";
  } catch {
    return false;
  }
}

export type FrontMatter = v.InferOutput<typeof FrontMatterSchema>;

/**
 * Validates front matter. Returns the typed value, or every problem with its path
 * (`authors.1.email: must be an e-mail address`). Unknown fields come back as warnings.
 */
export function validateFrontMatter(
  data: unknown,
): { ok: true; value: FrontMatter; warnings: string[] } | { ok: false; problems: string[] } {
  if (data === null || data === undefined) data = {};
  if (typeof data !== "object" || Array.isArray(data)) {
    return { ok: false, problems: ["front matter must be a map of fields"] };
  }
  const result = v.safeParse(FrontMatterSchema, data);
  if (!result.success) {
    return {
      ok: false,
      problems: result.issues.map((issue) => {
        const path = issue.path?.map((p) => String(p.key)).join(".");
        return path ? `${path}: ${issue.message}` : issue.message;
      }),
    };
  }
  const warnings = Object.keys(data as object)
    .filter((key) => !KNOWN_FIELDS.has(key))
    .map((key) => `${key}: unknown field ignored`);
  return { ok: true, value: result.output, warnings };
}
