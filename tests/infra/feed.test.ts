/**
 * The feed site (infra/constructs/feed.ts): the feed function's environment and IAM, its
 * IAM-authenticated Function URL that only this distribution may call, CloudFront and the site
 * URL parameter. Template only, no bundling (tests/infra/stack.test.ts checks the bundle).
 */
import { Match, type Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import {
  actionsOf,
  objectArn,
  policyStatements,
  type Resources,
  type Synth,
  synthFor,
} from "./support.ts";

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

describe("feed function", () => {
  const feedFunction = () =>
    logicalIdOf("AWS::Lambda::Function", {
      Description: Match.stringLikeRegexp("^Dateline: renders"),
    });

  it("runs Node.js 22+ on arm64 with 1024 MB and a 10 s timeout", () => {
    const props = propsOf(feedFunction());
    expect(props.Runtime).toMatch(/^nodejs(22|24)\.x$/);
    expect(props.Architectures).toEqual(["arm64"]);
    // 1024 MB for CPU (cold starts), not memory: see infra/constructs/feed.ts and bench/lambda-cold.ts.
    expect(props.MemorySize).toBe(1024);
    expect(props.Timeout).toBe(10);
  });

  it("gets exactly the environment the handler reads: the index table, the bucket, the site URL from SSM", () => {
    const props = propsOf(feedFunction()) as {
      Environment: { Variables: Record<string, unknown> };
    };
    const bucket = logicalIdOf("AWS::S3::Bucket", { VersioningConfiguration: {} });
    expect(props.Environment.Variables).toEqual({
      INDEX_TABLE: { Ref: logicalIdOf("AWS::DynamoDB::Table") },
      CONTENT_BUCKET: { Ref: bucket },
      CONTENT_PREFIX: "articles/",
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
      // No NODE_OPTIONS: the function maps the stacks it logs itself (handlers/source-map.ts).
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
});

const statementsOfFeed = (from: Synth) =>
  from.statementsOf(from.roleOf(from.fn("^Dateline: renders")));
const logStatement = (from: Synth) => ({
  Effect: "Allow",
  Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
  Resource: {
    "Fn::GetAtt": [
      (from.props(from.fn("^Dateline: renders")).LoggingConfig as { LogGroup: { Ref: string } })
        .LogGroup.Ref,
      "Arn",
    ],
  },
});
const siteUrlStatement = {
  Effect: "Allow",
  Action: "ssm:GetParameter",
  Resource: {
    "Fn::Join": [
      "",
      [
        "arn:",
        { Ref: "AWS::Partition" },
        ":ssm:",
        { Ref: "AWS::Region" },
        ":",
        { Ref: "AWS::AccountId" },
        ":parameter/dateline/Dateline/site-url",
      ],
    ],
  },
};

describe("IAM", () => {
  it("may read only the index (GetItem, Query), compiled/ and its site URL parameter; write nothing but logs", () => {
    const bucket = logicalIdOf("AWS::S3::Bucket", { VersioningConfiguration: {} });
    expect(synth.env(synth.fn("^Dateline: renders"))).not.toHaveProperty("CONTENT_MANIFEST");
    expect(statementsOfFeed(synth)).toEqual([
      logStatement(synth),
      {
        Effect: "Allow",
        Action: ["dynamodb:GetItem", "dynamodb:Query"],
        Resource: { "Fn::GetAtt": [logicalIdOf("AWS::DynamoDB::Table"), "Arn"] },
      },
      { Effect: "Allow", Action: "s3:GetObject", Resource: objectArn(bucket, "compiled/*") },
      // Listing exactly what it reads: a read of a missing key is then 404, not 403.
      {
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: { "Fn::GetAtt": [bucket, "Arn"] },
        Condition: { StringLike: { "s3:prefix": ["compiled/*"] } },
      },
      siteUrlStatement,
    ]);
    expect(synth.nagFindings().filter((f) => f.includes("/Feed/"))).toEqual([]);
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
