/**
 * The WebSub publisher Lambda (AWS): consumes the WebSub queue, which holds each message from the
 * indexer past the feed function's revalidation. For a batch it invalidates in CloudFront exactly
 * the documents the batch's changes made stale (functions/websub/paths.ts: the scopes' list pages
 * and feeds, the changed article pages, the sitemaps and OPML), waits until the invalidation has
 * completed, and only then, when a hub is configured, tells the hub which feeds changed; so the
 * hub's fetch, through CloudFront, gets the new feed. Without a hub it only invalidates. A
 * failure (CloudFront, or a hub that still refuses after publish()'s retries) fails the batch:
 * SQS retries it, then keeps it in the dead-letter queue (an alarm watches that).
 */
import { createHash } from "node:crypto";
import type { SQSEvent } from "aws-lambda";
import type { Logger } from "../log.ts";
import { feedPathsOf } from "./changes.ts";
import { type Change, invalidationPaths } from "./paths.ts";
import { type PublishOptions, type PublishReport, publish } from "./publish.ts";
import { parseChange } from "./queue.ts";

export interface PublisherDeps {
  siteUrl: string;
  /** The WebSub hub to tell after the invalidation; absent: invalidate only. */
  hubUrl?: string;
  /** Invalidates the paths in the CDN; resolves once the CDN serves them fresh. */
  invalidate: (paths: string[], reference: string) => Promise<void>;
  log: Logger;
  publish?: Omit<PublishOptions, "log">;
}

/** What a batch did: the paths invalidated, and the hub's report when a hub was told. */
export interface BatchOutcome {
  invalidated: string[];
  pinged?: PublishReport;
}

/** The batch's changes as one, each scope and page once, sorted; records not ours are skipped. */
export function changeOfBatch(event: SQSEvent, log: Logger): Change {
  const scopes = new Set<string>();
  const pages = new Set<string>();
  for (const record of event.Records ?? []) {
    try {
      const change = parseChange(record.body);
      for (const scope of change.scopes) scopes.add(scope);
      for (const page of change.pages) pages.add(page);
    } catch (error) {
      // Retrying cannot make it readable: say so and drop it.
      log.error("websub: queue message ignored", {
        messageId: record.messageId,
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return { scopes: [...scopes].sort(), pages: [...pages].sort() };
}

/** Invalidate, wait, ping (with a hub). Rejects when the CDN or the hub failed (batch retried). */
export async function handlePingBatch(
  event: SQSEvent,
  deps: PublisherDeps,
): Promise<BatchOutcome | undefined> {
  const change = changeOfBatch(event, deps.log);
  const paths = invalidationPaths(change);
  if (paths.length === 0) return undefined;
  // The same batch retried reuses its invalidation (CloudFront matches the CallerReference).
  const reference = createHash("sha256")
    .update((event.Records ?? []).map((r) => r.messageId).join("\n"))
    .digest("hex")
    .slice(0, 32);
  await deps.invalidate(paths, reference);
  deps.log.info("websub: changed documents invalidated", {
    paths: paths.length,
    wildcards: paths.filter((p) => p.endsWith("*")),
  });
  const feeds = change.scopes.flatMap(feedPathsOf);
  if (!deps.hubUrl || feeds.length === 0) return { invalidated: paths };
  const report = await publish(
    deps.hubUrl,
    feeds.map((path) => `${deps.siteUrl}${path}`),
    { ...deps.publish, log: deps.log },
  );
  if (report.failed.length > 0) {
    throw new Error(
      `the hub refused ${report.failed.length} of ${feeds.length} feeds: ${report.failed[0]?.reason}`,
    );
  }
  return { invalidated: paths, pinged: report };
}
