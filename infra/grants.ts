import { RemovalPolicy } from "aws-cdk-lib";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import type { IBucket } from "aws-cdk-lib/aws-s3";
import type { Construct } from "constructs";

/**
 * A function's own log group (one month) and an explicit role that may write only there, instead
 * of AWSLambdaBasicExecutionRole (an AWS managed policy that can write to every log group).
 * Construct ids are `${id}Logs` and `${id}Role`.
 */
export function functionRoleWithLogs(
  scope: Construct,
  id: string,
  description: string,
): { role: Role; logGroup: LogGroup } {
  const logGroup = new LogGroup(scope, `${id}Logs`, {
    retention: RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const role = new Role(scope, `${id}Role`, {
    assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
    description,
  });
  logGroup.grantWrite(role);
  return { role, logGroup };
}

/**
 * Read-only access to the articles under `prefix` and nothing else in the bucket. Listing is
 * allowed for the prefix too, so a missing key answers 404 (NoSuchKey) instead of 403.
 */
export function grantArticleRead(role: Role, bucket: IBucket, prefix: string): void {
  role.addToPolicy(
    new PolicyStatement({
      sid: "ReadArticles",
      actions: ["s3:GetObject"],
      resources: [bucket.arnForObjects(`${prefix}*`)],
    }),
  );
  role.addToPolicy(
    new PolicyStatement({
      sid: "ListArticles",
      actions: ["s3:ListBucket"],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { "s3:prefix": [`${prefix}*`] } },
    }),
  );
}
