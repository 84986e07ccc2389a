/**
 * What the indexer announces after its writes (the WebSub path on AWS): the scopes whose feeds
 * changed, only after the manifest write, never for a write that changed nothing; and the SQS
 * adapter that puts them on the queue (tested against an SQS stand-in on 127.0.0.1).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Indexer } from "../../functions/indexer.ts";
import { memoryLogger } from "../../functions/log.ts";
import {
  parseChangedFeeds,
  SCOPES_PER_MESSAGE,
  sqsAnnouncer,
} from "../../functions/websub/queue.ts";
import { article } from "../support/folder-site.ts";
import { s3Record, sqsEvent } from "../support/s3-events.ts";
import { type S3rver, startS3rver } from "../support/s3rver.ts";
import { type SqsStub, startSqsStub } from "../support/sqs-stub.ts";

let s3: S3rver;
let sqs: SqsStub;
let round = 0;

beforeAll(async () => {
  s3 = await startS3rver();
  sqs = await startSqsStub();
});
afterAll(async () => {
  await sqs.close();
  await s3.dispose();
});
beforeEach(() => {
  round++;
});

function indexer(onChange?: (scopes: string[]) => Promise<void>) {
  const log = memoryLogger();
  const prefix = `r${round}/articles/`;
  return {
    log,
    prefix,
    indexer: new Indexer({
      client: s3.client,
      bucket: s3.bucket,
      prefix,
      manifestKey: `r${round}/index/manifest.json.gz`,
      log,
      ...(onChange ? { onChange } : {}),
    }),
  };
}

describe("the indexer's announcements", () => {
  it("announces the site for a first manifest, then exactly the scopes a change touched", async () => {
    const announced: string[][] = [];
    const { indexer: ix, prefix } = indexer(async (scopes) => {
      announced.push(scopes);
    });
    await s3.put(`${prefix}ferry.md`, article({ title: "Ferry", tags: ["Ports"], author: "Mara" }));
    await ix.rebuild();
    expect(announced).toEqual([[""]]);

    await s3.put(`${prefix}bus.md`, article({ title: "Bus", tags: ["Transport"], author: "Ana" }));
    await ix.handle(sqsEvent([[s3Record(s3.bucket, `${prefix}bus.md`)]]));
    expect(announced[1]).toEqual(["", "/authors/ana", "/tags/transport"]);

    // A duplicate event changes nothing and announces nothing.
    await ix.handle(sqsEvent([[s3Record(s3.bucket, `${prefix}bus.md`)]]));
    expect(announced).toHaveLength(2);

    await s3.remove(`${prefix}ferry.md`);
    await ix.handle(sqsEvent([[s3Record(s3.bucket, `${prefix}ferry.md`, "ObjectRemoved:Delete")]]));
    expect(announced[2]).toEqual(["", "/authors/mara", "/tags/ports"]);
  });

  it("fails the run (the manifest stays written) when the announcement fails, and says so", async () => {
    const {
      indexer: ix,
      prefix,
      log,
    } = indexer(async () => {
      throw new Error("queue unreachable");
    });
    await s3.put(`${prefix}a.md`, article({ title: "A" }));
    await expect(ix.rebuild()).rejects.toThrow("queue unreachable");
    expect(log.entries).toContainEqual(
      expect.objectContaining({ level: "error", message: "changed feeds could not be announced" }),
    );
    const { indexer: again } = indexer();
    expect((await again.rebuild()).written).toBe(false);
  });
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
