/**
 * The WebSub publisher Lambda (AWS): consumes the WebSub queue, which holds each message from the
 * indexer past the feed function's revalidation. For a batch it invalidates exactly the changed
 * feed paths in CloudFront, waits until the invalidation has completed, and only then tells the
 * hub; so the hub's fetch, through CloudFront, gets the new feed. A failure (CloudFront, or a hub
 * that still refuses after publish()'s retries) fails the batch: SQS retries it, then keeps it
 * in the dead-letter queue (an alarm watches that).
 */
import { createHash } from "node:crypto";
import type { SQSEvent } from "aws-lambda";
import type { Logger } from "../log.ts";
import { feedPathsOf } from "./changes.ts";
import { type PublishOptions, type PublishReport, publish } from "./publish.ts";
import { parseChangedFeeds } from "./queue.ts";

export interface PublisherDeps {
  siteUrl: string;
  hubUrl: string;
  /** Invalidates the paths in the CDN; resolves once the CDN serves them fresh. */
  invalidate: (paths: string[], reference: string) => Promise<void>;
  log: Logger;
  publish?: Omit<PublishOptions, "log">;
}

/** The changed scopes of a batch, in order, each once; records that are not ours are skipped. */
export function scopesOfBatch(event: SQSEvent, log: Logger): string[] {
  const scopes = new Set<string>();
  for (const record of event.Records ?? []) {
    try {
      for (const scope of parseChangedFeeds(record.body)) scopes.add(scope);
    } catch (error) {
      // Retrying cannot make it readable: say so and drop it.
      log.error("websub: queue message ignored", {
        messageId: record.messageId,
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return [...scopes].sort();
}

/** Invalidate, wait, ping. Rejects when the CDN or the hub failed (the batch is retried). */
export async function handlePingBatch(
  event: SQSEvent,
  deps: PublisherDeps,
): Promise<PublishReport | undefined> {
  const scopes = scopesOfBatch(event, deps.log);
  if (scopes.length === 0) return undefined;
  const paths = scopes.flatMap(feedPathsOf);
  // The same batch retried reuses its invalidation (CloudFront matches the CallerReference).
  const reference = createHash("sha256")
    .update((event.Records ?? []).map((r) => r.messageId).join("\n"))
    .digest("hex")
    .slice(0, 32);
  await deps.invalidate(paths, reference);
  deps.log.info("websub: feeds invalidated", { paths: paths.length });
  const report = await publish(
    deps.hubUrl,
    paths.map((path) => `${deps.siteUrl}${path}`),
    { ...deps.publish, log: deps.log },
  );
  if (report.failed.length > 0) {
    throw new Error(
      `the hub refused ${report.failed.length} of ${paths.length} feeds: ${report.failed[0]?.reason}`,
    );
  }
  return report;
}

// The Lambda entry moved to functions/handlers/websub.ts; this export stays until the stack
// points there (infra), then goes.
export { handler } from "../handlers/websub.ts";
