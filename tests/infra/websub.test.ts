/**
 * The WebSub publisher in the stack (with or without dateline:hubUrl: without a hub it only
 * invalidates): fed by a delay queue the indexer writes to after each index write, allowed to
 * invalidate this distribution and nothing else, with a dead-letter queue; cdk-nag clean. Its
 * bundle runs end to end in tests/deploy/websub-iam.test.ts (the hub's fetch gets the new feed;
 * without HUB_URL it invalidates and pings nothing).
 */
import type { Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { beforeAll, describe, expect, it } from "vitest";
import { PUBLISHERS } from "../../functions/websub/paths.ts";
import { buildDatelineStack, REVALIDATE_SECONDS } from "../../infra/stack.ts";
import { actionsOf, makeApp, policyStatements, synthFor } from "./support.ts";

const HUB = "https://hub.example.org/websub";
const CERTIFICATE =
  "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b";

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

let stack: Stack;
let resources: Resources;

beforeAll(() => {
  ({ stack, resources } = synthFor({ "dateline:hubUrl": HUB }));
});

function only<T>(items: T[], what: string): T {
  expect(items, what).toHaveLength(1);
  return items[0] as T;
}

const idOf = (from: Resources, type: string, prefix: string) =>
  only(
    Object.keys(from).filter((id) => from[id]?.Type === type && id.startsWith(prefix)),
    `${type} ${prefix}*`,
  );
const props = (id: string, from: Resources = resources) =>
  (from[id] as { Properties: Record<string, unknown> }).Properties;
const envOf = (id: string, from: Resources = resources) =>
  (props(id, from).Environment as { Variables: Record<string, unknown> }).Variables;
const statementsOfRole = (role: string, from: Resources = resources) =>
  policyStatements(from)
    .filter(({ policy }) =>
      (props(policy, from).Roles as { Ref: string }[]).some((r) => r.Ref === role),
    )
    .map(({ statement }) => statement);

describe("WebSub publisher (dateline:hubUrl set)", () => {
  const fn = () => idOf(resources, "AWS::Lambda::Function", "WebSubFunction");
  const queue = () => idOf(resources, "AWS::SQS::Queue", "WebSubPings");
  const dlq = () => idOf(resources, "AWS::SQS::Queue", "WebSubDeadLetters");
  const distribution = () => idOf(resources, "AWS::CloudFront::Distribution", "Distribution");

  it("is a Node 24 ARM function told the hub, the public site URL and the distribution", () => {
    expect(props(fn())).toMatchObject({
      Runtime: "nodejs24.x",
      Architectures: ["arm64"],
      Handler: "index.handler",
      Timeout: 300,
      LoggingConfig: { LogFormat: "JSON", SystemLogLevel: "WARN" },
    });
    expect(envOf(fn())).toEqual({
      HUB_URL: HUB,
      SITE_URL: {
        "Fn::Join": ["", ["https://", { "Fn::GetAtt": [distribution(), "DomainName"] }]],
      },
      DISTRIBUTION_ID: { Ref: distribution() },
      NODE_OPTIONS: "--enable-source-maps",
    });
  });

  it("holds each message longer than the feed function's revalidation, with a dead-letter queue", () => {
    const delay = Number(props(queue()).DelaySeconds);
    expect(delay).toBeGreaterThan(REVALIDATE_SECONDS);
    expect(delay).toBeLessThanOrEqual(900); // SQS's maximum delay
    expect(props(queue())).toMatchObject({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 6 * 300,
      RedrivePolicy: { deadLetterTargetArn: { "Fn::GetAtt": [dlq(), "Arn"] }, maxReceiveCount: 5 },
    });
    const mapping = only(
      Object.values(resources).filter(
        (r) =>
          r.Type === "AWS::Lambda::EventSourceMapping" &&
          JSON.stringify(r.Properties.EventSourceArn).includes(queue()),
      ),
      "the queue's event source",
    );
    expect(mapping.Properties).toMatchObject({
      FunctionName: { Ref: fn() },
      BatchSize: 10,
      // Each invalidation's share of CloudFront's limits assumes this many at once.
      ScalingConfig: { MaximumConcurrency: PUBLISHERS },
    });
  });

  it("is announced to by the indexer, which may only send to that queue", () => {
    const indexer = idOf(resources, "AWS::Lambda::Function", "IndexerFunction");
    expect(envOf(indexer).WEBSUB_QUEUE_URL).toEqual({ Ref: queue() });
    const role = (props(indexer).Role as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0];
    const send = statementsOfRole(role).filter((s) => actionsOf(s).includes("sqs:SendMessage"));
    expect(send.map((s) => s.Resource)).toEqual([{ "Fn::GetAtt": [queue(), "Arn"] }]);
  });

  it("may invalidate this distribution, consume its queue and log; it reads no articles", () => {
    const role = (props(fn()).Role as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0];
    const statements = statementsOfRole(role);
    expect(statements.flatMap(actionsOf).sort()).toEqual([
      "cloudfront:CreateInvalidation",
      "cloudfront:GetInvalidation",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "sqs:ChangeMessageVisibility",
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:GetQueueUrl",
      "sqs:ReceiveMessage",
    ]);
    const invalidate = only(
      statements.filter((s) => actionsOf(s).includes("cloudfront:CreateInvalidation")),
      "the invalidation grant",
    );
    expect(JSON.stringify(invalidate.Resource)).toContain(`{"Ref":"${distribution()}"}`);
    expect(props(role)).not.toHaveProperty("ManagedPolicyArns");
  });

  it("pings no longer on raw S3 events: no EventBridge delivery, no S3 rule", () => {
    const bucket = idOf(resources, "AWS::S3::Bucket", "ArticleBucket");
    expect(JSON.stringify(props(bucket).NotificationConfiguration)).not.toContain("EventBridge");
    const s3Rules = Object.values(resources).filter(
      (r) =>
        r.Type === "AWS::Events::Rule" &&
        (r.Properties.EventPattern as { source?: string[] })?.source?.[0] === "aws.s3",
    );
    expect(s3Rules).toEqual([]);
  });

  it("leaves cdk-nag with nothing unacknowledged", () => {
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
  });
});

describe("without dateline:hubUrl", () => {
  let plain: Resources;
  let plainStack: Stack;
  beforeAll(() => {
    ({ stack: plainStack, resources: plain } = synthFor() as {
      stack: Stack;
      resources: Resources;
    });
  });

  it("still has the publisher, told no hub: every change is invalidated in CloudFront", () => {
    const fn = idOf(plain, "AWS::Lambda::Function", "WebSubFunction");
    const distribution = idOf(plain, "AWS::CloudFront::Distribution", "Distribution");
    expect(envOf(fn, plain)).toEqual({
      SITE_URL: {
        "Fn::Join": ["", ["https://", { "Fn::GetAtt": [distribution, "DomainName"] }]],
      },
      DISTRIBUTION_ID: { Ref: distribution },
      NODE_OPTIONS: "--enable-source-maps",
    });
    expect(props(fn, plain).Description).toBe(
      "Dateline: invalidates changed documents in CloudFront",
    );
    const queue = idOf(plain, "AWS::SQS::Queue", "WebSubPings");
    const indexer = idOf(plain, "AWS::Lambda::Function", "IndexerFunction");
    expect(envOf(indexer, plain).WEBSUB_QUEUE_URL).toEqual({ Ref: queue });
    const role = (props(fn, plain).Role as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0];
    const invalidate = statementsOfRole(role, plain).filter((s) =>
      actionsOf(s).includes("cloudfront:CreateInvalidation"),
    );
    expect(invalidate.map((s) => JSON.stringify(s.Resource))).toEqual([
      expect.stringContaining(`{"Ref":"${distribution}"}`),
    ]);
    // Its dead-letter queue is watched like the indexer's.
    const dlq = idOf(plain, "AWS::SQS::Queue", "WebSubDeadLetters");
    const watched = Object.values(plain).filter(
      (r) => r.Type === "AWS::CloudWatch::Alarm" && JSON.stringify(r.Properties).includes(dlq),
    );
    expect(watched).toHaveLength(1);
  });

  it("leaves cdk-nag with nothing unacknowledged", () => {
    expect(new AwsSolutionsChecks().validateScope(plainStack).violations).toEqual([]);
  });
});

describe("with dateline:hubUrl and a custom domain", () => {
  it("tells the publisher the custom domain; cdk-nag stays clean", () => {
    const variant = buildDatelineStack(
      makeApp(
        {
          "dateline:hubUrl": HUB,
          "dateline:customDomain": "news.example.com",
          "dateline:certificateArn": CERTIFICATE,
        },
        { bundle: false },
      ),
    );
    const variantResources = Template.fromStack(variant).toJSON().Resources as Resources;
    const fn = idOf(variantResources, "AWS::Lambda::Function", "WebSubFunction");
    expect(envOf(fn, variantResources).SITE_URL).toBe("https://news.example.com");
    expect(new AwsSolutionsChecks().validateScope(variant).violations).toEqual([]);
  });
});
