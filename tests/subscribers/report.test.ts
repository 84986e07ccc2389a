/**
 * The subscriber report from CloudFront standard log files and from the local request log, and
 * the CloudWatch embedded metric format lines the daily job writes.
 */
import { describe, expect, it } from "vitest";
import {
  isFeedPath,
  parseCloudFrontLog,
  parseRequestLog,
} from "../../functions/subscribers/fetches.ts";
import {
  emfLines,
  formatReport,
  MAX_FEED_METRICS,
  subscriberReport,
} from "../../functions/subscribers/report.ts";
import { cloudFrontLog, DAY, EXPECTED_DAY, EXPECTED_METRICS, LOG_FILES, UA } from "./fixtures.ts";

const dayFetches = () =>
  Object.values(LOG_FILES)
    .flatMap((lines) => parseCloudFrontLog(cloudFrontLog(lines)))
    .filter((f) => f.time.toISOString().startsWith(DAY));

describe("CloudFront standard logs", () => {
  it("reads every request line by the #Fields header, decoding the User-Agent", () => {
    const fetches = parseCloudFrontLog(cloudFrontLog(LOG_FILES[`${DAY}-13`] ?? []));
    expect(fetches).toHaveLength(9);
    expect(fetches[0]).toEqual({
      time: new Date(`${DAY}T13:00:00Z`),
      path: "/feed.xml",
      status: 200,
      ip: "198.51.100.2",
      userAgent: "Feedly/1.0 (+http://www.feedly.com/fetcher.html; 42 subscribers; feed-id=A)",
    });
    expect(fetches[2]?.userAgent).toBe(UA.newsblur.replace("27", "24"));
    expect(fetches[3]?.status).toBe(304);
  });

  it("skips comments, blank and malformed lines", () => {
    const text = `${cloudFrontLog([{ at: `${DAY}T01:00:00Z`, path: "/feed.xml", ua: UA.feedly }])}garbage\n\n#Version: 1.0\nnot\ta\tline\n`;
    expect(parseCloudFrontLog(text)).toHaveLength(1);
    expect(parseCloudFrontLog("2026-05-31\t01:00:00\tno header")).toEqual([]);
  });
});

describe("subscriberReport", () => {
  it("per feed and day: the latest count per aggregator (feed ids added up) plus distinct other pollers", () => {
    expect(subscriberReport(dayFetches())).toEqual(EXPECTED_DAY);
  });

  it("does not depend on the order the files are read in", () => {
    expect(subscriberReport(dayFetches().reverse())).toEqual(EXPECTED_DAY);
  });

  it("prints a table", () => {
    const table = formatReport(subscriberReport(dayFetches()));
    expect(table.split("\n")[1]).toBe(
      `${DAY}  /feed.xml                        183  Feedbin 102, Feedly 45, Inoreader 9, NewsBlur 24, other pollers 3`,
    );
  });

  it("counts only feed paths", () => {
    expect(
      ["/feed.xml", "/atom.xml", "/feed.json", "/tags/x/feed.json", "/authors/ana/atom.xml"].every(
        isFeedPath,
      ),
    ).toBe(true);
    expect(
      ["/", "/articles/a", "/opml.xml", "/sitemap.xml", "/tags/x", "/feed.xsl"].some(isFeedPath),
    ).toBe(false);
  });
});

describe("the local request log", () => {
  it("reads the server's JSON request lines and ignores the others", () => {
    const text = [
      JSON.stringify({
        level: "info",
        message: "Dateline is serving",
        url: "http://localhost:3000",
      }),
      JSON.stringify({
        level: "info",
        message: "request",
        time: `${DAY}T10:00:00.000Z`,
        method: "GET",
        path: "/feed.xml",
        status: 200,
        ip: "::1",
        userAgent: UA.feedly,
      }),
      JSON.stringify({
        level: "info",
        message: "request",
        time: `${DAY}T10:01:00.000Z`,
        method: "GET",
        path: "/atom.xml",
        status: 304,
        ip: "::1",
        userAgent: UA.miniflux,
      }),
      "not json",
    ].join("\n");
    expect(subscriberReport(parseRequestLog(text))).toEqual([
      { day: DAY, feed: "/feed.xml", aggregators: { Feedly: 462 }, otherPollers: 0, total: 462 },
      { day: DAY, feed: "/atom.xml", aggregators: {}, otherPollers: 1, total: 1 },
    ]);
  });
});

describe("emfLines", () => {
  it("writes EMF metrics by feed, by aggregator and for the site, at the day's start", () => {
    const lines = emfLines(subscriberReport(dayFetches()), "Dateline/Test").map(
      (line) => JSON.parse(line) as Record<string, unknown>,
    );
    const metrics = lines.filter((l) => "_aws" in l);
    for (const m of metrics) {
      expect(m._aws).toEqual({
        Timestamp: Date.parse(`${DAY}T00:00:00Z`),
        CloudWatchMetrics: [
          {
            Namespace: "Dateline/Test",
            Dimensions: [Object.keys(m).filter((k) => k !== "_aws" && k !== "Subscribers")],
            Metrics: [{ Name: "Subscribers", Unit: "Count" }],
          },
        ],
      });
    }
    const values = metrics.map(({ _aws, ...rest }) => rest);
    expect(values).toEqual(EXPECTED_METRICS);
    // The whole breakdown as plain log lines (no metric cost).
    expect(lines.filter((l) => l.message === "subscribers")).toEqual(
      EXPECTED_DAY.map((r) => ({ message: "subscribers", ...r })),
    );
  });

  it("bounds the per-feed metrics however many feeds there are", () => {
    const fetches = Array.from({ length: 60 }, (_, i) => ({
      time: new Date(`${DAY}T10:00:00Z`),
      path: `/tags/t${i}/feed.xml`,
      status: 200,
      ip: "192.0.2.1",
      userAgent: UA.inoreader.replace("114", String(i + 1)),
    }));
    const lines = emfLines(subscriberReport(fetches), "ns").map(
      (l) => JSON.parse(l) as Record<string, unknown>,
    );
    const feeds = lines.filter((l) => "_aws" in l && "Feed" in l);
    expect(feeds).toHaveLength(MAX_FEED_METRICS);
    expect(feeds[0]).toMatchObject({ Feed: "/tags/t59/feed.xml", Subscribers: 60 });
    expect(lines.find((l) => "Site" in l)).toMatchObject({ Subscribers: (60 * 61) / 2 });
  });
});
