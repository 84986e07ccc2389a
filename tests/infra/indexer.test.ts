/**
 * The article index in the synthesized template: S3 events → SQS queue (with a dead-letter
 * queue) → indexer function, at most two at a time (the event source's maximum concurrency, no
 * reserved concurrency), an hourly rebuild message, IAM limited to reading articles and
 * reading/writing the one manifest object, and the bundled indexer actually writing a manifest
 * when invoked with an SQS event.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { Match, Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeManifest } from "../../functions/storage/manifest.ts";
import { buildDatelineStack, type DatelineStack } from "../../infra/stack.ts";
import { s3Record, sqsEvent } from "../support/s3-events.ts";
import { type S3rver, startS3rver } from "../support/s3rver.ts";
import { acknowledgements, makeApp } from "./support.ts";

type Resources = Record<
  string,
  { Type: string; Properties: Record<string, unknown> } & Record<string, unknown>
>;

let stack: DatelineStack;
let template: Template;
let resources: Resources;
let assemblyDir: string;

beforeAll(() => {
  const app = makeApp();
  stack = buildDatelineStack(app);
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
  assemblyDir = app.synth().directory;
});

function only(type: string, props: Record<string, unknown> = {}): string {
  const found = Object.keys(template.findResources(type, { Properties: props }));
  expect(found, `${type} matching ${JSON.stringify(props)}`).toHaveLength(1);
  return found[0] as string;
}

/** The Properties of a resource, by logical id (fails the test if there is no such resource). */
function props(id: string): Record<string, unknown> {
  const resource = resources[id];
  if (!resource) throw new Error(`no resource ${id} in the template`);
  return resource.Properties;
}

const articleBucket = () => only("AWS::S3::Bucket", { VersioningConfiguration: {} });
const eventQueue = () => only("AWS::SQS::Queue", { RedrivePolicy: Match.anyValue() });
const indexer = () =>
  only("AWS::Lambda::Function", { Description: Match.stringLikeRegexp("^Dateline indexer") });
const arnOf = (id: string) => ({ "Fn::GetAtt": [id, "Arn"] });
const objectArn = (key: string) => ({
  "Fn::Join": ["", [arnOf(articleBucket()), `/${key}`]],
});

describe("article events", () => {
  it("S3 sends every create and delete under articles/ to the queue, configured on the bucket itself", () => {
    const configs = (
      props(articleBucket()).NotificationConfiguration as { QueueConfigurations: unknown[] }
    ).QueueConfigurations;
    const filter = { S3Key: { Rules: [{ Name: "prefix", Value: "articles/" }] } };
    expect(configs).toEqual([
      { Event: "s3:ObjectCreated:*", Filter: filter, Queue: arnOf(eventQueue()) },
      { Event: "s3:ObjectRemoved:*", Filter: filter, Queue: arnOf(eventQueue()) },
    ]);
    // S3 validates the destination when the configuration is applied: the policy comes first.
    const policy = only("AWS::SQS::QueuePolicy", { Queues: [{ Ref: eventQueue() }] });
    expect(resources[articleBucket()]?.DependsOn).toContain(policy);
    // No custom-resource Lambda (and its managed policy) just to configure notifications.
    expect(template.findResources("Custom::S3BucketNotifications")).toEqual({});
  });

  it("keeps failed batches in a dead-letter queue and hides a batch for 6 × the indexer's timeout", () => {
    const queue = props(eventQueue());
    const timeout = props(indexer()).Timeout as number;
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * timeout);
    const redrive = queue.RedrivePolicy as { deadLetterTargetArn: { "Fn::GetAtt": string[] } };
    expect(redrive).toMatchObject({ maxReceiveCount: 10 });
    const dlq = redrive.deadLetterTargetArn["Fn::GetAtt"][0] as string;
    expect(resources[dlq]).toMatchObject({
      Type: "AWS::SQS::Queue",
      Properties: { MessageRetentionPeriod: 1_209_600, SqsManagedSseEnabled: true },
    });
    expect(queue.SqsManagedSseEnabled).toBe(true);
  });

  it("lets only S3 (this account), the rebuild rule and TLS clients send to the queue", () => {
    const policy = only("AWS::SQS::QueuePolicy", { Queues: [{ Ref: eventQueue() }] });
    const statements = (props(policy).PolicyDocument as { Statement: Record<string, unknown>[] })
      .Statement;
    expect(statements).toHaveLength(3);
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: "Deny",
        Action: "sqs:*",
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: "Allow",
        Principal: { Service: "s3.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: arnOf(eventQueue()),
        Condition: { StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } } },
      }),
    );
    const rule = only("AWS::Events::Rule", { ScheduleExpression: "rate(1 hour)" });
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Condition: { ArnEquals: { "aws:SourceArn": arnOf(rule) } },
      }),
    );
  });

  it("asks for a full rebuild every hour through the same queue", () => {
    template.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "rate(1 hour)",
      Targets: [{ Arn: arnOf(eventQueue()), Id: Match.anyValue(), Input: '{"rebuild":true}' }],
    });
  });
});

describe("indexer function", () => {
  it("consumes the queue in batches, at most two invocations at once, reserving no concurrency", () => {
    expect(props(indexer())).toMatchObject({
      Runtime: "nodejs24.x",
      Architectures: ["arm64"],
      MemorySize: 1024,
      Timeout: 300,
    });
    expect(props(indexer())).not.toHaveProperty("ReservedConcurrentExecutions");
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      EventSourceArn: arnOf(eventQueue()),
      FunctionName: { Ref: indexer() },
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 10,
      ScalingConfig: { MaximumConcurrency: 2 },
    });
  });

  it("gets the bucket, the prefix and the same manifest key as the feed function", () => {
    const env = (p: string) =>
      (props(p).Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env(indexer())).toEqual({
      CONTENT_BUCKET: { Ref: articleBucket() },
      CONTENT_PREFIX: "articles/",
      CONTENT_MANIFEST: "index/manifest.json.gz",
      NODE_OPTIONS: "--enable-source-maps --max-old-space-size=768",
    });
    const feed = only("AWS::Lambda::Function", {
      Description: Match.stringLikeRegexp("^Dateline: renders"),
    });
    expect(env(feed).CONTENT_MANIFEST).toBe(env(indexer()).CONTENT_MANIFEST);
  });

  it("may read articles/ and read/write the manifest only; nothing else may write it", () => {
    const role = (props(indexer()).Role as { "Fn::GetAtt": string[] })["Fn::GetAtt"][0] as string;
    const policy = only("AWS::IAM::Policy", { Roles: [{ Ref: role }] });
    const statements = (
      props(policy).PolicyDocument as { Statement: Record<string, unknown>[] }
    ).Statement.map(({ Sid: _sid, ...rest }) => rest);
    expect(statements).toEqual([
      {
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: { "Fn::GetAtt": [expect.stringMatching(/^IndexerFunctionLogs/), "Arn"] },
      },
      {
        Effect: "Allow",
        Action: "s3:GetObject",
        Resource: [objectArn("articles/*"), objectArn("index/manifest.json.gz")],
      },
      {
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: arnOf(articleBucket()),
        Condition: { StringLike: { "s3:prefix": ["articles/*", "index/manifest.json.gz"] } },
      },
      {
        Effect: "Allow",
        Action: "s3:PutObject",
        Resource: objectArn("index/manifest.json.gz"),
      },
      {
        Effect: "Allow",
        Action: [
          "sqs:ChangeMessageVisibility",
          "sqs:DeleteMessage",
          "sqs:GetQueueAttributes",
          "sqs:GetQueueUrl",
          "sqs:ReceiveMessage",
        ],
        Resource: arnOf(eventQueue()),
      },
    ]);
    // The feed function reads the manifest but can never change it.
    const feedRole = only("AWS::IAM::Role", {
      Description: Match.stringLikeRegexp("feed function"),
    });
    const feedPolicy = only("AWS::IAM::Policy", { Roles: [{ Ref: feedRole }] });
    const feedStatements = JSON.stringify(props(feedPolicy).PolicyDocument);
    expect(feedStatements).toContain("/index/manifest.json.gz");
    expect(feedStatements).not.toMatch(/s3:PutObject|s3:DeleteObject/);
  });

  it("passes cdk-nag, with the article-prefix wildcard acknowledged for a stated reason", () => {
    const violations = new AwsSolutionsChecks()
      .validateScope(stack)
      .violations.flatMap((v) => v.violatingResources.map((r) => r.constructPath));
    expect(
      violations.filter((path) => /Indexer|ArticleEvents|ArticleIndex/.test(path ?? "")),
    ).toEqual([]);
    const acks = acknowledgements(stack).filter((a) => a.path.includes("IndexerFunctionRole"));
    expect(acks).toHaveLength(1);
    expect(acks[0]?.id).toMatch(
      /^AwsSolutions-IAM5\[Resource::<ArticleBucket\w+\.Arn>\/articles\/\*\]$/,
    );
    expect(acks[0]?.reason).toMatch(/articles\/.*manifest/);
  });
});

describe("the synthesized indexer bundle", () => {
  let s3: S3rver;

  beforeAll(async () => {
    s3 = await startS3rver();
  });

  afterAll(async () => {
    await s3?.dispose();
  });

  it("writes the manifest when Lambda invokes it with an SQS batch of S3 events", async () => {
    const manifest = JSON.parse(
      readFileSync(join(assemblyDir, "Dateline.assets.json"), "utf8"),
    ) as {
      files: Record<string, { displayName?: string; source: { path: string } }>;
    };
    const asset = Object.values(manifest.files).find(
      (f) => f.displayName === "IndexerFunction/Code",
    );
    const bundle = join(assemblyDir, asset?.source.path ?? "missing", "index.mjs");
    expect(existsSync(bundle)).toBe(true);
    // The Lambda runtime provides @aws-sdk/*; here the repository's copy stands in for it.
    const modules = join(assemblyDir, "node_modules");
    if (!existsSync(modules)) symlinkSync(join(process.cwd(), "node_modules"), modules, "dir");

    await s3.putMany([
      ["articles/2024/a.md", "---\ntitle: Alpha\ndate: 2024-01-01\n---\n\nA.\n"],
      ["articles/2024/b.md", "---\ntitle: Beta\ndate: 2024-01-02\n---\n\nB.\n"],
    ]);
    const event = sqsEvent([[s3Record(s3.bucket, "articles/2024/a.md")]]);
    execFileSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const { handler } = await import(${JSON.stringify(bundle)}); await handler(JSON.parse(process.env.EVENT));`,
      ],
      {
        env: {
          PATH: process.env.PATH ?? "",
          ...s3.env,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
          CONTENT_BUCKET: s3.bucket,
          CONTENT_PREFIX: "articles/",
          CONTENT_MANIFEST: "index/manifest.json.gz",
          EVENT: JSON.stringify(event),
        },
        stdio: "pipe",
        timeout: 30_000,
      },
    );
    const written = await s3.client.send(
      new GetObjectCommand({ Bucket: s3.bucket, Key: "index/manifest.json.gz" }),
    );
    const entries = await decodeManifest(
      (await written.Body?.transformToByteArray()) ?? new Uint8Array(),
    );
    // The first manifest comes from a full listing: b.md too, though only a.md's event came.
    expect(entries.map((e) => ("meta" in e ? e.meta.title : e.error)).sort()).toEqual([
      "Alpha",
      "Beta",
    ]);
  });
});
