/**
 * The SQS adapter that puts the indexer's changed feeds on the WebSub queue (tested against an
 * SQS stand-in on 127.0.0.1). What the indexer announces, and when: tests/lambda/indexer.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  parseChangedFeeds,
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

  it("sends the scopes to the queue, at most SCOPES_PER_MESSAGE per message", async () => {
    const saved = { ...process.env };
    const queue = "https://sqs.eu-west-1.amazonaws.com/111122223333/pings";
    Object.assign(process.env, env(queue));
    try {
      const { onChange } = sqsAnnouncer(env(queue));
      const scopes = [
        "",
        ...Array.from({ length: SCOPES_PER_MESSAGE + 5 }, (_, i) => `/tags/t${i}`),
      ];
      const before = sqs.messages.length;
      await onChange?.(scopes);
      const sent = sqs.messages.slice(before);
      expect(sent.map((m) => m.queueUrl)).toEqual([queue, queue]);
      expect(sent.flatMap((m) => parseChangedFeeds(m.body))).toEqual(scopes);
      expect(parseChangedFeeds(sent[0]?.body ?? "")).toHaveLength(SCOPES_PER_MESSAGE);
    } finally {
      process.env = saved;
    }
  });
});
