/**
 * The one set of rules for Dateline's settings, each error naming the setting and the form it
 * expects. functions/config.ts parses the environment with ENVIRONMENT; infra/settings.ts checks
 * the CDK context with the same rules, under the context key's name, so a value the deployment
 * accepts is one the functions accept. This module imports only valibot: infra/ may import it
 * without pulling runtime code into the CDK app.
 */
import * as v from "valibot";

/** Whole-number settings: bounds and default, the same in the environment and the CDK context. */
export const NUMBERS = {
  feedLimit: { min: 1, max: 100, fallback: 20 },
  pageSize: { min: 1, max: 100, fallback: 20 },
  cacheMaxAge: { min: 0, max: 31_536_000, fallback: 300 },
  revalidateSeconds: { min: 0, max: 86_400, fallback: 60 },
  port: { min: 1, max: 65_535, fallback: 3000 },
} as const;

/** The longest text setting (a title, an author, a path). */
export const MAX_TEXT = 500;

/** A language tag such as `en` or `en-GB` (the part of BCP 47 feeds use). */
export const LANGUAGE_TAG = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

export const wholeNumber = (name: string, { min, max }: { min: number; max: number }) => {
  const message = `${name} must be a whole number from ${min} to ${max}`;
  return v.pipe(
    v.string(),
    v.regex(/^\d+$/, message),
    v.transform(Number),
    v.minValue(min, message),
    v.maxValue(max, message),
  );
};

export const text = (name: string) =>
  v.pipe(
    v.string(),
    v.trim(),
    v.nonEmpty(`${name} must not be empty`),
    v.maxLength(MAX_TEXT, `${name} must be at most ${MAX_TEXT} characters`),
  );

export const languageTag = (name: string) =>
  v.pipe(v.string(), v.regex(LANGUAGE_TAG, `${name} must be a language tag such as en or en-GB`));

export const email = (name: string, example = "news@example.com") =>
  v.pipe(v.string(), v.email(`${name} must be an e-mail address such as ${example}`));

/** `s` as an absolute http(s) URL, or undefined. */
function webUrl(s: string): URL | undefined {
  try {
    const url = new URL(s);
    return url.protocol === "http:" || url.protocol === "https:" ? url : undefined;
  } catch {
    return undefined;
  }
}

/** An absolute http(s) URL without query or fragment (a base URL, a hub, an endpoint). */
export const httpUrl = (name: string, example = "https://news.example.com") =>
  v.pipe(
    v.string(),
    v.check((s) => {
      const url = webUrl(s);
      return url !== undefined && !url.search && !url.hash;
    }, `${name} must be an absolute http(s) URL without query or fragment, e.g. ${example}`),
  );

/** A WebSub hub's URL. */
export const hubUrl = (name: string) => httpUrl(name, "https://pubsubhubbub.appspot.com/");

/** An http(s) URL, or a path from the site root (`/icon.png`) resolved against SITE_URL. */
export const urlOrPath = (name: string) =>
  v.pipe(
    v.string(),
    v.check((s) => {
      if (/^\/(?!\/)/.test(s)) return !/[\s#?]/.test(s);
      return webUrl(s) !== undefined;
    }, `${name} must be an absolute http(s) URL or a path from the site root such as /icon.png`),
  );

const named = (name: string, pattern: RegExp, form: string) =>
  v.pipe(v.string(), v.regex(pattern, `${name} must be ${form}`));

const count = (name: string, range: (typeof NUMBERS)[keyof typeof NUMBERS]) =>
  v.optional(wholeNumber(name, range), String(range.fallback));

/** Every variable functions/config.ts reads, with its rule and default. */
export const ENVIRONMENT = v.object({
  PORT: count("PORT", NUMBERS.port),
  HOST: v.optional(
    named(
      "HOST",
      /^(?:[A-Za-z0-9.-]{1,253}|[0-9A-Fa-f:.]{2,45})$/,
      "an interface address or name such as 127.0.0.1, 0.0.0.0 or ::",
    ),
    "127.0.0.1",
  ),
  SITE_URL: v.optional(httpUrl("SITE_URL")),
  SITE_TITLE: v.optional(text("SITE_TITLE"), "Dateline"),
  SITE_DESCRIPTION: v.optional(text("SITE_DESCRIPTION"), "News from Dateline"),
  SITE_LANGUAGE: v.optional(languageTag("SITE_LANGUAGE"), "en"),
  SITE_AUTHOR: v.optional(text("SITE_AUTHOR"), "Dateline"),
  SITE_AUTHOR_EMAIL: v.optional(email("SITE_AUTHOR_EMAIL")),
  SITE_AUTHOR_URL: v.optional(httpUrl("SITE_AUTHOR_URL")),
  SITE_ICON: v.optional(urlOrPath("SITE_ICON")),
  SITE_LOGO: v.optional(urlOrPath("SITE_LOGO")),
  STATE_FILE: v.optional(text("STATE_FILE"), ".dateline/state.json"),
  FEED_LIMIT: count("FEED_LIMIT", NUMBERS.feedLimit),
  PAGE_SIZE: count("PAGE_SIZE", NUMBERS.pageSize),
  CACHE_MAX_AGE: count("CACHE_MAX_AGE", NUMBERS.cacheMaxAge),
  REVALIDATE_SECONDS: count("REVALIDATE_SECONDS", NUMBERS.revalidateSeconds),
  HUB_URL: v.optional(hubUrl("HUB_URL")),
  PREVIEW_DRAFTS: v.optional(
    v.pipe(
      v.picklist(["0", "1", "true", "false"], "PREVIEW_DRAFTS must be 1 or 0 (true or false)"),
      v.transform((value) => value === "1" || value === "true"),
    ),
    "0",
  ),
  CONTENT_DIR: v.optional(text("CONTENT_DIR"), "./content"),
  CONTENT_BUCKET: v.optional(
    named("CONTENT_BUCKET", /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "an S3 bucket name"),
  ),
  CONTENT_PREFIX: v.optional(
    named("CONTENT_PREFIX", /^([^/].*\/)?$/, "empty or end with / (e.g. articles/)"),
    "articles/",
  ),
  AWS_ENDPOINT_URL_S3: v.optional(httpUrl("AWS_ENDPOINT_URL_S3")),
  INDEX_TABLE: v.optional(named("INDEX_TABLE", /^[A-Za-z0-9_.-]{3,255}$/, "a DynamoDB table name")),
  RELEASE_SCHEDULE_GROUP: v.optional(
    named("RELEASE_SCHEDULE_GROUP", /^[0-9A-Za-z_.-]{1,64}$/, "a schedule group name"),
  ),
  RELEASE_ROLE_ARN: v.optional(
    named("RELEASE_ROLE_ARN", /^arn:aws[a-z-]*:iam::\d{12}:role\/\S+$/, "an IAM role ARN"),
  ),
  RELEASE_QUEUE_ARN: v.optional(
    named("RELEASE_QUEUE_ARN", /^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:\S+$/, "an SQS queue ARN"),
  ),
});

/** The name of a variable functions/config.ts reads. */
export type EnvironmentVariable = keyof typeof ENVIRONMENT.entries;
