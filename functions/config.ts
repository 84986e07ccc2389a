import * as v from "valibot";
import { ConfigError } from "./errors.ts";

/** Everything the app reads from the environment, parsed and validated once. */
export interface Config {
  port: number;
  /** Interface the local server listens on (loopback unless HOST opens it). */
  host: string;
  siteUrl: string;
  site: {
    title: string;
    description: string;
    language: string;
    author: { name: string; email?: string; url?: string };
    /** Absolute URL of a small square icon (favicon): Atom `<icon>`, JSON Feed `favicon`/`icon`. */
    icon?: string;
    /** Absolute URL of a wider logo: RSS `<image>`, Atom `<logo>`. */
    logo?: string;
  };
  feedLimit: number;
  pageSize: number;
  cacheMaxAge: number;
  /**
   * File where the local server keeps what must survive a restart (each article's content hash
   * and when it last changed, when each representation's bytes were first served). Lambda keeps
   * these in the index and in memory instead.
   */
  stateFile: string;
  /** Seconds between cheap checks of the store for new, changed or deleted articles. */
  revalidateSeconds: number;
  hubUrl?: string;
  /**
   * PREVIEW_DRAFTS=1: drafts and future-dated articles are served too, each marked in its title
   * (local preview with `npm start` only: the Lambda adapter refuses to start with it).
   */
  previewDrafts: boolean;
  /** The DynamoDB index table (INDEX_TABLE): the Lambda functions read and write the index there. */
  indexTable?: string;
  /**
   * Where the indexer creates one-time release schedules for future-dated articles
   * (RELEASE_SCHEDULE_GROUP, RELEASE_ROLE_ARN, RELEASE_QUEUE_ARN: all three or none).
   */
  release?: { group: string; roleArn: string; queueArn: string };
  store:
    | { kind: "folder"; dir: string }
    | { kind: "s3"; bucket: string; prefix: string; endpoint?: string };
}

const integer = (name: string, min: number, max: number) =>
  v.pipe(
    v.string(),
    v.regex(/^\d+$/, `${name} must be a whole number from ${min} to ${max}`),
    v.transform(Number),
    v.minValue(min, `${name} must be a whole number from ${min} to ${max}`),
    v.maxValue(max, `${name} must be a whole number from ${min} to ${max}`),
  );

const httpUrl = (name: string) =>
  v.pipe(
    v.string(),
    v.check((s) => {
      try {
        const u = new URL(s);
        return (u.protocol === "http:" || u.protocol === "https:") && !u.search && !u.hash;
      } catch {
        return false;
      }
    }, `${name} must be an absolute http(s) URL without query or fragment, e.g. https://news.example.com`),
  );

/** An http(s) URL, or a path from the site root (`/icon.png`) resolved against SITE_URL. */
const urlOrPath = (name: string) =>
  v.pipe(
    v.string(),
    v.check((s) => {
      if (/^\/(?!\/)/.test(s)) return !/[\s#?]/.test(s);
      try {
        const u = new URL(s);
        return u.protocol === "http:" || u.protocol === "https:";
      } catch {
        return false;
      }
    }, `${name} must be an absolute http(s) URL or a path from the site root such as /icon.png`),
  );

const text = (name: string) =>
  v.pipe(v.string(), v.trim(), v.nonEmpty(`${name} must not be empty`), v.maxLength(500));

const EnvSchema = v.object({
  PORT: v.optional(integer("PORT", 1, 65535), "3000"),
  HOST: v.optional(
    v.pipe(
      v.string(),
      v.regex(
        /^(?:[A-Za-z0-9.-]{1,253}|[0-9A-Fa-f:.]{2,45})$/,
        "HOST must be an interface address or name such as 127.0.0.1, 0.0.0.0 or ::",
      ),
    ),
    "127.0.0.1",
  ),
  SITE_URL: v.optional(httpUrl("SITE_URL")),
  SITE_TITLE: v.optional(text("SITE_TITLE"), "Dateline"),
  SITE_DESCRIPTION: v.optional(text("SITE_DESCRIPTION"), "News from Dateline"),
  SITE_LANGUAGE: v.optional(
    v.pipe(
      v.string(),
      v.regex(
        /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/,
        "SITE_LANGUAGE must be a language tag such as en or en-GB",
      ),
    ),
    "en",
  ),
  SITE_AUTHOR: v.optional(text("SITE_AUTHOR"), "Dateline"),
  SITE_AUTHOR_EMAIL: v.optional(
    v.pipe(v.string(), v.email("SITE_AUTHOR_EMAIL must be an e-mail address")),
  ),
  SITE_AUTHOR_URL: v.optional(httpUrl("SITE_AUTHOR_URL")),
  SITE_ICON: v.optional(urlOrPath("SITE_ICON")),
  SITE_LOGO: v.optional(urlOrPath("SITE_LOGO")),
  STATE_FILE: v.optional(text("STATE_FILE"), ".dateline/state.json"),
  FEED_LIMIT: v.optional(integer("FEED_LIMIT", 1, 100), "20"),
  PAGE_SIZE: v.optional(integer("PAGE_SIZE", 1, 100), "20"),
  CACHE_MAX_AGE: v.optional(integer("CACHE_MAX_AGE", 0, 31_536_000), "300"),
  REVALIDATE_SECONDS: v.optional(integer("REVALIDATE_SECONDS", 0, 86_400), "60"),
  HUB_URL: v.optional(httpUrl("HUB_URL")),
  PREVIEW_DRAFTS: v.optional(
    v.pipe(
      v.picklist(["0", "1", "true", "false"], "PREVIEW_DRAFTS must be 1 or 0 (true or false)"),
      v.transform((value) => value === "1" || value === "true"),
    ),
    "0",
  ),
  CONTENT_DIR: v.optional(text("CONTENT_DIR"), "./content"),
  CONTENT_BUCKET: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "CONTENT_BUCKET must be an S3 bucket name"),
    ),
  ),
  CONTENT_PREFIX: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^([^/].*\/)?$/, "CONTENT_PREFIX must be empty or end with / (e.g. articles/)"),
    ),
    "articles/",
  ),
  AWS_ENDPOINT_URL_S3: v.optional(httpUrl("AWS_ENDPOINT_URL_S3")),
  INDEX_TABLE: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^[A-Za-z0-9_.-]{3,255}$/, "INDEX_TABLE must be a DynamoDB table name"),
    ),
  ),
  RELEASE_SCHEDULE_GROUP: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^[0-9A-Za-z_.-]{1,64}$/, "RELEASE_SCHEDULE_GROUP must be a schedule group name"),
    ),
  ),
  RELEASE_ROLE_ARN: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/\S+$/, "RELEASE_ROLE_ARN must be an IAM role ARN"),
    ),
  ),
  RELEASE_QUEUE_ARN: v.optional(
    v.pipe(
      v.string(),
      v.regex(
        /^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:\S+$/,
        "RELEASE_QUEUE_ARN must be an SQS queue ARN",
      ),
    ),
  ),
});

/**
 * Parses the environment into a Config. Throws one ConfigError listing every bad variable
 * with the form it expects.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ""),
  );
  const result = v.safeParse(EnvSchema, present);
  if (!result.success) {
    const problems = result.issues.map((issue) => {
      const name = issue.path?.map((p) => String(p.key)).join(".") ?? "environment";
      return issue.message.startsWith(name) ? issue.message : `${name}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n  - ${problems.join("\n  - ")}`);
  }
  const e = result.output;
  const releaseParts = [e.RELEASE_SCHEDULE_GROUP, e.RELEASE_ROLE_ARN, e.RELEASE_QUEUE_ARN];
  if (releaseParts.some(Boolean) && !releaseParts.every(Boolean))
    throw new ConfigError(
      "Invalid configuration:\n  - RELEASE_SCHEDULE_GROUP, RELEASE_ROLE_ARN and RELEASE_QUEUE_ARN are set together or not at all",
    );
  const siteUrl = (e.SITE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, "");
  const absolute = (url: string | undefined) =>
    url === undefined ? undefined : url.startsWith("/") ? `${siteUrl}${url}` : url;
  const icon = absolute(e.SITE_ICON);
  const logo = absolute(e.SITE_LOGO);
  return {
    port: e.PORT,
    host: e.HOST,
    siteUrl,
    site: {
      title: e.SITE_TITLE,
      description: e.SITE_DESCRIPTION,
      language: e.SITE_LANGUAGE,
      author: {
        name: e.SITE_AUTHOR,
        ...(e.SITE_AUTHOR_EMAIL ? { email: e.SITE_AUTHOR_EMAIL } : {}),
        ...(e.SITE_AUTHOR_URL ? { url: e.SITE_AUTHOR_URL } : {}),
      },
      ...(icon ? { icon } : {}),
      ...(logo ? { logo } : {}),
    },
    stateFile: e.STATE_FILE,
    feedLimit: e.FEED_LIMIT,
    pageSize: e.PAGE_SIZE,
    cacheMaxAge: e.CACHE_MAX_AGE,
    revalidateSeconds: e.REVALIDATE_SECONDS,
    ...(e.HUB_URL ? { hubUrl: e.HUB_URL } : {}),
    previewDrafts: e.PREVIEW_DRAFTS,
    ...(e.INDEX_TABLE ? { indexTable: e.INDEX_TABLE } : {}),
    ...(e.RELEASE_SCHEDULE_GROUP && e.RELEASE_ROLE_ARN && e.RELEASE_QUEUE_ARN
      ? {
          release: {
            group: e.RELEASE_SCHEDULE_GROUP,
            roleArn: e.RELEASE_ROLE_ARN,
            queueArn: e.RELEASE_QUEUE_ARN,
          },
        }
      : {}),
    store: e.CONTENT_BUCKET
      ? {
          kind: "s3",
          bucket: e.CONTENT_BUCKET,
          prefix: e.CONTENT_PREFIX,
          ...(e.AWS_ENDPOINT_URL_S3 ? { endpoint: e.AWS_ENDPOINT_URL_S3 } : {}),
        }
      : { kind: "folder", dir: e.CONTENT_DIR },
  };
}
