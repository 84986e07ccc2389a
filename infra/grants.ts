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
 * Read-only access to the objects `keys` of a bucket (exact keys or `prefix*` patterns) and
 * nothing else in it: statements `Read${name}` (s3:GetObject) and `List${name}`. S3 answers a
 * GET of a missing key with 404 only when the caller may also list that key (ListBucket
 * evaluated with `s3:prefix` = the key), otherwise 403 AccessDenied. Every object read here can
 * be missing (a deleted article, a body not written yet), so listing is allowed for exactly the
 * same keys, literally.
 */
export function grantObjectRead(
  role: Role,
  bucket: IBucket,
  name: string,
  keys: readonly string[],
): void {
  role.addToPolicy(
    new PolicyStatement({
      sid: `Read${name}`,
      actions: ["s3:GetObject"],
      resources: keys.map((k) => bucket.arnForObjects(k)),
    }),
  );
  role.addToPolicy(
    new PolicyStatement({
      sid: `List${name}`,
      actions: ["s3:ListBucket"],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { "s3:prefix": [...keys] } },
    }),
  );
}
