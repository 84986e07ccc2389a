/**
 * Real published User-Agent strings of feed fetchers, and CloudFront standard log files built
 * in CloudFront's own format, for the subscriber-count tests.
 */
import { gzipSync } from "node:zlib";

/**
 * Published User-Agents, each with where it was published.
 * - Buttondown's list of the readers it counts (https://docs.buttondown.com/rss-subscribers):
 *   Feedbin, Feedly, NewsBlur, Inoreader, The Old Reader, BazQux, Dreamwidth (verbatim).
 * - Feedfetcher-Google, Bloglines and NewsGator as logged in 2007
 *   (http://www.tkachenko.com/blog/archives/000674.html; `x` ids there, a real id from a
 *   user-agent parser's test suite below).
 * - Miniflux: its default User-Agent (miniflux/v2, `defaultHTTPClientUserAgent =
 *   "Mozilla/5.0 (compatible; Miniflux/" + version + "; +https://miniflux.app)"`), 2.0.43 as a
 *   PHP plugin's test table lists it. It reports no count: a self-hosted reader is one poller.
 * - Bloglovin: from a crawler list ("Bloglovin/1.0 (http://www.bloglovin.com; 1 subscribers)").
 * - LiveJournal: http://www.petefreitag.com/item/418.cfm ("…; 1_readers", spaces as `_` there).
 */
export const UA = {
  feedbin: "Feedbin feed-id:1697787 - 102 subscribers",
  feedly: "Feedly/1.0 (+http://www.feedly.com/fetcher.html; 462 subscribers; )",
  newsblur:
    'NewsBlur Feed Fetcher - 27 subscribers - https://www.newsblur.com/site/7704055/rendezvous-with-cassidoo ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/14.0.1 Safari/605.1.15")',
  inoreader: "Mozilla/5.0 (compatible; inoreader.com; 114 subscribers)",
  theOldReader:
    "Mozilla/5.0 (compatible; theoldreader.com; 1 subscribers; feed-id=cead6c3a837650eeefd8fe4a)",
  bazqux: "Mozilla/5.0 (compatible; BazQux/2.4; +https://bazqux.com/fetcher; 1 subscribers)",
  dreamwidth:
    "Dreamwidth Studios (webmaster@dreamwidth.org; for https://www.dreamwidth.org/users/vikingschoice_feed/; 2 readers)",
  feedfetcherGoogle:
    "Feedfetcher-Google; (+http://www.google.com/feedfetcher.html; 1 subscribers; feed-id=1368044458445856733)",
  bloglines: "Bloglines/3.1 (http://www.bloglines.com; 154 subscribers)",
  newsgator: "NewsGatorOnline/2.0 (http://www.newsgator.com; 99 subscribers)",
  bloglovin: "Bloglovin/1.0 (http://www.bloglovin.com; 1 subscribers)",
  miniflux: "Mozilla/5.0 (compatible; Miniflux/2.0.43; +https://miniflux.app)",
  netnewswire:
    "Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10_6_3; de-de) AppleWebKit/531.22.7 (KHTML, like Gecko) NetNewsWire/3.2.7",
  chrome:
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
} as const;

/** The `#Fields` of CloudFront standard (legacy) logs, in CloudFront's order (33 fields). */
export const CLOUDFRONT_FIELDS = [
  "date",
  "time",
  "x-edge-location",
  "sc-bytes",
  "c-ip",
  "cs-method",
  "cs(Host)",
  "cs-uri-stem",
  "sc-status",
  "cs(Referer)",
  "cs(User-Agent)",
  "cs-uri-query",
  "cs(Cookie)",
  "x-edge-result-type",
  "x-edge-request-id",
  "x-host-header",
  "cs-protocol",
  "cs-bytes",
  "time-taken",
  "x-forwarded-for",
  "ssl-protocol",
  "ssl-cipher",
  "x-edge-response-result-type",
  "cs-protocol-version",
  "fle-status",
  "fle-encrypted-fields",
  "c-port",
  "time-to-first-byte",
  "x-edge-detailed-result-type",
  "sc-content-type",
  "sc-content-len",
  "sc-range-start",
  "sc-range-end",
];

export interface LogFetch {
  /** ISO date-time, UTC. */
  at: string;
  path: string;
  ua: string;
  ip?: string;
  status?: number;
  query?: string;
}

/**
 * One CloudFront standard log file as CloudFront writes it: the two header lines, then one
 * tab-separated line per request, the User-Agent URL-encoded (spaces as %20), `-` for empty.
 */
export function cloudFrontLog(fetches: LogFetch[]): string {
  const lines = ["#Version: 1.0", `#Fields: ${CLOUDFRONT_FIELDS.join(" ")}`];
  for (const [i, f] of fetches.entries()) {
    const [date, time] = [f.at.slice(0, 10), f.at.slice(11, 19)];
    const status = f.status ?? 200;
    const ua = encodeURI(f.ua).replace(/%22/g, "%2522");
    const values: Record<string, string> = {
      date,
      time,
      "x-edge-location": "FRA56-P1",
      "sc-bytes": status === 304 ? "412" : "18234",
      "c-ip": f.ip ?? "192.0.2.10",
      "cs-method": "GET",
      "cs(Host)": "d111111abcdef8.cloudfront.net",
      "cs-uri-stem": f.path,
      "sc-status": String(status),
      "cs(Referer)": "-",
      "cs(User-Agent)": ua,
      "cs-uri-query": f.query ?? "-",
      "cs(Cookie)": "-",
      "x-edge-result-type": status === 304 ? "RefreshHit" : "Miss",
      "x-edge-request-id": `SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRL${String(i).padStart(4, "0")}==`,
      "x-host-header": "news.example.com",
      "cs-protocol": "https",
      "cs-bytes": "231",
      "time-taken": "0.042",
      "x-forwarded-for": "-",
      "ssl-protocol": "TLSv1.3",
      "ssl-cipher": "TLS_AES_128_GCM_SHA256",
      "x-edge-response-result-type": status === 304 ? "RefreshHit" : "Miss",
      "cs-protocol-version": "HTTP/2.0",
      "fle-status": "-",
      "fle-encrypted-fields": "-",
      "c-port": "53124",
      "time-to-first-byte": "0.040",
      "x-edge-detailed-result-type": status === 304 ? "RefreshHit" : "Miss",
      "sc-content-type": "application/rss+xml;%20charset=utf-8",
      "sc-content-len": "-",
      "sc-range-start": "-",
      "sc-range-end": "-",
    };
    lines.push(CLOUDFRONT_FIELDS.map((name) => values[name] ?? "-").join("\t"));
  }
  return `${lines.join("\n")}\n`;
}

export const gz = (text: string): Uint8Array => new Uint8Array(gzipSync(text));

/** A day of fetches with known answers (see EXPECTED_DAY). */
export const DAY = "2026-05-31";
export const LOG_FILES: Record<string, LogFetch[]> = {
  [`${DAY}-01`]: [
    {
      at: `${DAY}T01:00:05Z`,
      path: "/feed.xml",
      ua: UA.feedly.replace("462", "40").replace("; )", "; feed-id=A)"),
      ip: "198.51.100.1",
    },
    { at: `${DAY}T01:10:00Z`, path: "/feed.xml", ua: UA.inoreader.replace("114", "7") },
    { at: `${DAY}T01:20:00Z`, path: "/feed.xml", ua: UA.miniflux, ip: "203.0.113.5" },
    { at: `${DAY}T01:25:00Z`, path: "/feed.xml", ua: UA.netnewswire, ip: "203.0.113.6" },
    { at: `${DAY}T01:30:00Z`, path: "/atom.xml", ua: UA.theOldReader },
    {
      at: `${DAY}T01:40:00Z`,
      path: "/articles/night-bus",
      ua: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    },
    { at: `${DAY}T01:50:00Z`, path: "/feed.xml", ua: "curl/8.5.0", status: 404 },
  ],
  [`${DAY}-13`]: [
    {
      at: `${DAY}T13:00:00Z`,
      path: "/feed.xml",
      ua: UA.feedly.replace("462", "42").replace("; )", "; feed-id=A)"),
      ip: "198.51.100.2",
    },
    {
      at: `${DAY}T13:05:00Z`,
      path: "/feed.xml",
      ua: UA.feedly.replace("462", "3").replace("; )", "; feed-id=B)"),
    },
    { at: `${DAY}T13:10:00Z`, path: "/feed.xml", ua: UA.newsblur.replace("27", "24") },
    { at: `${DAY}T13:15:00Z`, path: "/feed.xml", ua: UA.feedbin, status: 304 },
    { at: `${DAY}T13:20:00Z`, path: "/feed.xml", ua: UA.miniflux, ip: "203.0.113.5" },
    { at: `${DAY}T13:25:00Z`, path: "/feed.xml", ua: UA.miniflux, ip: "203.0.113.7" },
    {
      at: `${DAY}T13:30:00Z`,
      path: "/atom.xml",
      ua: UA.bazqux.replace("1 subscribers", "2 subscribers"),
    },
    { at: `${DAY}T13:35:00Z`, path: "/atom.xml", ua: UA.chrome, ip: "203.0.113.9" },
    {
      at: `${DAY}T13:40:00Z`,
      path: "/tags/transport/feed.json",
      ua: UA.inoreader.replace("114", "5"),
      query: "limit=20",
    },
  ],
  [`${DAY}-20`]: [
    { at: `${DAY}T20:00:00Z`, path: "/feed.xml", ua: UA.inoreader.replace("114", "9") },
    // CloudFront can put a few requests of the next hour (here: the next day) in a file.
    { at: "2026-06-01T00:00:10Z", path: "/feed.xml", ua: UA.inoreader.replace("114", "999") },
  ],
};

/** The report the day above must give. */
export const EXPECTED_DAY = [
  {
    day: DAY,
    feed: "/feed.xml",
    aggregators: { Feedbin: 102, Feedly: 45, Inoreader: 9, NewsBlur: 24 },
    otherPollers: 3,
    total: 183,
  },
  {
    day: DAY,
    feed: "/tags/transport/feed.json",
    aggregators: { Inoreader: 5 },
    otherPollers: 0,
    total: 5,
  },
  {
    day: DAY,
    feed: "/atom.xml",
    aggregators: { BazQux: 2, "The Old Reader": 1 },
    otherPollers: 1,
    total: 4,
  },
];

/** The metrics (without their `_aws` envelope) that the day of LOG_FILES publishes. */
export const EXPECTED_METRICS = [
  { Feed: "/feed.xml", Subscribers: 183 },
  { Feed: "/tags/transport/feed.json", Subscribers: 5 },
  { Feed: "/atom.xml", Subscribers: 4 },
  { Aggregator: "BazQux", Subscribers: 2 },
  { Aggregator: "Feedbin", Subscribers: 102 },
  { Aggregator: "Feedly", Subscribers: 45 },
  { Aggregator: "Inoreader", Subscribers: 14 },
  { Aggregator: "NewsBlur", Subscribers: 24 },
  { Aggregator: "The Old Reader", Subscribers: 1 },
  { Aggregator: "other pollers", Subscribers: 4 },
  { Site: "all feeds", Subscribers: 192 },
];
