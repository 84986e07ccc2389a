/**
 * The SQS adapter that puts the indexer's changed feeds on the WebSub queue (tested against an
 * SQS stand-in on 127.0.0.1). What the indexer announces, and when: tests/lambda/indexer.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  PAGES_PER_MESSAGE,
  parseChange,
  SCOPES_PER_MESSAGE,
  sqsAnnouncer,
} from "../../functions/websub/queue.ts";
import { type SqsStub, startSqsStub } from "../support/sqs-stub.ts";

let sqs: SqsStub;

beforeAll(async () => {
  sqs = await startSqsStub();
});
afterAll(async () => {
  await sqs.close();
});

describe("sqsAnnouncer", () => {
  const env = (queue: string) => ({
    WEBSUB_QUEUE_URL: queue,
    AWS_ENDPOINT_URL_SQS: sqs.url,
    AWS_REGION: "eu-west-1",
    AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
    AWS_SECRET_ACCESS_KEY: "secret",
  });

  it("is absent without WEBSUB_QUEUE_URL, and refuses one that is not a URL", () => {
    expect(sqsAnnouncer({})).toEqual({});
    expect(() => sqsAnnouncer({ WEBSUB_QUEUE_URL: "pings" })).toThrow(/WEBSUB_QUEUE_URL/);
  });

  it("sends the scopes and pages to the queue, at most SCOPES_PER_MESSAGE and PAGES_PER_MESSAGE per message", async () => {
    const saved = { ...process.env };
    const queue = "https://sqs.eu-west-1.amazonaws.com/111122223333/pings";
    Object.assign(process.env, env(queue));
    try {
      const { onChange } = sqsAnnouncer(env(queue));
      const scopes = [
        "",
        ...Array.from({ length: SCOPES_PER_MESSAGE + 5 }, (_, i) => `/tags/t${i}`),
      ];
      const pages = Array.from({ length: 2 * PAGES_PER_MESSAGE + 1 }, (_, i) => `article-${i}`);
      const before = sqs.messages.length;
      await onChange?.({ scopes, pages });
      const sent = sqs.messages.slice(before).map((m) => ({ ...m, change: parseChange(m.body) }));
      expect(sent.map((m) => m.queueUrl)).toEqual([queue, queue, queue]);
      expect(sent.flatMap((m) => m.change.scopes)).toEqual(scopes);
      expect(sent.flatMap((m) => m.change.pages)).toEqual(pages);
      expect(sent.map((m) => [m.change.scopes.length, m.change.pages.length])).toEqual([
        [SCOPES_PER_MESSAGE, PAGES_PER_MESSAGE],
        [6, PAGES_PER_MESSAGE],
        [0, 1],
      ]);
    } finally {
      process.env = saved;
    }
  });
});

describe("parseChange", () => {
  it("reads messages sent before pages existed (scopes only)", () => {
    expect(parseChange(JSON.stringify({ scopes: ["", "/tags/x"] }))).toEqual({
      scopes: ["", "/tags/x"],
      pages: [],
    });
  });

  it("refuses what could widen or misdirect an invalidation", () => {
    for (const body of [
      { scopes: [] },
      { scopes: [], pages: [] },
      { scopes: ["/tags/*"] },
      { scopes: [""], pages: ["*"] },
      { scopes: [""], pages: ["a/b"] },
      { scopes: [""], pages: ["../x"] },
      { scopes: [""], pages: ["a b"] },
      { scopes: ["/tags/a b"] },
      { scopes: [""], pages: Array(PAGES_PER_MESSAGE + 1).fill("a") },
    ])
      expect(() => parseChange(JSON.stringify(body)), JSON.stringify(body)).toThrow(TypeError);
    expect(parseChange(JSON.stringify({ scopes: [], pages: ["축제-2"] })).pages).toEqual([
      "축제-2",
    ]);
  });
});
