import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type CfnElement, Duration, Stack, Validations } from "aws-cdk-lib";
import { Match, Rule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { Architecture, LoggingFormat, Runtime } from "aws-cdk-lib/aws-lambda";
import { type BundlingOptions, NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import type { Bucket, CfnBucket } from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import { functionRoleWithLogs, grantArticleRead } from "./grants.ts";

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

export interface WebSubPublisherProps {
  articleBucket: Bucket;
  /** Key prefix of the articles, e.g. `articles/`. */
  prefix: string;
  hubUrl: string;
  /** How the function learns the site URL: fixed, or read once from an SSM parameter. */
  siteUrl: { url: string } | { parameterName: string; parameterArn: string };
  /** The feed function's bundling, so both functions are built alike. */
  bundling: BundlingOptions;
}

/**
 * The WebSub publisher: a small function that S3 events on the article prefix invoke, and that
 * tells the hub which feeds changed (functions/websub/handler.ts).
 *
 * The events come through EventBridge rather than the bucket's own notification configuration:
 * S3 refuses two notification configurations with overlapping prefixes for the same event types,
 * and the article prefix may already have one (the indexer's queue). EventBridge delivery is
 * switched on beside whatever else the bucket notifies, and a rule picks this prefix.
 */
export class WebSubPublisher extends Construct {
  readonly function: NodejsFunction;
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: WebSubPublisherProps) {
    super(scope, id);
    const { articleBucket: bucket, prefix } = props;

    // Read-only on the prefix, its own log group, and the site URL parameter when there is one.
    const { role, logGroup } = functionRoleWithLogs(
      this,
      "",
      "Dateline WebSub publisher: reads changed articles, pings the hub",
    );
    grantArticleRead(role, bucket, prefix);
    if ("parameterArn" in props.siteUrl) {
      role.addToPolicy(
        new PolicyStatement({
          sid: "ReadSiteUrl",
          actions: ["ssm:GetParameter"],
          resources: [props.siteUrl.parameterArn],
        }),
      );
    }

    this.function = new NodejsFunction(this, "Function", {
      description: "Dateline: tells the WebSub hub which feeds changed when articles change",
      entry: join(REPO_ROOT, "functions", "websub", "handler.ts"),
      handler: "handler",
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, "package-lock.json"),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      // publish() gives each feed 4 attempts of at most 10 s with 1 + 2 + 4 s between them.
      timeout: Duration.seconds(60),
      role,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      environment: {
        CONTENT_BUCKET: bucket.bucketName,
        CONTENT_PREFIX: prefix,
        HUB_URL: props.hubUrl,
        NODE_OPTIONS: "--enable-source-maps",
        ...("url" in props.siteUrl
          ? { SITE_URL: props.siteUrl.url }
          : { SITE_URL_PARAMETER: props.siteUrl.parameterName }),
      },
      bundling: props.bundling,
    });

    // S3 → EventBridge (a bucket setting that sits beside any other notification) → this rule.
    (bucket.node.defaultChild as CfnBucket).addPropertyOverride(
      "NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled",
      true,
    );
    this.rule = new Rule(this, "ArticleChanges", {
      description: `Dateline: article created or deleted under ${prefix} → WebSub publisher`,
      eventPattern: {
        source: ["aws.s3"],
        detailType: ["Object Created", "Object Deleted"],
        detail: {
          bucket: { name: [bucket.bucketName] },
          object: { key: Match.prefix(prefix) },
        },
      },
      targets: [
        new LambdaFunction(this.function, { retryAttempts: 2, maxEventAge: Duration.hours(1) }),
      ],
    });

    const stack = Stack.of(this);
    const bucketId = stack.getLogicalId(bucket.node.defaultChild as CfnElement);
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`,
      reason: `The WebSub publisher reads the article that changed to learn its tags and authors: s3:GetObject is limited to keys under ${prefix}; it writes nothing.`,
    });
  }
}
