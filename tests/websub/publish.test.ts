import { createServer } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { memoryLogger } from "../../functions/log.ts";
import { publish } from "../../functions/websub/publish.ts";
import { type Hub, startHub } from "../support/hub.ts";

const FEEDS = [
  "https://news.example.com/feed.xml",
  "https://news.example.com/tags/r-d/atom.xml?x=1&y=2",
];

let hub: Hub;
let log: ReturnType<typeof memoryLogger>;
beforeEach(async () => {
  hub = await startHub();
  log = memoryLogger();
});
afterEach(() => hub.close());

/** Quick retries: what is tested is how often and with what outcome, not how long. */
const fast = () => ({ log, retries: 2, backoff: 1, timeout: 5_000 });

describe("publish", () => {
  it("POSTs hub.mode=publish and hub.url, form-encoded, one request per feed", async () => {
    const report = await publish(hub.url, FEEDS, fast());
    expect(report).toEqual({ published: FEEDS, failed: [] });
    expect(hub.requests).toHaveLength(2);
    for (const [i, request] of hub.requests.entries()) {
      expect(request.method).toBe("POST");
      expect(request.path).toBe("/hub");
      expect(request.contentType).toBe("application/x-www-form-urlencoded");
      expect(request.modes).toEqual(["publish"]);
      expect(request.urls).toEqual([FEEDS[i]]);
    }
    // The topic's own `&` is encoded, not taken as a second form field.
    expect(hub.requests[1]?.body).toBe(
      "hub.mode=publish&hub.url=https%3A%2F%2Fnews.example.com%2Ftags%2Fr-d%2Fatom.xml%3Fx%3D1%26y%3D2",
    );
    expect(log.entries).toContainEqual({
      level: "info",
      message: "websub hub notified",
      fields: { hub: hub.url, feeds: FEEDS },
    });
  });

  it("sends each feed once even when listed twice", async () => {
    await publish(hub.url, [FEEDS[0] as string, FEEDS[0] as string], fast());
    expect(hub.requests.map((r) => r.urls)).toEqual([[FEEDS[0]]]);
  });

  it("retries a 500 and a 429, then succeeds", async () => {
    hub.answer(500, 429);
    const report = await publish(hub.url, [FEEDS[0] as string], fast());
    expect(report.published).toEqual([FEEDS[0]]);
    expect(hub.requests).toHaveLength(3);
    expect(log.entries.filter((e) => e.level === "warn").map((e) => e.fields?.attempt)).toEqual([
      1, 2,
    ]);
    expect(log.entries.some((e) => e.level === "error")).toBe(false);
  });

  it("gives up after 1 + retries attempts and logs the last reason", async () => {
    hub.answer(500, 502, 503);
    const report = await publish(hub.url, [FEEDS[0] as string], fast());
    expect(hub.requests).toHaveLength(3);
    expect(report).toEqual({
      published: [],
      failed: [{ url: FEEDS[0], reason: "hub answered 503: error 503" }],
    });
    expect(log.entries).toContainEqual({
      level: "error",
      message: "websub publish gave up",
      fields: { hub: hub.url, feed: FEEDS[0], reason: "hub answered 503: error 503" },
    });
  });

  it("does not retry a 4xx refusal", async () => {
    hub.answer(400);
    const report = await publish(hub.url, [FEEDS[0] as string], fast());
    expect(hub.requests).toHaveLength(1);
    expect(report.failed).toEqual([{ url: FEEDS[0], reason: "hub answered 400: error 400" }]);
  });

  it("treats a hub that does not answer as failed, within its time-out", async () => {
    hub.hang();
    const report = await publish(hub.url, [FEEDS[0] as string], {
      log,
      retries: 1,
      backoff: 1,
      timeout: 200,
    });
    expect(hub.requests).toHaveLength(2);
    expect(report.failed).toEqual([{ url: FEEDS[0], reason: "no answer within 200 ms" }]);
  });

  it("never rejects when the hub cannot be reached", async () => {
    const port = await closedPort();
    const report = await publish(`http://127.0.0.1:${port}/hub`, FEEDS, fast());
    expect(report.published).toEqual([]);
    expect(report.failed.map((f) => f.url)).toEqual(FEEDS);
    expect(report.failed[0]?.reason).toMatch(/^request failed: .*ECONNREFUSED/);
    expect(log.entries.filter((e) => e.message === "websub publish gave up")).toHaveLength(2);
  });
});

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
