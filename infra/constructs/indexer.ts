import { Duration, Stack, Validations } from "aws-cdk-lib";
import { Rule, RuleTargetInput, Schedule } from "aws-cdk-lib/aws-events";
import { SqsQueue } from "aws-cdk-lib/aws-events-targets";
import { PolicyStatement, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import type { Bucket, CfnBucket } from "aws-cdk-lib/aws-s3";
import { type IQueue, Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { COMPILED_PREFIX, CONTENT_PREFIX } from "../constants.ts";
import { configEnvironment } from "../environment.ts";
import { grantObjectRead } from "../grants.ts";
import { DatelineFunction } from "./function.ts";
import type { ArticleIndexTable } from "./index-table.ts";
import { logicalIdOf } from "./logical-id.ts";
import { ReleaseSchedules } from "./releases.ts";
import type { SiteUrl } from "./site-url.ts";

/** The indexer's time limit; the event queue hides a message six times as long while it runs. */
const TIMEOUT = Duration.minutes(5);

export interface IndexerProps {
  bucket: Bucket;
  index: ArticleIndexTable;
  siteUrl: SiteUrl;
  /** Where changed scope paths go after a write (the WebSub publisher's queue), if anywhere. */
  websubQueue?: IQueue;
  /** The indexer's entry module, relative to the repository root. */
  entry: string;
}

/**
 * The write side. Every change under articles/ becomes an S3 event on one queue; an hourly
 * `{"rebuild":true}` (reconciliation) and the release schedules' `{"release":true}` arrive on the
 * same queue. The indexer consumes it at most two invocations at a time (the event source's
 * maximum concurrency; no reserved concurrency, which new accounts with a quota of 10 cannot
 * grant), compiles each changed article and updates the index with conditional writes.
 */
export class Indexer extends Construct {
  readonly function: DatelineFunction;
  readonly queue: Queue;
  readonly deadLetters: Queue;
  readonly releases: ReleaseSchedules;

  constructor(scope: Construct, id: string, props: IndexerProps) {
    super(scope, id);
    const { bucket, index, siteUrl, websubQueue } = props;

    this.deadLetters = new Queue(this, "DeadLetters", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, "Events", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Six times the function's timeout, as Lambda's SQS integration recommends.
      visibilityTimeout: Duration.seconds(6 * TIMEOUT.toSeconds()),
      // A throttled delivery counts as a receive too: be generous before giving up.
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: 10 },
    });
    this.#notifyOnArticleChanges(bucket);

    // Hourly reconciliation with a full listing: repairs the index from the bucket.
    new Rule(this, "Rebuild", {
      description: "Dateline: reconcile the article index with the bucket",
      schedule: Schedule.rate(Duration.hours(1)),
      targets: [
        new SqsQueue(this.queue, { message: RuleTargetInput.fromObject({ rebuild: true }) }),
      ],
    });
    this.releases = new ReleaseSchedules(this, "Releases", { queue: this.queue });

    this.function = new DatelineFunction(this, "Function", {
      entry: props.entry,
      markdown: true,
      description: "Dateline indexer: compiles changed articles into the index from S3 events",
      roleDescription:
        "Dateline indexer: reads articles/, writes compiled/ and the index, schedules releases",
      memorySize: 1024,
      timeout: TIMEOUT,
      environment: {
        ...configEnvironment({
          indexTable: index.table.tableName,
          bucket: bucket.bucketName,
          siteUrl,
          release: {
            group: this.releases.group.scheduleGroupName,
            roleArn: this.releases.role.roleArn,
            queueArn: this.queue.queueArn,
          },
        }),
        // After a write that changed feeds, the changed scope paths go here (delayed pings).
        ...(websubQueue ? { WEBSUB_QUEUE_URL: websubQueue.queueUrl } : {}),
      },
    });
    const role = this.function.executionRole;
    grantObjectRead(role, bucket, "Articles", [`${CONTENT_PREFIX}*`]);
    grantObjectRead(role, bucket, "Compiled", [`${COMPILED_PREFIX}*`]);
    role.addToPolicy(
      new PolicyStatement({
        sid: "WriteCompiled",
        actions: ["s3:PutObject"],
        resources: [bucket.arnForObjects(`${COMPILED_PREFIX}*`)],
      }),
    );
    index.grantReadWrite(role);
    this.releases.grantCreate(role);
    siteUrl.grantRead(role);
    websubQueue?.grantSendMessages(role);
    const objects = `Resource::<${logicalIdOf(bucket)}.Arn>`;
    Validations.of(role).acknowledge(
      {
        id: `AwsSolutions-IAM5[${objects}/${CONTENT_PREFIX}*]`,
        reason: `The indexer reads each changed article, and lists them to reconcile: s3:GetObject and s3:ListBucket are limited to keys under ${CONTENT_PREFIX}; it never writes there.`,
      },
      {
        id: `AwsSolutions-IAM5[${objects}/${COMPILED_PREFIX}*]`,
        reason: `Compiled bodies are content-addressed (${COMPILED_PREFIX}<sha256>.html), named when an article is compiled: the indexer reads and writes keys under ${COMPILED_PREFIX} only.`,
      },
    );

    // Batches: many uploads at once (a deploy of content/) become one invocation.
    this.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(10),
        // The event source's own limit instead of reserved concurrency (2 is Lambda's minimum).
        maxConcurrency: 2,
        // A message that fails is retried alone (the handler names it), not with its whole batch;
        // a handler that returns nothing has processed the batch, one that throws has not.
        reportBatchItemFailures: true,
      }),
    );
  }

  /**
   * The bucket's notification configuration is set on the L1 resource, not with
   * addEventNotification: that would add a custom-resource Lambda (with an AWS managed policy)
   * only to avoid a cycle. S3 checks at configuration time that it may send to the queue, so
   * the bucket waits for the queue policy; the policy therefore cannot name the bucket's ARN (a
   * cycle) and is bounded by account instead. The indexer only acts on keys in its own bucket,
   * so a message from another bucket of the account can do nothing.
   */
  #notifyOnArticleChanges(bucket: Bucket): void {
    const s3CanSend = this.queue.addToResourcePolicy(
      new PolicyStatement({
        sid: "ArticleBucketEvents",
        principals: [new ServicePrincipal("s3.amazonaws.com")],
        actions: ["sqs:SendMessage"],
        resources: [this.queue.queueArn],
        conditions: { StringEquals: { "aws:SourceAccount": Stack.of(this).account } },
      }),
    );
    const cfnBucket = bucket.node.defaultChild as CfnBucket;
    cfnBucket.notificationConfiguration = {
      queueConfigurations: ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"].map((event) => ({
        event,
        queue: this.queue.queueArn,
        filter: { s3Key: { rules: [{ name: "prefix", value: CONTENT_PREFIX }] } },
      })),
    };
    if (s3CanSend.policyDependable) cfnBucket.node.addDependency(s3CanSend.policyDependable);
  }
}
