import type { Catalog, Snapshot } from "../articles/catalog.ts";
import type { Logger } from "../log.ts";
import { changedFeedUrls } from "./changes.ts";
import { type PublishOptions, type PublishReport, publish } from "./publish.ts";

export interface SnapshotNotifier {
  /**
   * Takes the catalog's current snapshot, compares it with the one seen last time and, when
   * feeds changed, starts publishing them to the hub. Resolves once the comparison is done (the
   * hub requests continue in the background); `published` settles when they finish. The first
   * call only records the snapshot: a (re)start is not a change.
   */
  check(): Promise<{ feeds: string[]; published: Promise<PublishReport> } | undefined>;
}

/**
 * Pings the WebSub hub for the feeds that changed between two looks at the catalog (used by the
 * local server after its file watcher fires). Never rejects: a store or hub failure is logged.
 */
export function snapshotNotifier(deps: {
  catalog: Catalog;
  siteUrl: string;
  hubUrl: string;
  log: Logger;
  publish?: Omit<PublishOptions, "log">;
}): SnapshotNotifier {
  let last: Snapshot | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const compare = async () => {
    let snapshot: Snapshot;
    try {
      snapshot = await deps.catalog.snapshot();
    } catch (error) {
      deps.log.warn("websub: articles could not be checked for changes", {
        reason: error instanceof Error ? error.message : String(error),
      });
      return undefined;
    }
    const previous = last;
    last = snapshot;
    if (!previous) return undefined;
    const feeds = changedFeedUrls(deps.siteUrl, previous, snapshot);
    if (feeds.length === 0) return undefined;
    const published = publish(deps.hubUrl, feeds, { ...deps.publish, log: deps.log });
    return { feeds, published };
  };
  return {
    check() {
      // One comparison at a time, so two quick changes are compared in order, never twice.
      const result = queue.then(compare);
      queue = result.catch(() => undefined);
      return result;
    },
  };
}
