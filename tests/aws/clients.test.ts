/**
 * The signed clients on real servers: S3 (s3rver) and DynamoDB (dynalite) on 127.0.0.1, with a
 * fault proxy in front of dynalite for throttling and outages.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoDb } from "../../functions/aws/dynamodb.ts";
import { AwsError } from "../../functions/aws/request.ts";
import { S3 } from "../../functions/aws/s3.ts";
import { DynamoTable } from "../../functions/index/dynamodb.ts";
import { ConflictError, TableUnavailableError } from "../../functions/index/table.ts";
import { DYNALITE_CREDENTIALS, type Dynalite, startDynalite } from "../support/dynalite.ts";
import { type FaultProxy, startFaultProxy } from "../support/fault-proxy.ts";
import { S3RVER_CREDENTIALS, type S3rver, startS3rver } from "../support/s3rver.ts";

let s3: S3rver;
let db: Dynalite;
let proxy: FaultProxy;

beforeAll(async () => {
  [s3, db] = await Promise.all([startS3rver(), startDynalite()]);
  proxy = await startFaultProxy(Number(new URL(db.endpoint).port));
});
afterAll(async () => {
  await Promise.all([s3.dispose(), db.stop(), proxy.close()]);
});

describe("S3", () => {
  const client = () =>
    new S3(
      { url: s3.endpoint, region: "us-east-1", service: "s3", credentials: S3RVER_CREDENTIALS },
      s3.bucket,
    );

  it("puts and gets an object by a key with spaces and non-ASCII characters", async () => {
    const key = "compiled/2024/한글 (draft)!.html";
    const etag = await client().put(key, "<p>안녕</p>", "text/html; charset=utf-8");
    const got = await client().get(key);
    expect(got).toMatchObject({ status: "ok", etag });
    expect(got.status === "ok" && got.body.toString("utf8")).toBe("<p>안녕</p>");
  });

  it("answers a matching If-None-Match as not modified, a missing key as missing", async () => {
    await s3.put("articles/a.md", "# A");
    const first = await client().get("articles/a.md");
    if (first.status !== "ok") throw new Error("expected the object");
    expect(await client().get("articles/a.md", first.etag)).toEqual({
      status: "not-modified",
      etag: first.etag,
    });
    expect(await client().get("articles/none.md")).toEqual({ status: "missing" });
  });

  it("lists every object under a prefix, keys unescaped from S3's XML", async () => {
    await s3.put("list/a&b <c>.md", "1");
    await s3.put("list/한/d.md", "22");
    await s3.put("other/e.md", "3");
    const listed = await client().list("list/");
    expect(listed.map((o) => [o.key, o.size])).toEqual([
      ["list/a&b <c>.md", 1],
      ["list/한/d.md", 2],
    ]);
    expect(listed[0]?.etag).toMatch(/^"[0-9a-f]{32}"$/);
  });

  it("reports a refused access key as an AwsError with S3's code", async () => {
    const wrong = new S3(
      {
        url: s3.endpoint,
        region: "us-east-1",
        service: "s3",
        credentials: { accessKeyId: "NOPE", secretAccessKey: "x" },
      },
      s3.bucket,
    );
    await expect(wrong.get("articles/a.md")).rejects.toMatchObject({
      status: 403,
      code: "InvalidAccessKeyId",
    });
  });
});

describe("DynamoDB", () => {
  const table = (url: string, timeoutMs = 1_000) =>
    new DynamoTable({
      client: new DynamoDb({
        endpoint: {
          url,
          region: "us-east-1",
          service: "dynamodb",
          credentials: DYNALITE_CREDENTIALS,
          timeoutMs,
        },
      }),
      tableName: db.tableName,
      consistent: true,
    });

  it("reads, queries in sort-key order and writes conditionally", async () => {
    await db.table();
    const t = table(db.endpoint);
    await t.write({ put: { pk: "x", sk: "b", gen: 1, list: ["a", "b"], ok: true } });
    await t.write({ put: { pk: "x", sk: "a", gen: 1 } });
    await t.write({ update: { pk: "x", sk: "c" }, set: { name: "한" }, add: { n: 2 } });
    expect((await t.query("x")).map((i) => i.sk)).toEqual(["a", "b", "c"]);
    expect(await t.query("x", { after: "a", limit: 1 })).toEqual([
      { pk: "x", sk: "b", gen: 1, list: ["a", "b"], ok: true },
    ]);
    expect(await t.query("x", { upTo: "b", attributes: ["gen"] })).toEqual([
      { pk: "x", sk: "a", gen: 1 },
      { pk: "x", sk: "b", gen: 1 },
    ]);
    await expect(
      t.write({ put: { pk: "x", sk: "a", gen: 5 }, if: { gen: 2 } }),
    ).rejects.toBeInstanceOf(ConflictError);
    await expect(
      t.write({ put: { pk: "x", sk: "a" }, if: { absent: true } }),
    ).rejects.toBeInstanceOf(ConflictError);
    await t.write({ update: { pk: "x", sk: "c" }, remove: ["name"], add: { n: -1 } });
    expect(await t.get({ pk: "x", sk: "c" })).toEqual({ pk: "x", sk: "c", n: 1 });
  });

  it("pages a query past DynamoDB's 1 MB response limit", async () => {
    const t = table(db.endpoint);
    const big = "x".repeat(100_000);
    for (let i = 0; i < 14; i++)
      await t.write({ put: { pk: "big", sk: String(i).padStart(2, "0"), big } });
    expect((await t.query("big")).length).toBe(14);
    expect((await t.query("big", { limit: 12 })).length).toBe(12);
  });

  it("throttling and outages are TableUnavailableError, other errors pass through", async () => {
    const t = table(proxy.endpoint, 500);
    proxy.decide = () => ({
      kind: "respond",
      status: 400,
      headers: { "content-type": "application/x-amz-json-1.0" },
      body: JSON.stringify({
        __type: "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
        message: "Rate exceeded",
      }),
    });
    await expect(t.get({ pk: "x", sk: "a" })).rejects.toBeInstanceOf(TableUnavailableError);
    proxy.decide = () => ({ kind: "stall" });
    const started = Date.now();
    await expect(t.get({ pk: "x", sk: "a" })).rejects.toBeInstanceOf(TableUnavailableError);
    expect(Date.now() - started).toBeLessThan(5_000);
    proxy.decide = () => "forward";
    expect(await t.get({ pk: "x", sk: "a" })).toMatchObject({ pk: "x", sk: "a" });
    const missing = new DynamoTable({
      client: new DynamoDb({
        endpoint: {
          url: db.endpoint,
          region: "us-east-1",
          service: "dynamodb",
          credentials: DYNALITE_CREDENTIALS,
        },
      }),
      tableName: "no-such-table",
    });
    const error = await missing.get({ pk: "x", sk: "a" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsError);
    expect((error as AwsError).code).toBe("ResourceNotFoundException");
  });
});
