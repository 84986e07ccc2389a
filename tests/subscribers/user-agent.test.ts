/** Subscriber counts from published aggregator User-Agents (sources in ./fixtures.ts). */
import { describe, expect, it } from "vitest";
import { parseUserAgent } from "../../functions/subscribers/user-agent.ts";
import { UA } from "./fixtures.ts";

describe("parseUserAgent", () => {
  it.each([
    [UA.feedbin, { aggregator: "Feedbin", subscribers: 102, feedId: "1697787" }],
    [UA.feedly, { aggregator: "Feedly", subscribers: 462 }],
    [UA.newsblur, { aggregator: "NewsBlur", subscribers: 27, feedId: "7704055" }],
    [UA.inoreader, { aggregator: "Inoreader", subscribers: 114 }],
    [
      UA.theOldReader,
      { aggregator: "The Old Reader", subscribers: 1, feedId: "cead6c3a837650eeefd8fe4a" },
    ],
    [UA.bazqux, { aggregator: "BazQux", subscribers: 1 }],
    [UA.dreamwidth, { aggregator: "Dreamwidth", subscribers: 2 }],
    [
      UA.feedfetcherGoogle,
      { aggregator: "Google Feedfetcher", subscribers: 1, feedId: "1368044458445856733" },
    ],
    [UA.bloglines, { aggregator: "Bloglines", subscribers: 154 }],
    [UA.newsgator, { aggregator: "NewsGator", subscribers: 99 }],
    [UA.bloglovin, { aggregator: "Bloglovin", subscribers: 1 }],
  ])("%s", (ua, expected) => {
    expect(parseUserAgent(ua)).toEqual(expected);
  });

  it("names an unknown aggregator by its product token or its (compatible; …) host", () => {
    expect(parseUserAgent("Newshutch/1.0 (http://newshutch.com; 12 subscribers)")).toEqual({
      aggregator: "Newshutch",
      subscribers: 12,
    });
    expect(
      parseUserAgent("Mozilla/5.0 (compatible; feedreader.example; 1,204 subscribers)"),
    ).toEqual({
      aggregator: "feedreader.example",
      subscribers: 1204,
    });
  });

  it("finds no count in browsers and self-hosted or desktop readers (each is one poller)", () => {
    for (const ua of [
      UA.miniflux,
      UA.netnewswire,
      UA.chrome,
      "",
      "Feedly/1.0 (+http://www.feedly.com/fetcher.html; like FeedFetcher-Google)",
    ]) {
      expect(parseUserAgent(ua), ua).toBeUndefined();
    }
  });
});
