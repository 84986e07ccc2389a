import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type CfnElement, CfnOutput, Duration, Stack, Validations } from "aws-cdk-lib";
import type { IDistribution } from "aws-cdk-lib/aws-cloudfront";
import {
  Dashboard,
  GraphWidget,
  LogQueryWidget,
  MathExpression,
  Metric,
  TextWidget,
} from "aws-cdk-lib/aws-cloudwatch";
import { Rule, Schedule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { Architecture, Runtime } from "aws-cdk-lib/aws-lambda";
import { type BundlingOptions, NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import type { Bucket } from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import { functionRoleWithLogs } from "./grants.ts";

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

export interface SubscriberCountsProps {
  /** The bucket CloudFront writes its standard logs to. */
  logBucket: Bucket;
  /** Their key prefix, e.g. `cloudfront/`. */
  logPrefix: string;
  distribution: IDistribution;
  /** The feed function's bundling, so every function is built alike. */
  bundling: BundlingOptions;
}

/** Days the CloudFront logs are kept: enough to count a day again; storage stays cents. */
export const CLOUDFRONT_LOG_DAYS = 30;

/**
 * Subscriber counts from CloudFront's standard logs: a small function, run daily, reads the
 * previous day's log files, and writes per-feed and per-aggregator subscriber counts as
 * CloudWatch embedded-metric log lines (functions/subscribers/handler.ts); a dashboard shows
 * them. At rest it costs nothing but the logs' storage (expired after 30 days) and a bounded
 * number of custom metrics, each sent once a day.
 */
export class SubscriberCounts extends Construct {
  readonly function: NodejsFunction;
  readonly rule: Rule;
  readonly dashboard: Dashboard;
  readonly namespace: string;

  constructor(scope: Construct, id: string, props: SubscriberCountsProps) {
    super(scope, id);
    const { logBucket, logPrefix } = props;
    const stack = Stack.of(this);
    this.namespace = `Dateline/${stack.stackName}`;

    // Reads the CloudFront log files and nothing else; writes only its own log group (the
    // metrics are log lines, so it needs no CloudWatch permission at all).
    const { role, logGroup } = functionRoleWithLogs(
      this,
      "",
      "Dateline subscriber count: reads CloudFront logs, writes metrics as log lines",
    );
    role.addToPolicy(
      new PolicyStatement({
        sid: "ReadCloudFrontLogs",
        actions: ["s3:GetObject"],
        resources: [logBucket.arnForObjects(`${logPrefix}*`)],
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        sid: "ListCloudFrontLogs",
        actions: ["s3:ListBucket"],
        resources: [logBucket.bucketArn],
        conditions: { StringLike: { "s3:prefix": [`${logPrefix}*`] } },
      }),
    );

    this.function = new NodejsFunction(this, "Function", {
      description: "Dateline: daily subscriber counts from CloudFront logs (CloudWatch EMF)",
      entry: join(REPO_ROOT, "functions", "subscribers", "handler.ts"),
      handler: "handler",
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, "package-lock.json"),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      // A day of logs is read one file at a time (an hour of gzipped lines each).
      memorySize: 512,
      timeout: Duration.minutes(5),
      role,
      logGroup,
      // Text logging (the default): EMF lines must reach CloudWatch Logs as written, not wrapped.
      environment: {
        LOG_BUCKET: logBucket.bucketName,
        LOG_PREFIX: logPrefix,
        DISTRIBUTION_ID: props.distribution.distributionId,
        METRIC_NAMESPACE: this.namespace,
        NODE_OPTIONS: "--enable-source-maps",
      },
      bundling: props.bundling,
    });

    // 02:30 UTC: CloudFront delivers most of a day's logs within an hour or two of its end.
    this.rule = new Rule(this, "Daily", {
      description: "Dateline: count yesterday's feed subscribers from the CloudFront logs",
      schedule: Schedule.cron({ minute: "30", hour: "2" }),
      targets: [new LambdaFunction(this.function, { retryAttempts: 2 })],
    });

    logBucket.addLifecycleRule({
      id: "expire-cloudfront-logs",
      prefix: logPrefix,
      expiration: Duration.days(CLOUDFRONT_LOG_DAYS),
      abortIncompleteMultipartUploadAfter: Duration.days(1),
    });

    const daily = (expression: string, label: string) =>
      new MathExpression({ expression, usingMetrics: {}, period: Duration.days(1), label });
    const ns = this.namespace;
    this.dashboard = new Dashboard(this, "Dashboard", {
      dashboardName: `${stack.stackName}-subscribers`,
      defaultInterval: Duration.days(90),
      widgets: [
        [
          new TextWidget({
            width: 24,
            height: 2,
            markdown:
              "**Feed subscribers per day** — the latest count each aggregator reported in its User-Agent (Feedly, Inoreader, NewsBlur, Feedbin, …) plus distinct other pollers (IP + User-Agent), from the CloudFront logs, counted daily at 02:30 UTC for the day before.",
          }),
        ],
        [
          new GraphWidget({
            title: "All feeds",
            width: 8,
            left: [
              new Metric({
                namespace: ns,
                metricName: "Subscribers",
                dimensionsMap: { Site: "all feeds" },
                statistic: "Maximum",
                period: Duration.days(1),
                label: "subscriptions",
              }),
            ],
          }),
          new GraphWidget({
            title: "By aggregator (all feeds)",
            width: 8,
            left: [
              daily(`SEARCH('{${ns},Aggregator} MetricName="Subscribers"', 'Maximum', 86400)`, ""),
            ],
          }),
          new GraphWidget({
            title: "By feed (the 20 largest)",
            width: 8,
            left: [daily(`SEARCH('{${ns},Feed} MetricName="Subscribers"', 'Maximum', 86400)`, "")],
          }),
        ],
        [
          new LogQueryWidget({
            title: "Every feed, by aggregator",
            width: 24,
            height: 8,
            logGroupNames: [logGroup.logGroupName],
            queryLines: [
              "fields day, feed, total, otherPollers, @message",
              'filter message = "subscribers"',
              "sort day desc, total desc",
              "limit 500",
            ],
          }),
        ],
      ],
    });

    new CfnOutput(this, "DashboardUrl", {
      description: "Feed subscriber counts (CloudWatch dashboard)",
      value: `https://console.aws.amazon.com/cloudwatch/home?region=${stack.region}#dashboards:name=${this.dashboard.dashboardName}`,
    });

    // resolve(): the logical id as written to the template, an override included.
    const bucketId = stack.resolve((logBucket.node.defaultChild as CfnElement).logicalId);
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${logPrefix}*]`,
      reason: `The subscriber count reads each day's CloudFront log files, whose names CloudFront chooses: s3:GetObject is limited to keys under ${logPrefix}; it writes nothing.`,
    });
  }
}
