import type { ApplyResult, ScopeKey } from "../index/index.ts";
import type { Logger } from "../log.ts";
import { feedUrlsOf, scopePathOf } from "./changes.ts";
import { type PublishOptions, type PublishReport, publish } from "./publish.ts";

/** What one change of the local index announced. */
export interface Announcement {
  feeds: string[];
  published: Promise<PublishReport>;
}

/**
 * The feed URLs (subscription documents) of the scopes an index change touched: site first,
 * then tags and authors by slug.
 */
export function feedUrlsOfScopes(siteUrl: string, scopes: readonly ScopeKey[]): string[] {
  const rank = (path: string) => (path.startsWith("/tags/") ? `1${path}` : `2${path}`);
  const paths = [...new Set(scopes.map(scopePathOf))].sort((a, b) =>
    a === "" ? -1 : b === "" ? 1 : rank(a) < rank(b) ? -1 : 1,
  );
  return paths.flatMap((path) => feedUrlsOf(siteUrl, path));
}

/**
 * Pings the WebSub hub for the feeds an index change touched (the local server: its index
 * reports every check and release that changed something). Never rejects: a hub failure is
 * logged. `announced` hears of each announcement (tests).
 */
export function indexNotifier(deps: {
  siteUrl: string;
  hubUrl: string;
  log: Logger;
  publish?: Omit<PublishOptions, "log">;
  announced?: (announcement: Announcement) => void;
}): (result: ApplyResult) => void {
  return (result) => {
    const feeds = feedUrlsOfScopes(deps.siteUrl, result.scopes);
    if (feeds.length === 0) return;
    const published = publish(deps.hubUrl, feeds, { ...deps.publish, log: deps.log });
    deps.announced?.({ feeds, published });
  };
}
