/**
 * What a feed fetcher says about itself in its User-Agent. Hosted aggregators poll once for all
 * their users and report how many subscribe (`Feedly/1.0 (+http://www.feedly.com/fetcher.html;
 * 42 subscribers; )`, `Mozilla/5.0 (compatible; inoreader.com; 7 subscribers)`, `Feedbin
 * feed-id:1697787 - 102 subscribers`, …); some also name their own id for the feed, when one
 * URL is known to them under several ids.
 */
export interface Reporter {
  /** Display name of the aggregator, e.g. `Feedly`. */
  aggregator: string;
  subscribers: number;
  /** The aggregator's id for the feed, when it gives one (counts of different ids add up). */
  feedId?: string;
}

/** Known aggregators by a pattern of their User-Agent, for a stable display name. */
const KNOWN: [RegExp, string][] = [
  [/feedly/i, "Feedly"],
  [/inoreader/i, "Inoreader"],
  [/newsblur/i, "NewsBlur"],
  [/feedbin/i, "Feedbin"],
  [/theoldreader/i, "The Old Reader"],
  [/bazqux/i, "BazQux"],
  [/bloglovin/i, "Bloglovin"],
  [/feedspot/i, "Feedspot"],
  [/feedfetcher-google/i, "Google Feedfetcher"],
  [/digg/i, "Digg"],
  [/feeder\.co|feeder\/\d/i, "Feeder"],
  [/overcast/i, "Overcast"],
  [/dreamwidth/i, "Dreamwidth"],
  [/livejournal/i, "LiveJournal"],
  [/bloglines/i, "Bloglines"],
  [/newsgator/i, "NewsGator"],
];

const COUNT = /(\d[\d,]{0,12})\s+(?:subscribers?|readers?)\b/i;
const FEED_ID = /feed-id[=:]\s*([\w.-]{1,64})/i;
const NEWSBLUR_SITE = /newsblur\.com\/site\/(\d{1,12})/i;
/** Browser and platform tokens that never name an aggregator. */
const GENERIC = new Set([
  "mozilla",
  "compatible",
  "applewebkit",
  "khtml",
  "gecko",
  "safari",
  "like",
]);

/**
 * The aggregator and subscriber count a User-Agent reports; undefined when it reports none (a
 * browser, a desktop reader, a self-hosted Miniflux: each is one poller, counted by IP and UA).
 */
export function parseUserAgent(userAgent: string): Reporter | undefined {
  const ua = userAgent.slice(0, 1024);
  const count = COUNT.exec(ua);
  if (!count) return undefined;
  const subscribers = Number((count[1] as string).replace(/,/g, ""));
  if (!Number.isSafeInteger(subscribers)) return undefined;
  const feedId = FEED_ID.exec(ua)?.[1] ?? NEWSBLUR_SITE.exec(ua)?.[1];
  return { aggregator: nameOf(ua), subscribers, ...(feedId ? { feedId } : {}) };
}

function nameOf(ua: string): string {
  for (const [pattern, name] of KNOWN) if (pattern.test(ua)) return name;
  // An unknown aggregator: its product token, or the host it names inside `(compatible; …)`.
  const compatible = /\(compatible;\s*([^;)]{1,60})/i.exec(ua)?.[1]?.trim();
  if (compatible && !/^\d/.test(compatible)) return compatible.replace(/\/[\d.]+$/, "");
  const product = [...ua.matchAll(/([A-Za-z][\w.-]{1,40})\/\d/g)]
    .map((m) => m[1] as string)
    .find((token) => !GENERIC.has(token.toLowerCase()));
  return product ?? (ua.split(/[\s/;(]/)[0] || "unknown");
}
