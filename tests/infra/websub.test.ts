/**
 * The WebSub publisher in the stack: present only with dateline:hubUrl, read-only on the article
 * prefix, its own log group, S3 events for the prefix through EventBridge, cdk-nag clean, and its
 * synthesized bundle pinging a real hub stub for an article in s3rver.
 */
import { type ChildProcess, fork } from "node:child_process";
import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDatelineStack, type DatelineStack } from "../../infra/stack.ts";
import { linkNodeModules, tempAssemblyDir } from "../deploy/support.ts";
import { article } from "../support/folder-site.ts";
import { startHub } from "../support/hub.ts";
import { s3BridgeEvent } from "../support/s3-event.ts";
import { startS3rver } from "../support/s3rver.ts";
import { actionsOf, cdkJsonContext, makeApp, policyStatements } from "./support.ts";

const HUB = "https://hub.example.org/websub";
const CERTIFICATE =
  "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b";
const HOST = fileURLToPath(new URL("../deploy/lambda-host.mjs", import.meta.url));

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

let outDir: string;
let stack: DatelineStack;
let template: Template;
let resources: Resources;

beforeAll(async () => {
  // Bundled for real (esbuild), into a temp cloud assembly the last test runs the bundle from.
  outDir = await tempAssemblyDir();
  const app = new App({ outdir: outDir, context: { ...cdkJsonContext(), "dateline:hubUrl": HUB } });
  stack = buildDatelineStack(app);
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources;
  app.synth();
});
afterAll(() => rm(outDir, { recursive: true, force: true }));

function only<T>(items: T[], what: string): T {
  expect(items, what).toHaveLength(1);
  return items[0] as T;
}

function websubFunction(from: Resources = resources) {
  return only(
    Object.entries(from).filter(
      ([id, r]) => r.Type === "AWS::Lambda::Function" && id.startsWith("WebSubFunction"),
    ),
    "the WebSub function",
  );
}

const bucketId = () =>
  only(
    Object.entries(resources).filter(
      ([, r]) => r.Type === "AWS::S3::Bucket" && r.Properties.VersioningConfiguration,
    ),
    "the article bucket",
  )[0];

describe("WebSub publisher (dateline:hubUrl set)", () => {
  it("is a Node 24 ARM function with the feed function's bundle format and the hub URL", () => {
    const [, fn] = websubFunction();
    expect(fn.Properties).toMatchObject({
      Runtime: "nodejs24.x",
      Architectures: ["arm64"],
      Handler: "index.handler",
      Timeout: 60,
      Environment: {
        Variables: {
          HUB_URL: HUB,
          CONTENT_BUCKET: { Ref: bucketId() },
          CONTENT_PREFIX: "articles/",
          SITE_URL_PARAMETER: "/dateline/Dateline/site-url",
          NODE_OPTIONS: "--enable-source-maps",
        },
      },
    });
  });

  it("writes to its own log group", () => {
    const [, fn] = websubFunction();
    const logGroup = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
    expect(logGroup).toMatch(/^WebSubLogs/);
    expect(resources[logGroup]?.Type).toBe("AWS::Logs::LogGroup");
    const others = Object.entries(resources)
      .filter(([id, r]) => r.Type === "AWS::Lambda::Function" && !id.startsWith("WebSub"))
      .map(
        ([, r]) => (r.Properties.LoggingConfig as { LogGroup?: { Ref: string } })?.LogGroup?.Ref,
      );
    expect(others).not.toContain(logGroup);
  });

  it("may only read articles under the prefix (and the site URL parameter), and log", () => {
    const [, fn] = websubFunction();
    const role = (fn.Properties.Role as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0];
    const statements = policyStatements(resources)
      .filter(({ policy }) => {
        const roles = resources[policy]?.Properties.Roles as { Ref: string }[];
        return roles.some((r) => r.Ref === role);
      })
      .map(({ statement }) => statement);
    expect(statements.flatMap(actionsOf).sort()).toEqual([
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "s3:GetObject",
      "s3:ListBucket",
      "ssm:GetParameter",
    ]);
    const read = only(
      statements.filter((s) => actionsOf(s).includes("s3:GetObject")),
      "GetObject",
    );
    expect(JSON.stringify(read.Resource)).toContain('"/articles/*"');
    const list = statements.find((s) => actionsOf(s).includes("s3:ListBucket")) as {
      Condition?: unknown;
    };
    expect(list.Condition).toEqual({ StringLike: { "s3:prefix": ["articles/*"] } });
    expect(resources[role]?.Properties).not.toHaveProperty("ManagedPolicyArns");
  });

  it("is invoked by S3 events for the article prefix through EventBridge", () => {
    const bucket = resources[bucketId()]?.Properties as {
      NotificationConfiguration?: { EventBridgeConfiguration?: { EventBridgeEnabled: boolean } };
    };
    expect(bucket.NotificationConfiguration?.EventBridgeConfiguration).toEqual({
      EventBridgeEnabled: true,
    });
    const [ruleId, rule] = only(
      Object.entries(resources).filter(
        ([, r]) =>
          r.Type === "AWS::Events::Rule" &&
          (r.Properties.EventPattern as { source?: string[] })?.source?.[0] === "aws.s3",
      ),
      "the S3 event rule",
    );
    const [fnId] = websubFunction();
    expect(rule.Properties.EventPattern).toEqual({
      source: ["aws.s3"],
      "detail-type": ["Object Created", "Object Deleted"],
      detail: {
        bucket: { name: [{ Ref: bucketId() }] },
        object: { key: [{ prefix: "articles/" }] },
      },
    });
    expect(rule.Properties.Targets).toEqual([
      expect.objectContaining({ Arn: { "Fn::GetAtt": [fnId, "Arn"] } }),
    ]);
    template.hasResourceProperties("AWS::Lambda::Permission", {
      Action: "lambda:InvokeFunction",
      FunctionName: { "Fn::GetAtt": [fnId, "Arn"] },
      Principal: "events.amazonaws.com",
      SourceArn: { "Fn::GetAtt": [ruleId, "Arn"] },
    });
  });

  it("leaves cdk-nag with nothing unacknowledged", () => {
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
  });

  it("ships a bundle that pings the hub for an article stored in S3", async () => {
    const hub = await startHub();
    const s3 = await startS3rver();
    let child: ChildProcess | undefined;
    try {
      await s3.put("articles/2026/tram.md", article({ title: "Tram", tags: ["Trams"] }));
      const assets = JSON.parse(readFileSync(join(outDir, "Dateline.assets.json"), "utf8")) as {
        files: Record<string, { displayName?: string; source: { path: string } }>;
      };
      const asset = only(
        Object.values(assets.files).filter((f) => f.displayName === "WebSub/Function/Code"),
        "the WebSub function's code asset",
      );
      const bundle = join(outDir, asset.source.path, "index.mjs");
      await linkNodeModules(outDir);
      child = fork(HOST, [bundle, "handler"], {
        cwd: dirname(bundle),
        execArgv: [],
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          ...s3.env,
          SITE_URL: "https://news.example.com",
          HUB_URL: hub.url,
          CONTENT_BUCKET: s3.bucket,
          CONTENT_PREFIX: "articles/",
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
        },
        stdio: ["ignore", "ignore", "pipe", "ipc"],
      });
      const host = child;
      const reply = new Promise<{ type: string; message?: string }>((resolve) => {
        host.on("message", (m: { type: string; message?: string }) => {
          if (m.type === "ready") host.send({ type: "invoke", id: 1, event: event(s3.bucket) });
          else resolve(m);
        });
      });
      const result = await reply;
      expect(result.type, result.message).toBe("result");
      const site = "https://news.example.com";
      expect(hub.requests.map((r) => r.urls[0]).sort()).toEqual(
        [
          ...["feed.xml", "atom.xml", "feed.json"].map((f) => `${site}/${f}`),
          ...["feed.xml", "atom.xml", "feed.json"].map((f) => `${site}/authors/desk/${f}`),
          ...["feed.xml", "atom.xml", "feed.json"].map((f) => `${site}/tags/trams/${f}`),
        ].sort(),
      );
    } finally {
      child?.kill("SIGTERM");
      await s3.dispose();
      await hub.close();
    }
  });
});

function event(bucket: string) {
  return s3BridgeEvent(bucket, "articles/2026/tram.md", "Object Created");
}

describe("without dateline:hubUrl", () => {
  it("has no WebSub publisher and no S3 event rule", () => {
    const plain = Template.fromStack(buildDatelineStack(makeApp({}, { bundle: false }))).toJSON()
      .Resources as Resources;
    expect(Object.keys(plain).filter((id) => id.startsWith("WebSub"))).toEqual([]);
    const s3Rules = Object.values(plain).filter(
      (r) =>
        r.Type === "AWS::Events::Rule" &&
        (r.Properties.EventPattern as { source?: string[] })?.source?.[0] === "aws.s3",
    );
    expect(s3Rules).toEqual([]);
  });
});

describe("with dateline:hubUrl and a custom domain", () => {
  it("passes the site URL itself and grants no parameter read; cdk-nag stays clean", () => {
    const variant = buildDatelineStack(
      makeApp(
        {
          "dateline:hubUrl": HUB,
          "dateline:customDomain": "news.example.com",
          "dateline:certificateArn": CERTIFICATE,
        },
        { bundle: false },
      ),
    );
    const variantResources = Template.fromStack(variant).toJSON().Resources as Resources;
    const [, fn] = websubFunction(variantResources);
    const env = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env.SITE_URL).toBe("https://news.example.com");
    expect(env).not.toHaveProperty("SITE_URL_PARAMETER");
    const actions = policyStatements(variantResources)
      .filter(({ policy }) => policy.startsWith("WebSubRole"))
      .flatMap(({ statement }) => actionsOf(statement));
    expect(actions).not.toContain("ssm:GetParameter");
    expect(new AwsSolutionsChecks().validateScope(variant).violations).toEqual([]);
  });
});
