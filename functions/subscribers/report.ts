import { type Fetch, isFeedPath } from "./fetches.ts";
import { parseUserAgent } from "./user-agent.ts";

/** Subscribers of one feed on one UTC day. */
export interface FeedDay {
  /** `YYYY-MM-DD` (UTC). */
  day: string;
  feed: string;
  /** Latest count each aggregator reported that day (its feed ids added up), by name. */
  aggregators: Record<string, number>;
  /** Distinct other pollers (IP + User-Agent) that fetched it that day. */
  otherPollers: number;
  total: number;
}

/**
 * Per feed and per UTC day: the latest count each aggregator reported (an aggregator that knows
 * the feed under several ids reports each; they are added up), plus the distinct other pollers by
 * IP and User-Agent. Only successful fetches (200, 304) of feed paths count. Sorted by day, then
 * by total (largest first), then by feed.
 */
export function subscriberReport(fetches: Iterable<Fetch>): FeedDay[] {
  const days = new Map<
    string,
    {
      reported: Map<string, Map<string, { time: number; subscribers: number }>>;
      others: Set<string>;
    }
  >();
  for (const fetch of fetches) {
    if (!isFeedPath(fetch.path) || (fetch.status !== 200 && fetch.status !== 304)) continue;
    const key = `${fetch.time.toISOString().slice(0, 10)}\u0000${fetch.path}`;
    let entry = days.get(key);
    if (!entry) {
      entry = { reported: new Map(), others: new Set() };
      days.set(key, entry);
    }
    const reporter = parseUserAgent(fetch.userAgent);
    if (!reporter) {
      entry.others.add(`${fetch.ip}\u0000${fetch.userAgent}`);
      continue;
    }
    let ids = entry.reported.get(reporter.aggregator);
    if (!ids) {
      ids = new Map();
      entry.reported.set(reporter.aggregator, ids);
    }
    const id = reporter.feedId ?? "";
    const time = fetch.time.getTime();
    const known = ids.get(id);
    // Log lines are not in time order across files: the latest report wins, not the last read.
    if (!known || time >= known.time) ids.set(id, { time, subscribers: reporter.subscribers });
  }
  const out: FeedDay[] = [];
  for (const [key, entry] of days) {
    const [day, feed] = key.split("\u0000") as [string, string];
    const aggregators: Record<string, number> = {};
    for (const name of [...entry.reported.keys()].sort()) {
      let sum = 0;
      for (const { subscribers } of entry.reported.get(name)?.values() ?? []) sum += subscribers;
      aggregators[name] = sum;
    }
    const reported = Object.values(aggregators).reduce((a, b) => a + b, 0);
    out.push({
      day,
      feed,
      aggregators,
      otherPollers: entry.others.size,
      total: reported + entry.others.size,
    });
  }
  return out.sort(
    (a, b) =>
      (a.day < b.day ? -1 : a.day > b.day ? 1 : 0) ||
      b.total - a.total ||
      (a.feed < b.feed ? -1 : a.feed > b.feed ? 1 : 0),
  );
}

/** The report as a plain-text table, one row per feed and day. */
export function formatReport(rows: FeedDay[]): string {
  if (rows.length === 0) return "no feed fetches found\n";
  const lines = rows.map((r) => {
    const parts = Object.entries(r.aggregators).map(([name, n]) => `${name} ${n}`);
    if (r.otherPollers) parts.push(`other pollers ${r.otherPollers}`);
    return `${r.day}  ${r.feed.padEnd(28)} ${String(r.total).padStart(7)}  ${parts.join(", ")}`;
  });
  return `${["day         feed                           total  by aggregator", ...lines].join("\n")}\n`;
}

/** Feeds with their own metric, per day (the rest are in the report's log line): bounds cost. */
export const MAX_FEED_METRICS = 20;

/**
 * CloudWatch embedded metric format (EMF) lines for the report: per day, `Subscribers` by
 * `Feed` for the 20 feeds with most subscribers, by `Aggregator` summed over all feeds (`other
 * pollers` too), and the site's total; plus one plain JSON line per feed and day with the whole
 * breakdown (for Logs Insights, at no metric cost). Each custom metric costs money per month,
 * so the number of metrics is bounded however many tags and authors the site has.
 */
export function emfLines(rows: FeedDay[], namespace: string): string[] {
  const lines: string[] = [];
  const metric = (timestamp: number, dimensions: Record<string, string>, value: number) =>
    JSON.stringify({
      _aws: {
        Timestamp: timestamp,
        CloudWatchMetrics: [
          {
            Namespace: namespace,
            Dimensions: [Object.keys(dimensions)],
            Metrics: [{ Name: "Subscribers", Unit: "Count" }],
          },
        ],
      },
      ...dimensions,
      Subscribers: value,
    });
  const byDay = new Map<string, FeedDay[]>();
  for (const row of rows) byDay.set(row.day, [...(byDay.get(row.day) ?? []), row]);
  for (const [day, dayRows] of byDay) {
    const timestamp = Date.parse(`${day}T00:00:00Z`);
    const byAggregator = new Map<string, number>();
    let total = 0;
    for (const row of dayRows) {
      for (const [name, n] of Object.entries(row.aggregators))
        byAggregator.set(name, (byAggregator.get(name) ?? 0) + n);
      if (row.otherPollers)
        byAggregator.set(
          "other pollers",
          (byAggregator.get("other pollers") ?? 0) + row.otherPollers,
        );
      total += row.total;
      lines.push(JSON.stringify({ message: "subscribers", ...row }));
    }
    // dayRows are sorted by total, largest first.
    for (const row of dayRows.slice(0, MAX_FEED_METRICS))
      lines.push(metric(timestamp, { Feed: row.feed }, row.total));
    for (const [name, n] of [...byAggregator].sort(([a], [b]) => (a < b ? -1 : 1)))
      lines.push(metric(timestamp, { Aggregator: name }, n));
    lines.push(metric(timestamp, { Site: "all feeds" }, total));
  }
  return lines;
}
