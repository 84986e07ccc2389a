/**
 * Our SigV4 signer against two references: AWS's published worked example, and aws4fetch (a
 * well-kept implementation) on the requests Dateline makes. s3rver and dynalite do not check
 * signatures, so these are what show a real endpoint would accept ours.
 */
import { AwsV4Signer } from "aws4fetch";
import { describe, expect, it } from "vitest";
import { encodeRfc3986, signRequest } from "../../functions/aws/signer.ts";

const KEYS = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
};

describe("signRequest", () => {
  it("matches AWS's worked example (IAM ListUsers, 2015-08-30)", () => {
    const signed = signRequest(
      {
        method: "GET",
        host: "iam.amazonaws.com",
        path: "/",
        query: { Action: "ListUsers", Version: "2010-05-08" },
        headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
        body: "",
      },
      KEYS,
      "us-east-1",
      "iam",
      new Date("2015-08-30T12:36:00Z"),
    );
    expect(signed.authorization).toBe(
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
    );
  });

  const cases: {
    name: string;
    service: string;
    url: string;
    method: string;
    headers: Record<string, string>;
    body: string;
    sessionToken?: string;
  }[] = [
    {
      name: "a DynamoDB Query with a session token",
      service: "dynamodb",
      url: "https://dynamodb.eu-west-1.amazonaws.com/",
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": "DynamoDB_20120810.Query",
      },
      body: JSON.stringify({ TableName: "t", KeyConditionExpression: "pk = :pk" }),
      sessionToken: "FwoGZXIvYXdzEXAMPLE//token+with/odd=chars",
    },
    {
      name: "an S3 GetObject of a key with spaces, Korean and a conditional header",
      service: "s3",
      url: "https://bucket.s3.eu-west-1.amazonaws.com/compiled/2024/%ED%95%9C%EA%B8%80%20(draft)!.html",
      method: "GET",
      headers: { "if-none-match": '"abc"' },
      body: "",
    },
    {
      name: "an EventBridge Scheduler CreateSchedule",
      service: "scheduler",
      url: "https://scheduler.eu-west-1.amazonaws.com/schedules/dateline-release-1",
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"ScheduleExpression":"at(2030-01-01T00:00:00)"}',
    },
  ];

  for (const c of cases) {
    it(`signs ${c.name} exactly as aws4fetch does`, async () => {
      const datetime = "20260102T030405Z";
      const url = new URL(c.url);
      const token = c.sessionToken ? { sessionToken: c.sessionToken } : {};
      const ours = signRequest(
        {
          method: c.method,
          host: url.host,
          // As the S3 client builds it: each segment of the decoded key, RFC 3986-encoded.
          path: decodeURIComponent(url.pathname).split("/").map(encodeRfc3986).join("/"),
          headers: c.headers,
          body: c.body,
        },
        { ...KEYS, ...token },
        "eu-west-1",
        c.service,
        new Date("2026-01-02T03:04:05Z"),
      );
      // aws4fetch leaves content-type unsigned by default and sends S3 UNSIGNED-PAYLOAD; both
      // are choices SigV4 allows: make it sign what ours signs, then the signatures must agree.
      const reference = new AwsV4Signer({
        ...KEYS,
        ...token,
        url: c.url,
        method: c.method,
        headers: {
          ...c.headers,
          ...(c.service === "s3"
            ? { "x-amz-content-sha256": String(ours["x-amz-content-sha256"]) }
            : {}),
        },
        body: c.body,
        service: c.service,
        region: "eu-west-1",
        datetime,
        allHeaders: true,
      });
      const expected = await reference.sign();
      expect(ours.authorization).toBe(expected.headers.get("authorization"));
      expect(ours["x-amz-security-token"]).toBe(
        expected.headers.get("x-amz-security-token") ?? undefined,
      );
      expect(ours["x-amz-date"]).toBe(datetime);
    });
  }

  it("encodes as RFC 3986 wants (!'()* too)", () => {
    expect(encodeRfc3986("a b!'()*~é")).toBe("a%20b%21%27%28%29%2A~%C3%A9");
  });
});
