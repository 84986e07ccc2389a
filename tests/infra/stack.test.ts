import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { Token } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { buildDatelineStack, type DatelineStack } from "../../infra/stack.ts";
import { actionsOf, makeApp, policyStatements } from "./support.ts";

// One synth for the whole file, with real esbuild bundling of functions/lambda.ts.
let stack: DatelineStack;
let template: Template;
let resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
let assemblyDir: string;

beforeAll(() => {
  const app = makeApp();
  stack = buildDatelineStack(app);
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
  assemblyDir = app.synth().directory;
});

/** The Properties of a resource, by logical id (fails the test if there is no such resource). */
function propsOf(logicalId: string): Record<string, unknown> {
  const resource = resources[logicalId];
  if (!resource) throw new Error(`no resource ${logicalId} in the template`);
  return resource.Properties;
}

function logicalIdOf(type: string, props: Record<string, unknown> = {}): string {
  const found = Object.keys(template.findResources(type, { Properties: props }));
  expect(found, `${type} matching ${JSON.stringify(props)}`).toHaveLength(1);
  return found[0] as string;
}

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

describe("content deployment asset", () => {
  it("carries the repository's content/ files, without dotfiles", () => {
    const manifest = JSON.parse(
      readFileSync(join(assemblyDir, "Dateline.assets.json"), "utf8"),
    ) as { files: Record<string, { displayName?: string; source: { path: string } }> };
    const asset = Object.values(manifest.files).find(
      (f) => f.displayName === "ContentDeployment/Asset1",
    );
    expect(asset).toBeDefined();
    const listed = (dir: string) =>
      readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => relative(dir, join(e.parentPath, e.name)))
        .sort();
    const shipped = listed(join(assemblyDir, asset?.source.path ?? ""));
    const inRepo = listed(new URL("../../content", import.meta.url).pathname);
    expect(shipped.length).toBeGreaterThan(0);
    expect(shipped).toEqual(
      inRepo.filter((f) => !f.split("/").some((part) => part.startsWith("."))),
    );
  });
});

describe("feed function", () => {
  const feedFunction = () =>
    logicalIdOf("AWS::Lambda::Function", {
      Description: Match.stringLikeRegexp("^Dateline: renders"),
    });

  it("runs Node.js 22+ on arm64 with 1024 MB and a 10 s timeout", () => {
    const props = propsOf(feedFunction());
    expect(props.Runtime).toMatch(/^nodejs(22|24)\.x$/);
    expect(props.Architectures).toEqual(["arm64"]);
    // 1024 MB for CPU (cold starts), not memory: see infra/stack.ts and scripts/measure-bundle.ts.
    expect(props.MemorySize).toBe(1024);
    expect(props.Timeout).toBe(10);
  });

  it("gets exactly the environment the app reads, with the site URL from SSM", () => {
    const props = propsOf(feedFunction()) as {
      Environment: { Variables: Record<string, unknown> };
    };
    const bucket = logicalIdOf("AWS::S3::Bucket", { VersioningConfiguration: {} });
    expect(props.Environment.Variables).toEqual({
      CONTENT_BUCKET: { Ref: bucket },
      CONTENT_PREFIX: "articles/",
      CONTENT_MANIFEST: "index/manifest.json.gz",
      SITE_URL_PARAMETER: "/dateline/Dateline/site-url",
      SITE_TITLE: "Dateline",
      SITE_DESCRIPTION: "News from Dateline",
      SITE_LANGUAGE: "en",
      SITE_AUTHOR: "Dateline",
      FEED_LIMIT: "20",
      PAGE_SIZE: "20",
      CACHE_MAX_AGE: "300",
      REVALIDATE_SECONDS: "60",
      ORIGIN_AUTH: "iam",
      NODE_OPTIONS: "--enable-source-maps",
    });
  });

  it("logs JSON to its own log group, kept one month and deleted with the stack", () => {
    const props = propsOf(feedFunction()) as {
      LoggingConfig: { LogFormat: string; LogGroup: { Ref: string } };
    };
    expect(props.LoggingConfig.LogFormat).toBe("JSON");
    // Lambda's own START/END/REPORT lines (INFO) are not written; warnings and errors are.
    expect(props.LoggingConfig).toMatchObject({ SystemLogLevel: "WARN" });
    const logGroup = template.toJSON().Resources[props.LoggingConfig.LogGroup.Ref];
    expect(logGroup).toMatchObject({
      Type: "AWS::Logs::LogGroup",
      Properties: { RetentionInDays: 30 },
      DeletionPolicy: "Delete",
    });
  });

  it("ships an ESM bundle with the require() banner and a source map", () => {
    const manifest = JSON.parse(
      readFileSync(join(assemblyDir, "Dateline.assets.json"), "utf8"),
    ) as {
      files: Record<string, { displayName?: string; source: { path: string } }>;
    };
    const asset = Object.values(manifest.files).find((f) => f.displayName === "FeedFunction/Code");
    expect(asset).toBeDefined();
    const dir = join(assemblyDir, asset?.source.path ?? "");
    const bundle = readFileSync(join(dir, "index.mjs"), "utf8");
    expect(
      bundle.startsWith(
        "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      ),
    ).toBe(true);
    expect(bundle).toMatch(/export\s*\{[^}]*\bas handler\b|export\s*\{\s*handler\b/);
    expect(existsSync(join(dir, "index.mjs.map"))).toBe(true);
  });
});

describe("IAM", () => {
  it("gives the function only the article prefix, the manifest, its log group and the one parameter", () => {
    const role = logicalIdOf("AWS::IAM::Role", {
      Description: Match.stringLikeRegexp("feed function"),
    });
    const policy = logicalIdOf("AWS::IAM::Policy", { Roles: [{ Ref: role }] });
    const bucket = logicalIdOf("AWS::S3::Bucket", { VersioningConfiguration: {} });
    const statements = (propsOf(policy).PolicyDocument as { Statement: Record<string, unknown>[] })
      .Statement;
    expect(statements).toHaveLength(4);
    const object = (key: string) => ({
      "Fn::Join": ["", [{ "Fn::GetAtt": [bucket, "Arn"] }, `/${key}`]],
    });
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: "s3:GetObject",
        Resource: [object("articles/*"), object("index/manifest.json.gz")],
      }),
    );
    // Listing exactly what it reads: a read of a missing key is then 404, not 403.
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: "s3:ListBucket",
        Resource: { "Fn::GetAtt": [bucket, "Arn"] },
        Condition: { StringLike: { "s3:prefix": ["articles/*", "index/manifest.json.gz"] } },
      }),
    );
    const ssm = statements.find((s) => s.Action === "ssm:GetParameter");
    expect(JSON.stringify(ssm?.Resource)).toContain(":parameter/dateline/Dateline/site-url");
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: { "Fn::GetAtt": [expect.stringMatching(/^FeedFunctionLogs/), "Arn"] },
      }),
    );
  });

  it("never allows an s3 or ssm action on Resource '*'", () => {
    const statements = policyStatements(resources);
    expect(statements.length).toBeGreaterThan(0);
    for (const { policy, statement } of statements) {
      if (!actionsOf(statement).some((a) => a.startsWith("s3:") || a.startsWith("ssm:"))) continue;
      const targets = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
      for (const target of targets) {
        expect(target, `${policy}: ${JSON.stringify(statement)}`).not.toBe("*");
      }
    }
  });

  it("reserves no concurrency on any function (new accounts' quota of 10 leaves none to reserve)", () => {
    const functions = Object.values(template.findResources("AWS::Lambda::Function"));
    expect(functions.length).toBeGreaterThan(2);
    for (const fn of functions) expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
    expect(JSON.stringify(template.toJSON())).not.toContain("ReservedConcurrentExecutions");
  });

  it("uses no AWS managed policies", () => {
    for (const role of Object.values(template.findResources("AWS::IAM::Role"))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe("site URL parameter", () => {
  it("holds https://<distribution domain> under the name the function is given", () => {
    const distribution = logicalIdOf("AWS::CloudFront::Distribution");
    template.hasResourceProperties("AWS::SSM::Parameter", {
      Type: "String",
      Name: "/dateline/Dateline/site-url",
      Value: { "Fn::Join": ["", ["https://", { "Fn::GetAtt": [distribution, "DomainName"] }]] },
    });
  });
});

describe("origin: a Function URL that only CloudFront may call", () => {
  it("is IAM-authenticated, with no API Gateway in the stack", () => {
    template.resourceCountIs("AWS::Lambda::Url", 1);
    template.hasResourceProperties("AWS::Lambda::Url", { AuthType: "AWS_IAM" });
    const types = Object.values(resources).map((r) => r.Type);
    expect(types.filter((t) => t.startsWith("AWS::ApiGateway"))).toEqual([]);
  });

  it("lets only CloudFront, for this distribution, invoke it (InvokeFunctionUrl and InvokeFunction)", () => {
    const distribution = logicalIdOf("AWS::CloudFront::Distribution");
    const url = logicalIdOf("AWS::Lambda::Url");
    const permissions = Object.values(template.findResources("AWS::Lambda::Permission")).filter(
      (p) => JSON.stringify(p.Properties.FunctionName).includes(url),
    );
    expect(permissions.map((p) => p.Properties.Action).sort()).toEqual([
      "lambda:InvokeFunction",
      "lambda:InvokeFunctionUrl",
    ]);
    for (const p of permissions) {
      expect(p.Properties.Principal).toBe("cloudfront.amazonaws.com");
      expect(JSON.stringify(p.Properties.SourceArn)).toContain(`"Ref":"${distribution}"`);
    }
  });
});

describe("CloudFront", () => {
  const config = () =>
    (
      propsOf(logicalIdOf("AWS::CloudFront::Distribution")) as {
        DistributionConfig: Record<string, unknown> & {
          DefaultCacheBehavior: Record<string, unknown>;
          Origins: Record<string, unknown>[];
        };
      }
    ).DistributionConfig;

  it("redirects to HTTPS, compresses, allows only GET/HEAD", () => {
    expect(config().DefaultCacheBehavior).toMatchObject({
      ViewerProtocolPolicy: "redirect-to-https",
      Compress: true,
      AllowedMethods: ["GET", "HEAD"],
      CachedMethods: ["GET", "HEAD"],
      CachePolicyId: { Ref: logicalIdOf("AWS::CloudFront::CachePolicy") },
    });
  });

  it("uses HTTP/2 and HTTP/3, price class 100, and logs to the log bucket", () => {
    expect(config()).toMatchObject({
      HttpVersion: "http2and3",
      PriceClass: "PriceClass_100",
      Logging: { Prefix: "cloudfront/" },
    });
  });

  it("reaches the Function URL over HTTPS (TLS 1.2), signing every request (origin access control)", () => {
    const url = logicalIdOf("AWS::Lambda::Url");
    const oac = logicalIdOf("AWS::CloudFront::OriginAccessControl");
    expect(propsOf(oac).OriginAccessControlConfig).toMatchObject({
      OriginAccessControlOriginType: "lambda",
      SigningBehavior: "always",
      SigningProtocol: "sigv4",
    });
    const [origin] = config().Origins as [Record<string, unknown>];
    expect(config().Origins).toHaveLength(1);
    expect(origin.OriginAccessControlId).toEqual({ "Fn::GetAtt": [oac, "Id"] });
    expect(JSON.stringify(origin.DomainName)).toContain(url);
    expect(origin.CustomOriginConfig).toMatchObject({
      OriginProtocolPolicy: "https-only",
      OriginSSLProtocols: ["TLSv1.2"],
    });
    // No origin request policy: Host is the URL's own, which the signature covers.
    expect(config().DefaultCacheBehavior.OriginRequestPolicyId).toBeUndefined();
  });

  it("uses the default certificate when no custom domain is set", () => {
    expect(config().Aliases).toBeUndefined();
    expect(config().ViewerCertificate).toBeUndefined();
  });

  it("caches by origin Cache-Control, keyed on limit and page only", () => {
    template.hasResourceProperties("AWS::CloudFront::CachePolicy", {
      CachePolicyConfig: {
        DefaultTTL: 0,
        MinTTL: 0,
        MaxTTL: 86_400,
        ParametersInCacheKeyAndForwardedToOrigin: {
          EnableAcceptEncodingGzip: true,
          EnableAcceptEncodingBrotli: true,
          HeadersConfig: { HeaderBehavior: "whitelist", Headers: ["Sec-Fetch-Dest"] },
          CookiesConfig: { CookieBehavior: "none" },
          QueryStringsConfig: {
            QueryStringBehavior: "whitelist",
            QueryStrings: ["limit", "before"],
          },
        },
      },
    });
  });
});

describe("outputs", () => {
  it("publishes the site, the three feed URLs and the bucket name", () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const distribution = logicalIdOf("AWS::CloudFront::Distribution");
    const url = (path: string) => ({
      "Fn::Join": [
        "",
        ["https://", { "Fn::GetAtt": [distribution, "DomainName"] }, ...(path ? [path] : [])],
      ],
    });
    expect(outputs.SiteUrl?.Value).toEqual(url(""));
    expect(outputs.RssFeedUrl?.Value).toEqual(url("/feed.xml"));
    expect(outputs.AtomFeedUrl?.Value).toEqual(url("/atom.xml"));
    expect(outputs.JsonFeedUrl?.Value).toEqual(url("/feed.json"));
    expect(outputs.BucketName?.Value).toEqual({
      Ref: logicalIdOf("AWS::S3::Bucket", { VersioningConfiguration: {} }),
    });
  });

  it("is environment-agnostic", () => {
    expect(stack.environment).toBe("aws://unknown-account/unknown-region");
    expect(Token.isUnresolved(stack.account) && Token.isUnresolved(stack.region)).toBe(true);
  });
});
