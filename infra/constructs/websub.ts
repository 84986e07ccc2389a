import { Duration } from "aws-cdk-lib";
import type { Distribution } from "aws-cdk-lib/aws-cloudfront";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { DatelineFunction } from "./function.ts";

/** The publisher's time limit: an invalidation wait (at most 3 min) plus the hub requests. */
const TIMEOUT = Duration.minutes(5);

export interface WebSubPublisherProps {
  /** The WebSub hub to ping after each invalidation; absent: the publisher only invalidates. */
  hubUrl?: string;
  /** The public base URL of the site (the feeds' `rel="self"` URLs start with it). */
  siteUrl: string;
  /** The distribution whose stale documents are invalidated (before the hub is told). */
  distribution: Distribution;
  /**
   * How long a change waits on the queue before anything is invalidated or pinged: longer than
   * the feed function's revalidation interval, so every warm feed function already serves the
   * new articles when CloudFront asks it again.
   */
  delay: Duration;
  /** The publisher's entry module, relative to the repository root. */
  entry: string;
}

/**
 * The WebSub publisher, with or without a hub. The indexer, after each index write that changed
 * articles, puts the changed scope paths and article slugs on `queue`; the queue holds each
 * message for `delay` (past the feed function's revalidation). This function then invalidates
 * in CloudFront exactly the documents the change made stale (functions/websub/paths.ts), waits
 * for the invalidation to complete, and only then, with a hub, tells the hub, so the hub's fetch
 * gets the new feed. Failures are retried by SQS and end in the dead-letter queue.
 */
export class WebSubPublisher extends Construct {
  readonly function: DatelineFunction;
  readonly queue: Queue;
  readonly deadLetters: Queue;

  constructor(scope: Construct, id: string, props: WebSubPublisherProps) {
    super(scope, id);
    const { distribution } = props;

    this.deadLetters = new Queue(this, "DeadLetters", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, "Pings", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deliveryDelay: props.delay,
      // Six times the function's timeout, as Lambda's SQS integration recommends.
      visibilityTimeout: Duration.seconds(6 * TIMEOUT.toSeconds()),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: 5 },
    });

    // Its own log group, and invalidations of this one distribution; it reads no articles.
    this.function = new DatelineFunction(this, "Function", {
      entry: props.entry,
      description: props.hubUrl
        ? "Dateline: invalidates changed documents, then tells the WebSub hub"
        : "Dateline: invalidates changed documents in CloudFront",
      roleDescription:
        "Dateline WebSub publisher: invalidates changed documents in CloudFront, pings the hub if any",
      memorySize: 256,
      timeout: TIMEOUT,
      environment: {
        ...(props.hubUrl ? { HUB_URL: props.hubUrl } : {}),
        SITE_URL: props.siteUrl,
        DISTRIBUTION_ID: distribution.distributionId,
      },
    });
    this.function.executionRole.addToPolicy(
      new PolicyStatement({
        sid: "InvalidateFeeds",
        actions: ["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"],
        resources: [distribution.distributionArn],
      }),
    );
    this.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 10,
        maxBatchingWindow: Duration.seconds(5),
        // Two at most: a burst of changes never fans out into many hub clients at once, and
        // each invalidation may hold half of CloudFront's paths in progress (PUBLISHERS in
        // functions/websub/paths.ts).
        maxConcurrency: 2,
      }),
    );
  }
}
