/**
 * The WebSub publisher's core against real parts: SQS batches shaped as Lambda receives them
 * (bodies as the indexer's announcer writes them), the real CloudFront invalidator talking to a
 * CloudFront API stand-in on 127.0.0.1 that keeps CloudFront's limits, and pings to an HTTP hub
 * stub. The order matters: invalidate, wait for completion, then ping (only with a hub).
 */
import { CloudFrontClient } from "@aws-sdk/client-cloudfront";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { memoryLogger } from "../../functions/log.ts";
import { cloudFrontInvalidator } from "../../functions/websub/cloudfront.ts";
import { handlePingBatch, type PublisherDeps } from "../../functions/websub/handler.ts";
import { type Change, changedPaths, MAX_EXACT_PATHS } from "../../functions/websub/paths.ts";
import { messagesOf } from "../../functions/websub/queue.ts";
import { type Edge, startEdge } from "../support/cloudfront-edge.ts";
import { type Hub, startHub } from "../support/hub.ts";
import { sqsEvent } from "../support/s3-events.ts";

const SITE = "https://news.example.com";
const DISTRIBUTION = "E2EXAMPLE0001";
let hub: Hub;
let edge: Edge;
let log: ReturnType<typeof memoryLogger>;

beforeEach(async () => {
  hub = await startHub();
  edge = await edgeOf(3);
  log = memoryLogger();
});
afterEach(async () => {
  await hub.close();
  await edge.close();
});

const clientOf = (at: Edge) =>
  new CloudFrontClient({
    region: "us-east-1",
    endpoint: at.apiUrl,
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    maxAttempts: 1,
  });

/** A CloudFront stand-in whose invalidations complete at their `polls`th status check. */
const edgeOf = (polls: number) =>
  startEdge({
    distributionId: DISTRIBUTION,
    origin: async () => ({ statusCode: 200, headers: {}, body: Buffer.from("") }),
    pollsUntilComplete: polls,
  });
const invalidatorAt = (at: Edge, options: { pollMs: number; maxWaitMs?: number }) =>
  cloudFrontInvalidator({ client: clientOf(at), distributionId: DISTRIBUTION, ...options });

function deps(overrides: Partial<PublisherDeps> = {}): PublisherDeps {
  const client = clientOf(edge);
  return {
    siteUrl: SITE,
    hubUrl: hub.url,
    invalidate: cloudFrontInvalidator({ client, distributionId: DISTRIBUTION, pollMs: 20 }),
    log,
    publish: { retries: 1, backoff: 1, timeout: 5_000 },
    ...overrides,
  };
}

const feeds = (scope: string) => ["feed.xml", "atom.xml", "feed.json"].map((f) => `${scope}/${f}`);
/** An SQS batch of the messages the indexer's announcer sends for each change. */
const batch = (...changes: Change[]) => sqsEvent(changes.flatMap(messagesOf));

describe("handlePingBatch", () => {
  it("invalidates exactly what the changes made stale, waits until CloudFront completes, then pings the feeds", async () => {
    const event = batch(
      { scopes: ["", "/tags/ports"], pages: ["night-ferry"] },
      { scopes: ["", "/authors/mara"], pages: ["harbour", "night-ferry"] },
    );
    const outcome = await handlePingBatch(event, deps());
    const expected = changedPaths({
      scopes: ["", "/authors/mara", "/tags/ports"],
      pages: ["harbour", "night-ferry"],
    });
    expect(expected).toEqual(expect.arrayContaining(["/articles/night-ferry", "/tags/ports", "/"]));
    expect(edge.invalidations).toHaveLength(1);
    expect(edge.invalidations[0]?.paths).toEqual(expected);
    expect(outcome?.invalidated).toEqual(expected);
    expect(edge.invalidations[0]?.polls).toBeGreaterThanOrEqual(2);
    // Hubs are told of feeds only: article pages and sitemaps are nobody's topic.
    const pinged = [...feeds(""), ...feeds("/authors/mara"), ...feeds("/tags/ports")];
    expect(outcome?.pinged?.published).toEqual(pinged.map((p) => `${SITE}${p}`));
    expect(hub.requests.flatMap((r) => r.urls).sort()).toEqual(
      pinged.map((p) => `${SITE}${p}`).sort(),
    );
    const completed = edge.invalidations[0]?.completedAt ?? Number.POSITIVE_INFINITY;
    for (const request of hub.requests)
      expect(request.receivedAt).toBeGreaterThanOrEqual(completed);
  });

  it("without a hub, invalidates the same paths, waits, and pings nothing", async () => {
    const { hubUrl: _none, ...noHub } = deps();
    const change = { scopes: ["", "/tags/ports"], pages: ["night-ferry"] };
    const outcome = await handlePingBatch(batch(change), noHub);
    expect(outcome).toEqual({ invalidated: changedPaths(change) });
    expect(edge.invalidations[0]?.completedAt).toBeDefined();
    expect(hub.requests).toEqual([]);
  });

  it("reads messages sent before pages existed (scopes only)", async () => {
    const outcome = await handlePingBatch(sqsEvent([{ scopes: ["/tags/ports"] }]), deps());
    expect(edge.invalidations[0]?.paths).toEqual(["/tags/ports", ...feeds("/tags/ports")]);
    expect(outcome?.pinged?.published).toHaveLength(3);
  });

  it("reuses its invalidation when the same batch is retried (same CallerReference)", async () => {
    const event = sqsEvent([{ scopes: [""] }]);
    await handlePingBatch(event, deps());
    await handlePingBatch(event, deps());
    expect(edge.invalidations).toHaveLength(1);
    await handlePingBatch(sqsEvent([{ scopes: [""] }]), deps());
    expect(edge.invalidations).toHaveLength(2);
  });

  it("widens a batch too large for its share of CloudFront's limits, so two publishers at once are both accepted", async () => {
    // A rebuild that touched 1,000 articles of 200 tags: 1,800 exact paths per batch, which
    // two batches at once could not both have in progress (3,000).
    const full = (n: number): Change => ({
      scopes: Array.from({ length: 20 }, (_, i) => `/tags/t${n}-${i}`),
      pages: Array.from({ length: 100 }, (_, i) => `article-${n}-${i}`),
    });
    const first = Array.from({ length: 10 }, (_, n) => full(n));
    const second = Array.from({ length: 10 }, (_, n) => full(n + 10));
    const slow = await edgeOf(4);
    try {
      const at = deps({
        invalidate: invalidatorAt(slow, { pollMs: 20 }),
      });
      const { hubUrl: _none, ...noHub } = at;
      const outcomes = await Promise.all([
        handlePingBatch(batch(...first), noHub),
        handlePingBatch(batch(...second), noHub),
      ]);
      expect(slow.refusals).toBe(0);
      expect(slow.invalidations).toHaveLength(2);
      for (const [i, outcome] of outcomes.entries()) {
        const exact = outcome?.invalidated.filter((p) => !p.endsWith("*")) ?? [];
        expect(exact.length).toBeLessThanOrEqual(MAX_EXACT_PATHS);
        // The 1,000 article pages (the largest group) become one wildcard; the tags' fit.
        const tags = (i === 0 ? first : second).flatMap((c) => c.scopes);
        expect(outcome?.invalidated).toEqual([
          ...changedPaths({ scopes: tags, pages: [] }),
          "/articles/*",
        ]);
      }
    } finally {
      await slow.close();
    }
  });

  it("waits while CloudFront has too many invalidations in progress, then invalidates and pings", async () => {
    // An operator's invalidation holds 2,999 of the distribution's 3,000 paths in progress.
    const busy = await edgeOf(2);
    try {
      const operator = await invalidatorAt(busy, { pollMs: 60_000 });
      void operator(
        Array.from({ length: 2_999 }, (_, i) => `/old/${i}`),
        "operator",
      ).catch(() => {});
      await vi.waitFor(() => expect(busy.invalidations).toHaveLength(1));
      const at = deps({
        invalidate: invalidatorAt(busy, { pollMs: 20 }),
      });
      const running = handlePingBatch(sqsEvent([{ scopes: ["/tags/ports"] }]), at);
      await vi.waitFor(() => expect(busy.refusals).toBeGreaterThanOrEqual(2));
      expect(hub.requests).toEqual([]);
      busy.complete(busy.invalidations[0]?.id ?? "");
      const outcome = await running;
      expect(busy.invalidations).toHaveLength(2);
      expect(outcome?.pinged?.published).toHaveLength(3);
    } finally {
      await busy.close();
    }
  });

  it("pings nothing and rejects when the invalidation fails or does not complete in time", async () => {
    const failing = deps({
      invalidate: cloudFrontInvalidator({
        client: clientOf(edge),
        distributionId: "EOTHERDISTRIBUTION",
        pollMs: 20,
      }),
    });
    await expect(handlePingBatch(sqsEvent([{ scopes: [""] }]), failing)).rejects.toThrow();
    const slowEdge = await edgeOf(1_000);
    try {
      const slow = deps({
        invalidate: invalidatorAt(slowEdge, { pollMs: 10, maxWaitMs: 200 }),
      });
      await expect(handlePingBatch(sqsEvent([{ scopes: [""] }]), slow)).rejects.toThrow(
        /still InProgress/,
      );
    } finally {
      await slowEdge.close();
    }
    expect(hub.requests).toEqual([]);
  });

  it("rejects when the hub keeps refusing, so SQS retries the batch and then keeps it in the DLQ", async () => {
    hub.answer(...Array(20).fill(503));
    await expect(handlePingBatch(sqsEvent([{ scopes: [""] }]), deps())).rejects.toThrow(
      /hub refused 3 of 3 feeds: hub answered 503/,
    );
    expect(log.entries.filter((e) => e.message === "websub publish gave up")).toHaveLength(3);
  });

  it("skips, and logs, messages that are not change announcements", async () => {
    const event = sqsEvent([
      { scopes: ["/tags/ports"] },
      { scopes: ["/../etc"] },
      { scopes: [""], pages: ["*"] },
      { rebuild: true },
      { scopes: [] },
    ]);
    event.Records.push({ ...(event.Records[0] as (typeof event.Records)[0]), body: "not json" });
    const outcome = await handlePingBatch(event, deps());
    expect(outcome?.pinged?.published).toEqual(feeds("/tags/ports").map((p) => `${SITE}${p}`));
    expect(log.entries.filter((e) => e.message === "websub: queue message ignored")).toHaveLength(
      5,
    );
    expect(await handlePingBatch(sqsEvent([{ nothing: 1 }]), deps())).toBeUndefined();
    expect(edge.invalidations).toHaveLength(1);
  });
});
