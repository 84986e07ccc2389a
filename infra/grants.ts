import { PolicyStatement, type Role } from "aws-cdk-lib/aws-iam";
import type { IBucket } from "aws-cdk-lib/aws-s3";

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
