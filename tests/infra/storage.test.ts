/**
 * Storage (infra/constructs/storage.ts): the private, TLS-only, versioned, retained article
 * bucket, its access-log bucket, and the content/ deployment. Template only, no bundling.
 */
import type { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { type Resources, type Synth, synthFor } from "./support.ts";

let synth: Synth;
let template: Template;
let resources: Resources;
const propsOf = (id: string) => synth.props(id);
const logicalIdOf = (type: string, props: Record<string, unknown> = {}) => synth.only(type, props);

beforeAll(() => {
  synth = synthFor();
  template = synth.template;
  resources = synth.resources;
});

describe("article bucket", () => {
  const articleBucket = () => logicalIdOf("AWS::S3::Bucket", { VersioningConfiguration: {} });

  it("blocks all public access, is versioned and S3-encrypted", () => {
    template.hasResourceProperties("AWS::S3::Bucket", {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      VersioningConfiguration: { Status: "Enabled" },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } },
        ],
      },
    });
  });

  it("is retained when the stack is deleted", () => {
    template.hasResource("AWS::S3::Bucket", {
      Properties: { VersioningConfiguration: { Status: "Enabled" } },
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
    });
  });

  it("expires noncurrent versions and logs access to a separate bucket", () => {
    const props = propsOf(articleBucket());
    expect(props.LifecycleConfiguration).toEqual({
      Rules: [
        expect.objectContaining({
          Status: "Enabled",
          NoncurrentVersionExpiration: { NoncurrentDays: 90 },
        }),
      ],
    });
    const logBucket = (props.LoggingConfiguration as { DestinationBucketName: { Ref: string } })
      .DestinationBucketName.Ref;
    expect(logBucket).not.toBe(articleBucket());
    expect(resources[logBucket]?.Type).toBe("AWS::S3::Bucket");
  });

  it("denies every request that is not over TLS, on both buckets", () => {
    const policies = template.findResources("AWS::S3::BucketPolicy");
    expect(Object.keys(policies)).toHaveLength(2);
    for (const policy of Object.values(policies)) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({
          Effect: "Deny",
          Action: "s3:*",
          Principal: { AWS: "*" },
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        }),
      );
    }
    template.hasResourceProperties("AWS::S3::BucketPolicy", {
      Bucket: { Ref: articleBucket() },
    });
  });

  it("deploys content/ to articles/ without pruning later uploads", () => {
    template.hasResourceProperties("Custom::CDKBucketDeployment", {
      DestinationBucketName: { Ref: articleBucket() },
      DestinationBucketKeyPrefix: "articles/",
      Prune: false,
      RetainOnDelete: true,
    });
  });

  it("gives the deployment handler /tmp and memory for the documented 100,000 articles", () => {
    const handler = Object.values(resources).find(
      (r) =>
        r.Type === "AWS::Lambda::Function" &&
        JSON.stringify(r.Properties.Role ?? "").includes("ContentDeploymentRole"),
    );
    const props = handler?.Properties as {
      EphemeralStorage?: { Size: number };
      MemorySize: number;
    };
    // ~350 MB of Markdown at 100,000 articles, held as the zip plus the unpacked files.
    expect(props.EphemeralStorage?.Size).toBeGreaterThanOrEqual(2 * 350);
    expect(props.MemorySize).toBeGreaterThanOrEqual(1024);
  });
});
