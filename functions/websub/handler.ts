import type { EventBridgeEvent, S3Event } from "aws-lambda";
import { parseArticle } from "../articles/parse.ts";
import { slugify } from "../articles/text.ts";
import { type Config, loadConfig } from "../config.ts";
import { ArticleError, NotFoundError } from "../errors.ts";
import { jsonLogger, type Logger } from "../log.ts";
import { openStore } from "../storage/open.ts";
import { type ArticleStore, isArticleKey } from "../storage/store.ts";
import { feedUrlsOf } from "./changes.ts";
import { type PublishOptions, type PublishReport, publish } from "./publish.ts";

/** S3's EventBridge events ("Object Created", "Object Deleted"): the fields read here. */
export type S3BridgeEvent = EventBridgeEvent<
  string,
  { bucket?: { name?: string }; object?: { key?: string } }
>;

/** What the function is invoked with: S3 event notifications, or S3 events via EventBridge. */
export type ArticleEvent = S3Event | S3BridgeEvent;

/** One changed object, as the events name it. */
export interface ObjectChange {
  /** Full object key, decoded. */
  key: string;
  /** Created or overwritten (else removed). */
  created: boolean;
}

export interface S3ChangeDeps {
  config: Config;
  store: ArticleStore;
  log: Logger;
  publish?: Omit<PublishOptions, "log">;
}

/**
 * The changed objects an event names. S3 notifications URL-encode keys (`+` for a space);
 * EventBridge events carry them as they are.
 */
export function changesOf(event: ArticleEvent): ObjectChange[] {
  if ("Records" in event) {
    return (event.Records ?? []).map((record) => ({
      key: decodeURIComponent(record.s3.object.key.replace(/\+/g, " ")),
      created: record.eventName.startsWith("ObjectCreated:"),
    }));
  }
  const key = event.detail?.object?.key;
  if (event.source !== "aws.s3" || typeof key !== "string") return [];
  return [{ key, created: event["detail-type"] === "Object Created" }];
}

/**
 * The feed URLs that changed objects may have changed: the site's three feeds, plus the feeds
 * of every tag and author named by each created article as it is stored now. Objects outside
 * the article prefix, and files that are not articles, change nothing.
 *
 * Limitation: only the current object is read. When an article is deleted, or an edit removes
 * a tag or an author, the feeds it left are not pinged (the previous version is not looked up);
 * their subscribers see the change at their next poll or the next ping of that feed. Author
 * feeds exist only when more than one author writes: a ping for a missing one is answered by
 * the hub's fetch with 404 and changes nothing.
 */
export async function feedsForChanges(
  changes: ObjectChange[],
  deps: S3ChangeDeps,
): Promise<string[]> {
  const { config, store, log } = deps;
  const prefix = config.store.kind === "s3" ? config.store.prefix : "";
  const scopePaths = new Set<string>();
  let relevant = false;
  for (const change of changes) {
    if (!change.key.startsWith(prefix)) continue;
    const relative = change.key.slice(prefix.length);
    if (!isArticleKey(relative)) continue;
    relevant = true;
    if (!change.created) continue;
    for (const path of await scopesOfStored(store, relative, log)) scopePaths.add(path);
  }
  if (!relevant) return [];
  return [
    ...feedUrlsOf(config.siteUrl, ""),
    ...[...scopePaths].sort().flatMap((path) => feedUrlsOf(config.siteUrl, path)),
  ];
}

/** Handles one event: works out the changed feeds and pings the hub for them. */
export async function handleArticleEvent(
  event: ArticleEvent,
  deps: S3ChangeDeps,
): Promise<PublishReport | undefined> {
  const hub = deps.config.hubUrl;
  if (!hub) {
    deps.log.warn("websub: HUB_URL is not set; nothing to notify");
    return undefined;
  }
  const changes = changesOf(event);
  const feeds = await feedsForChanges(changes, deps);
  if (feeds.length === 0) return undefined;
  deps.log.info("websub: articles changed", {
    objects: changes.map((c) => `${c.created ? "created" : "removed"} ${c.key}`),
    feeds: feeds.length,
  });
  return publish(hub, feeds, { ...deps.publish, log: deps.log });
}

/** Tag and author scope paths of the article stored at `key` (relative to the prefix). */
async function scopesOfStored(store: ArticleStore, key: string, log: Logger): Promise<string[]> {
  try {
    const bytes = await store.read(key);
    const { article } = parseArticle(
      { key, version: "event", modified: new Date(0), size: bytes.byteLength },
      bytes,
    );
    return [
      ...article.tags.map((tag) => slugify(tag)).map((slug) => `/tags/${encodeURIComponent(slug)}`),
      ...article.authors
        .map((p) => slugify(p.name))
        .filter(Boolean)
        .map((slug) => `/authors/${encodeURIComponent(slug)}`),
    ];
  } catch (error) {
    // Gone again (a later event covers it), unreadable or malformed: the site feeds are still pinged.
    if (!(error instanceof NotFoundError))
      log.warn("websub: changed article could not be read; pinging the site feeds only", {
        file: key,
        reason:
          error instanceof ArticleError
            ? error.reasons.join("; ")
            : error instanceof Error
              ? error.message
              : String(error),
      });
    return [];
  }
}

let ready: Promise<S3ChangeDeps> | undefined;

async function init(): Promise<S3ChangeDeps> {
  const env: Record<string, string | undefined> = { ...process.env };
  if (!env.SITE_URL && env.SITE_URL_PARAMETER) {
    const { SSMClient, GetParameterCommand } = await import("@aws-sdk/client-ssm");
    const result = await new SSMClient({}).send(
      new GetParameterCommand({ Name: env.SITE_URL_PARAMETER }),
    );
    env.SITE_URL = result.Parameter?.Value;
  }
  const config = loadConfig(env);
  return { config, store: openStore(config), log: jsonLogger() };
}

/**
 * Lambda entry point: S3 "Object Created" / "Object Deleted" events on the article prefix (via
 * EventBridge, or as S3 event notifications). After publish()'s own retries a hub failure is
 * logged, not thrown: a retry of the whole event would only repeat every ping, minutes later.
 */
export const handler = async (event: ArticleEvent): Promise<void> => {
  ready ??= init().catch((error: unknown) => {
    ready = undefined;
    throw error;
  });
  await handleArticleEvent(event, await ready);
};
