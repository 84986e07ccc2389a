/**
 * The IAM proof (tests/support/iam-proof.ts) on the index design's template: requests in the
 * shapes the index clients send (DynamoDB's JSON protocol, Scheduler's CreateSchedule, S3 paths)
 * mapped to what IAM evaluates, then evaluated by @cloud-copilot/iam-simulate against the
 * synthesized role policies, resolved into a fake account. Allowed: what CONTRACT.md §3 lists.
 * Denied: the feed function writing the index or reading articles/, the indexer writing
 * articles/, schedules outside the group, the release role passed to anything but Scheduler.
 * Recording the synthesized bundles' own calls is tests/deploy/websub-iam.test.ts's.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { Resolver } from "../support/cfn-resolve.ts";
import {
  evaluate,
  IamProof,
  iamRequestsOf,
  type RecordedRequest,
  type Service,
} from "../support/iam-proof.ts";
import { type Synth, synthFor } from "./support.ts";

let synth: Synth;
let proof: IamProof;
let resolver: Resolver;

beforeAll(() => {
  synth = synthFor({ "dateline:hubUrl": "https://hub.example.org/websub" });
  resolver = new Resolver(synth.resources, { stackName: "Dateline" });
  proof = new IamProof(synth.resources, resolver);
});

const roleOf = (description: string) => ({ roleLogicalId: synth.roleOf(synth.fn(description)) });
const feed = () => roleOf("^Dateline: renders");
const indexer = () => roleOf("^Dateline indexer");
const env = (description: string) =>
  Object.fromEntries(
    Object.entries(synth.env(synth.fn(description))).map(([k, v]) => [k, resolver.string(v)]),
  );

function record(
  service: Service,
  method: string,
  path: string,
  body: unknown = "",
  headers = {},
): RecordedRequest {
  return {
    service,
    method,
    path,
    query: new URLSearchParams(),
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
    status: 200,
  };
}
const dynamo = (op: string, table: string) =>
  record(
    "dynamodb",
    "POST",
    "/",
    { TableName: table },
    { "x-amz-target": `DynamoDB_20120810.${op}` },
  );
const s3 = (method: string, key: string) =>
  record("s3", method, `/${env("^Dateline indexer").CONTENT_BUCKET}/${key}`);

/** Every IAM request behind `records`, evaluated for `principal`: "Allowed" or why not. */
async function verdicts(principal: Parameters<typeof evaluate>[1], records: RecordedRequest[]) {
  const out: string[] = [];
  for (const r of records)
    for (const q of iamRequestsOf(r, proof.target))
      out.push(`${await evaluate(proof, principal, q)} ${q.action} ${q.resource.split(":").pop()}`);
  return out;
}

describe("the index design's IAM, evaluated", () => {
  it("lets the feed function GetItem and Query the table and read compiled/, and nothing else there", async () => {
    const table = env("^Dateline: renders").INDEX_TABLE as string;
    const allowed = await verdicts(feed(), [
      dynamo("GetItem", table),
      dynamo("Query", table),
      s3("GET", "compiled/0a1b.html"),
    ]);
    expect(allowed).toHaveLength(4); // GetObject brings S3's ListBucket check for a 404
    for (const v of allowed) expect(v).toMatch(/^Allowed/);
    // The proof can fail: without its statement the same read is denied.
    const full = proof;
    proof = full.without(feed().roleLogicalId, "ReadIndex");
    expect(await verdicts(feed(), [dynamo("Query", table)])).toEqual([
      expect.stringMatching(/^ImplicitlyDenied dynamodb:Query/),
    ]);
    proof = full;
    const denied = await verdicts(feed(), [
      dynamo("PutItem", table),
      dynamo("UpdateItem", table),
      dynamo("DeleteItem", table),
      dynamo("Scan", table),
      s3("GET", "articles/2026/a.md"),
      s3("PUT", "compiled/0a1b.html"),
    ]);
    for (const v of denied) expect(v).toMatch(/Denied/);
  });

  it("lets the indexer read articles/, write compiled/ and the table, and never write articles/", async () => {
    const table = env("^Dateline indexer").INDEX_TABLE as string;
    const allowed = await verdicts(indexer(), [
      s3("GET", "articles/2026/a.md"),
      s3("PUT", "compiled/0a1b.html"),
      ...["GetItem", "Query", "PutItem", "UpdateItem", "DeleteItem"].map((op) => dynamo(op, table)),
    ]);
    for (const v of allowed) expect(v).toMatch(/^Allowed/);
    const denied = await verdicts(indexer(), [
      s3("PUT", "articles/2026/a.md"),
      s3("DELETE", "articles/2026/a.md"),
      dynamo("Scan", table),
      dynamo("PutItem", "another-table"),
    ]);
    for (const v of denied) expect(v).toMatch(/Denied/);
  });

  it("lets the indexer create a release schedule in its group, passing the release role to Scheduler only", async () => {
    const e = env("^Dateline indexer");
    const schedule = (group: string) =>
      record("scheduler", "POST", "/schedules/release-20260601T120000Z", {
        GroupName: group,
        Target: { Arn: e.RELEASE_QUEUE_ARN, RoleArn: e.RELEASE_ROLE_ARN },
      });
    expect(await verdicts(indexer(), [schedule(e.RELEASE_SCHEDULE_GROUP as string)])).toEqual([
      expect.stringMatching(/^Allowed scheduler:CreateSchedule/),
      expect.stringMatching(/^Allowed iam:PassRole/),
    ]);
    const [elsewhere] = await verdicts(indexer(), [schedule("default")]);
    expect(elsewhere).toMatch(/^ImplicitlyDenied scheduler:CreateSchedule/);
    const toLambda = await evaluate(proof, indexer(), {
      action: "iam:PassRole",
      resource: e.RELEASE_ROLE_ARN as string,
      context: { "iam:PassedToService": "lambda.amazonaws.com" },
      from: "PassRole to Lambda",
    });
    expect(toLambda).not.toBe("Allowed");
    expect(await verdicts(feed(), [schedule(e.RELEASE_SCHEDULE_GROUP as string)])).toEqual([
      expect.stringMatching(/Denied scheduler:CreateSchedule/),
      expect.stringMatching(/Denied iam:PassRole/),
    ]);
  });

  it("lets the release role send to the indexer's queue and nowhere else", async () => {
    const e = env("^Dateline indexer");
    const releaseRole = synth.only("AWS::IAM::Role", {
      Description: "Dateline release schedules: may only send to the indexer's queue",
    });
    const send = (queueUrl: string) =>
      record(
        "sqs",
        "POST",
        "/",
        { QueueUrl: queueUrl },
        { "x-amz-target": "AmazonSQS.SendMessage" },
      );
    const [toIndexer] = await verdicts({ roleLogicalId: releaseRole }, [
      send(
        `https://sqs.eu-west-1.amazonaws.com/${proof.target.account}/${(e.RELEASE_QUEUE_ARN as string).split(":").pop()}`,
      ),
    ]);
    expect(toIndexer).toMatch(/^Allowed sqs:SendMessage/);
    const [toWebSub] = await verdicts({ roleLogicalId: releaseRole }, [
      send(e.WEBSUB_QUEUE_URL as string),
    ]);
    expect(toWebSub).toMatch(/Denied sqs:SendMessage/);
  });
});
