/**
 * The indexer (infra/constructs/indexer.ts, releases.ts) in the synthesized template, without
 * bundling: S3 events, the hourly reconciliation and the release schedules all reach one queue
 * (with a dead-letter queue); the function consumes it at most two at a time with no reserved
 * concurrency; the release schedules' role may only send to that queue; the indexer's IAM is
 * what CONTRACT.md §3 lists. Its bundle runs in tests/infra/stack.test.ts and tests/deploy.
 */
import { Match } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { acknowledgements, arnOf, objectArn, type Synth, synthFor } from "./support.ts";

let synth: Synth;
const bucket = () => synth.only("AWS::S3::Bucket", { VersioningConfiguration: Match.anyValue() });
/** The event queue (the WebSub queue has a dead-letter queue too, and a delivery delay). */
const queue = () =>
  synth.only("AWS::SQS::Queue", { RedrivePolicy: Match.anyValue(), DelaySeconds: Match.absent() });
const indexer = () => synth.fn("^Dateline indexer");
const group = () => synth.only("AWS::Scheduler::ScheduleGroup");
const releaseRole = () =>
  synth.only("AWS::IAM::Role", { Description: Match.stringLikeRegexp("release schedules") });
const websubQueue = () =>
  synth.only("AWS::SQS::Queue", {
    DelaySeconds: Match.anyValue(),
    RedrivePolicy: Match.anyValue(),
  });

beforeAll(() => {
  synth = synthFor({ "dateline:hubUrl": "https://hub.example.org/websub" });
});

describe("article events", () => {
  it("S3 sends every create and delete under articles/ to the queue, configured on the bucket itself", () => {
    const configs = (
      synth.props(bucket()).NotificationConfiguration as { QueueConfigurations: unknown[] }
    ).QueueConfigurations;
    const filter = { S3Key: { Rules: [{ Name: "prefix", Value: "articles/" }] } };
    expect(configs).toEqual([
      { Event: "s3:ObjectCreated:*", Filter: filter, Queue: arnOf(queue()) },
      { Event: "s3:ObjectRemoved:*", Filter: filter, Queue: arnOf(queue()) },
    ]);
    // S3 validates the destination when the configuration is applied: the policy comes first.
    const policy = synth.only("AWS::SQS::QueuePolicy", { Queues: [{ Ref: queue() }] });
    expect(synth.resources[bucket()]?.DependsOn).toContain(policy);
    // No custom-resource Lambda (and its managed policy) just to configure notifications.
    expect(synth.template.findResources("Custom::S3BucketNotifications")).toEqual({});
  });

  it("keeps failed batches in a dead-letter queue and hides a batch for 6 × the indexer's timeout", () => {
    const props = synth.props(queue());
    expect(props.VisibilityTimeout).toBeGreaterThanOrEqual(
      6 * (synth.props(indexer()).Timeout as number),
    );
    const redrive = props.RedrivePolicy as { deadLetterTargetArn: { "Fn::GetAtt": string[] } };
    expect(redrive).toMatchObject({ maxReceiveCount: 10 });
    const dlq = redrive.deadLetterTargetArn["Fn::GetAtt"][0] as string;
    expect(synth.resources[dlq]).toMatchObject({
      Type: "AWS::SQS::Queue",
      Properties: { MessageRetentionPeriod: 1_209_600, SqsManagedSseEnabled: true },
    });
    expect(props.SqsManagedSseEnabled).toBe(true);
  });

  it("lets only S3 (this account), the rebuild rule and TLS clients send to it by resource policy", () => {
    const policy = synth.only("AWS::SQS::QueuePolicy", { Queues: [{ Ref: queue() }] });
    const statements = (
      synth.props(policy).PolicyDocument as { Statement: Record<string, unknown>[] }
    ).Statement;
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
        Resource: arnOf(queue()),
        Condition: { StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } } },
      }),
    );
    const rule = synth.only("AWS::Events::Rule", { ScheduleExpression: "rate(1 hour)" });
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Condition: { ArnEquals: { "aws:SourceArn": arnOf(rule) } },
      }),
    );
  });

  it("asks for a reconciliation every hour through the same queue", () => {
    synth.template.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "rate(1 hour)",
      Targets: [{ Arn: arnOf(queue()), Id: Match.anyValue(), Input: '{"rebuild":true}' }],
    });
  });
});

describe("release schedules", () => {
  it("have a group of their own, named to the indexer with the role and the queue to target", () => {
    const name = synth.props(group()).Name as string;
    expect(name).toMatch(/^[0-9a-zA-Z-_.]{1,64}$/);
    expect(synth.env(indexer())).toMatchObject({
      RELEASE_SCHEDULE_GROUP: name,
      RELEASE_ROLE_ARN: arnOf(releaseRole()),
      RELEASE_QUEUE_ARN: arnOf(queue()),
    });
  });

  it("send as a role that only Scheduler of this account may assume and that may only send to the queue", () => {
    expect(synth.props(releaseRole()).AssumeRolePolicyDocument).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: "scheduler.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } } },
        },
      ],
    });
    expect(synth.props(releaseRole())).not.toHaveProperty("ManagedPolicyArns");
    expect(synth.statementsOf(releaseRole())).toEqual([
      { Effect: "Allow", Action: "sqs:SendMessage", Resource: arnOf(queue()) },
    ]);
  });
});

describe("indexer function", () => {
  it("consumes the queue in batches, at most two invocations at once, reserving no concurrency", () => {
    expect(synth.props(indexer())).toMatchObject({
      Runtime: "nodejs24.x",
      Architectures: ["arm64"],
      Timeout: 300,
    });
    expect(synth.props(indexer())).not.toHaveProperty("ReservedConcurrentExecutions");
    synth.template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      EventSourceArn: arnOf(queue()),
      FunctionName: { Ref: indexer() },
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 10,
      ScalingConfig: { MaximumConcurrency: 2 },
      FunctionResponseTypes: ["ReportBatchItemFailures"],
    });
  });

  it("gets the table, the bucket, the prefix, the site URL parameter and the WebSub queue", () => {
    expect(synth.env(indexer())).toMatchObject({
      INDEX_TABLE: { Ref: synth.only("AWS::DynamoDB::Table") },
      CONTENT_BUCKET: { Ref: bucket() },
      CONTENT_PREFIX: "articles/",
      SITE_URL_PARAMETER: "/dateline/Dateline/site-url",
      WEBSUB_QUEUE_URL: { Ref: websubQueue() },
    });
  });

  it("may read articles/, read and write compiled/, write the index, schedule releases, announce; nothing else", () => {
    const own = (key: string) => objectArn(bucket(), key);
    const statements = synth.statementsOf(synth.roleOf(indexer()));
    const logs = (synth.props(indexer()).LoggingConfig as { LogGroup: { Ref: string } }).LogGroup;
    expect(statements).toEqual([
      {
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: arnOf(logs.Ref),
      },
      {
        Effect: "Allow",
        Action: "s3:GetObject",
        Resource: own("articles/*"),
      },
      {
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: arnOf(bucket()),
        Condition: { StringLike: { "s3:prefix": ["articles/*"] } },
      },
      { Effect: "Allow", Action: "s3:GetObject", Resource: own("compiled/*") },
      {
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: arnOf(bucket()),
        Condition: { StringLike: { "s3:prefix": ["compiled/*"] } },
      },
      { Effect: "Allow", Action: "s3:PutObject", Resource: own("compiled/*") },
      {
        Effect: "Allow",
        Action: [
          "dynamodb:DeleteItem",
          "dynamodb:GetItem",
          "dynamodb:PutItem",
          "dynamodb:Query",
          "dynamodb:UpdateItem",
        ],
        Resource: arnOf(synth.only("AWS::DynamoDB::Table")),
      },
      {
        Effect: "Allow",
        Action: "scheduler:CreateSchedule",
        Resource: {
          "Fn::Join": [
            "",
            [
              "arn:",
              { Ref: "AWS::Partition" },
              ":scheduler:",
              { Ref: "AWS::Region" },
              ":",
              { Ref: "AWS::AccountId" },
              `:schedule/${synth.props(group()).Name}/*`,
            ],
          ],
        },
      },
      {
        Effect: "Allow",
        Action: "iam:PassRole",
        Resource: arnOf(releaseRole()),
        Condition: { StringEquals: { "iam:PassedToService": "scheduler.amazonaws.com" } },
      },
      {
        Effect: "Allow",
        Action: "ssm:GetParameter",
        Resource: expect.objectContaining({
          "Fn::Join": ["", expect.arrayContaining([":parameter/dateline/Dateline/site-url"])],
        }),
      },
      {
        Effect: "Allow",
        Action: ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"],
        Resource: arnOf(websubQueue()),
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
        Resource: arnOf(queue()),
      },
    ]);
  });

  it("writes nothing under articles/, and nobody else writes compiled/ or the index", () => {
    const writes = (statement: Record<string, unknown>) =>
      JSON.stringify(statement.Action).match(
        /s3:PutObject|s3:DeleteObject|dynamodb:\w*(Put|Update|Delete|Write)/,
      );
    const indexerRole = synth.roleOf(indexer());
    for (const s of synth.statementsOf(indexerRole).filter(writes))
      expect(JSON.stringify(s.Resource)).not.toContain("/articles/");
    const roles = Object.keys(synth.template.findResources("AWS::IAM::Role"));
    const writers = roles.filter((role) =>
      synth
        .statementsOf(role)
        .some((s) => writes(s) && /compiled\/|IndexTable|"\/\*"/.test(JSON.stringify(s.Resource))),
    );
    // The content deployment writes the whole bucket (aws-cdk-lib's grant), acknowledged there.
    expect(writers.sort()).toEqual(
      [
        indexerRole,
        synth.only("AWS::IAM::Role", { Description: Match.stringLikeRegexp("^Copies content") }),
      ].sort(),
    );
  });

  it("passes cdk-nag, each wildcard acknowledged on the indexer's role for a stated reason", () => {
    expect(synth.nagFindings().filter((f) => f.includes("/Indexer/"))).toEqual([]);
    const acks = acknowledgements(synth.stack).filter((a) =>
      a.path.startsWith("Dateline/Indexer/"),
    );
    expect(acks.map((a) => a.id).sort()).toEqual([
      expect.stringMatching(
        /^AwsSolutions-IAM5\[Resource::<ArticleBucket\w+\.Arn>\/articles\/\*\]$/,
      ),
      expect.stringMatching(
        /^AwsSolutions-IAM5\[Resource::<ArticleBucket\w+\.Arn>\/compiled\/\*\]$/,
      ),
      expect.stringMatching(/^AwsSolutions-IAM5\[Resource::arn:.*:schedule\/.+\/\*\]$/),
    ]);
    for (const ack of acks) expect(ack.path).toBe("Dateline/Indexer/FunctionRole");
  });

  it("has no manifest: no CONTENT_MANIFEST, no grant on it, no heap cap", () => {
    const fn = indexer();
    expect(synth.env(fn)).not.toHaveProperty("CONTENT_MANIFEST");
    expect(synth.env(fn).NODE_OPTIONS).toBe("--enable-source-maps");
    const policy = JSON.stringify(synth.statementsOf(synth.roleOf(fn)));
    expect(policy).not.toContain("manifest");
    expect(policy).toContain("/compiled/*");
    expect(policy).toContain("scheduler:CreateSchedule");
  });
});
