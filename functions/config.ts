import * as v from "valibot";
import { ENVIRONMENT } from "./config/schema.ts";
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

/** What ENVIRONMENT makes of the variables: each one checked, defaults filled in. */
type Variables = v.InferOutput<typeof ENVIRONMENT>;

/**
 * Parses the environment into a Config. Throws one ConfigError listing every bad variable
 * with the form it expects.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const e = parseVariables(env);
  const siteUrl = (e.SITE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, "");
  const release = releaseOf(e);
  return {
    port: e.PORT,
    host: e.HOST,
    siteUrl,
    site: siteOf(e, siteUrl),
    stateFile: e.STATE_FILE,
    feedLimit: e.FEED_LIMIT,
    pageSize: e.PAGE_SIZE,
    cacheMaxAge: e.CACHE_MAX_AGE,
    revalidateSeconds: e.REVALIDATE_SECONDS,
    ...(e.HUB_URL ? { hubUrl: e.HUB_URL } : {}),
    previewDrafts: e.PREVIEW_DRAFTS,
    ...(e.INDEX_TABLE ? { indexTable: e.INDEX_TABLE } : {}),
    ...(release ? { release } : {}),
    store: storeOf(e),
  };
}

/** The variables that are set (an empty one counts as unset), checked against ENVIRONMENT. */
function parseVariables(env: Record<string, string | undefined>): Variables {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ""),
  );
  const result = v.safeParse(ENVIRONMENT, present);
  if (result.success) return result.output;
  const problems = result.issues.map((issue) => {
    const name = issue.path?.map((p) => String(p.key)).join(".") ?? "environment";
    return issue.message.startsWith(name) ? issue.message : `${name}: ${issue.message}`;
  });
  throw new ConfigError(`Invalid configuration:\n  - ${problems.join("\n  - ")}`);
}

function siteOf(e: Variables, siteUrl: string): Config["site"] {
  const absolute = (url: string | undefined) =>
    url === undefined ? undefined : url.startsWith("/") ? `${siteUrl}${url}` : url;
  const icon = absolute(e.SITE_ICON);
  const logo = absolute(e.SITE_LOGO);
  return {
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
  };
}

/** The release schedules' three variables: all of them, or none. */
function releaseOf(e: Variables): Config["release"] {
  const {
    RELEASE_SCHEDULE_GROUP: group,
    RELEASE_ROLE_ARN: roleArn,
    RELEASE_QUEUE_ARN: queueArn,
  } = e;
  if (group && roleArn && queueArn) return { group, roleArn, queueArn };
  if (group || roleArn || queueArn)
    throw new ConfigError(
      "Invalid configuration:\n  - RELEASE_SCHEDULE_GROUP, RELEASE_ROLE_ARN and RELEASE_QUEUE_ARN are set together or not at all",
    );
  return undefined;
}

/** A bucket when CONTENT_BUCKET is set, else the folder CONTENT_DIR. */
function storeOf(e: Variables): Config["store"] {
  if (!e.CONTENT_BUCKET) return { kind: "folder", dir: e.CONTENT_DIR };
  return {
    kind: "s3",
    bucket: e.CONTENT_BUCKET,
    prefix: e.CONTENT_PREFIX,
    ...(e.AWS_ENDPOINT_URL_S3 ? { endpoint: e.AWS_ENDPOINT_URL_S3 } : {}),
  };
}
