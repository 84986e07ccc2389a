/**
 * The WebSub publisher's core against real parts: SQS batches shaped as Lambda receives them,
 * the real CloudFront invalidator talking to a CloudFront API stand-in on 127.0.0.1, and pings to
 * an HTTP hub stub. The order matters: invalidate, wait for completion, then ping.
 */
import { CloudFrontClient } from "@aws-sdk/client-cloudfront";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { memoryLogger } from "../../functions/log.ts";
import { cloudFrontInvalidator } from "../../functions/websub/cloudfront.ts";
import { handlePingBatch, type PublisherDeps } from "../../functions/websub/handler.ts";
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
  edge = await startEdge({
    distributionId: DISTRIBUTION,
    origin: async () => ({ statusCode: 200, headers: {}, body: Buffer.from("") }),
    pollsUntilComplete: 3,
  });
  log = memoryLogger();
});
afterEach(async () => {
  await hub.close();
  await edge.close();
});

function deps(overrides: Partial<PublisherDeps> = {}): PublisherDeps {
  const client = new CloudFrontClient({
    region: "us-east-1",
    endpoint: edge.apiUrl,
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    maxAttempts: 1,
  });
  return {
    siteUrl: SITE,
    hubUrl: hub.url,
    invalidate: cloudFrontInvalidator({ client, distributionId: DISTRIBUTION, pollMs: 20 }),
    log,
    publish: { retries: 1, backoff: 1, timeout: 5_000 },
    ...overrides,
  };
}

const paths = (scope: string) => ["feed.xml", "atom.xml", "feed.json"].map((f) => `${scope}/${f}`);

describe("handlePingBatch", () => {
  it("invalidates exactly the changed feed paths, waits until CloudFront completes, then pings them", async () => {
    const event = sqsEvent([{ scopes: ["", "/tags/ports"] }, { scopes: ["", "/authors/mara"] }]);
    const report = await handlePingBatch(event, deps());
    const expected = [...paths(""), ...paths("/authors/mara"), ...paths("/tags/ports")];
    expect(edge.invalidations).toHaveLength(1);
    expect(edge.invalidations[0]?.paths).toEqual(expected);
    expect(edge.invalidations[0]?.polls).toBeGreaterThanOrEqual(2);
    expect(report?.published).toEqual(expected.map((p) => `${SITE}${p}`));
    const completed = edge.invalidations[0]?.completedAt ?? Number.POSITIVE_INFINITY;
    for (const request of hub.requests)
      expect(request.receivedAt).toBeGreaterThanOrEqual(completed);
  });

  it("reuses its invalidation when the same batch is retried (same CallerReference)", async () => {
    const event = sqsEvent([{ scopes: [""] }]);
    await handlePingBatch(event, deps());
    await handlePingBatch(event, deps());
    expect(edge.invalidations).toHaveLength(1);
    await handlePingBatch(sqsEvent([{ scopes: [""] }]), deps());
    expect(edge.invalidations).toHaveLength(2);
  });

  it("pings nothing and rejects when the invalidation fails or does not complete in time", async () => {
    const failing = deps({
      invalidate: cloudFrontInvalidator({
        client: new CloudFrontClient({
          region: "us-east-1",
          endpoint: edge.apiUrl,
          credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
        }),
        distributionId: "EOTHERDISTRIBUTION",
        pollMs: 20,
      }),
    });
    await expect(handlePingBatch(sqsEvent([{ scopes: [""] }]), failing)).rejects.toThrow();
    const slowEdge = await startEdge({
      distributionId: DISTRIBUTION,
      origin: async () => ({ statusCode: 200, headers: {}, body: Buffer.from("") }),
      pollsUntilComplete: 1_000,
    });
    try {
      const slow = deps({
        invalidate: cloudFrontInvalidator({
          client: new CloudFrontClient({
            region: "us-east-1",
            endpoint: slowEdge.apiUrl,
            credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
          }),
          distributionId: DISTRIBUTION,
          pollMs: 10,
          maxWaitMs: 200,
        }),
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

  it("skips, and logs, messages that are not changed-feed announcements", async () => {
    const event = sqsEvent([
      { scopes: ["/tags/ports"] },
      { scopes: ["/../etc"] },
      { rebuild: true },
      { scopes: [] },
    ]);
    event.Records.push({ ...(event.Records[0] as (typeof event.Records)[0]), body: "not json" });
    const report = await handlePingBatch(event, deps());
    expect(report?.published).toEqual(paths("/tags/ports").map((p) => `${SITE}${p}`));
    expect(log.entries.filter((e) => e.message === "websub: queue message ignored")).toHaveLength(
      4,
    );
    expect(await handlePingBatch(sqsEvent([{ nothing: 1 }]), deps())).toBeUndefined();
    expect(edge.invalidations).toHaveLength(1);
  });
});
