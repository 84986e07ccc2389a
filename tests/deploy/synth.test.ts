/**
 * What `cdk deploy` would ship, found offline in the real `npx cdk synth` output (with a WebSub
 * hub set, so every function of the stack is built): the assets, the feed bundle's imports and
 * environment, no preview switch anywhere, and the subscriber job's bundle run on CloudFront
 * log files in s3rver.
 */
import { readFile } from "node:fs/promises";
import { isBuiltin } from "node:module";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cloudFrontLog, gz, LOG_FILES as SUBSCRIBER_LOGS } from "../subscribers/fixtures.ts";
import { type S3rver, startS3rver } from "../support/s3rver.ts";
import { filesOf, type Synthesized, startLambdaHost } from "./support.ts";
import { sharedSynth } from "./synth-cache.ts";

let synth: Synthesized;
let s3: S3rver;

beforeAll(async () => {
  [synth, s3] = await Promise.all([sharedSynth(), startS3rver()]);
}, 240_000);

afterAll(async () => {
  await s3?.dispose();
});

describe("cdk synth", () => {
  it("ships the feed function's bundle and the content/ folder through the assets manifest", async () => {
    expect(synth.feedFunction.assetName).toBe("Feed/Function/Code");
    expect(synth.feedFunction.runtime).toMatch(/^nodejs(2[2-9]|[3-9]\d)\.x$/);
    expect(synth.feedFunction.bundleFile).toMatch(/index\.mjs$/);
    expect(synth.content.assetName).toBe("Storage/ContentDeployment/Asset1");
    expect(synth.content.destinationPrefix).toBe("articles/");

    // Exactly the repository's articles, nothing hidden (dotfiles) and nothing else.
    const repoContent = (await filesOf("content"))
      .map(([key]) => key)
      .filter((key) => !key.split("/").some((part) => part.startsWith(".")));
    const contentKeys = (await filesOf(synth.content.dir)).map(([key]) => key);
    expect(contentKeys).toEqual(repoContent);
    expect(contentKeys.some((key) => /\.(md|txt)$/.test(key))).toBe(true);
  });

  it("leaves only Node built-ins external: the feed bundle needs no AWS SDK", async () => {
    const result = await build({
      entryPoints: [synth.feedFunction.bundleFile],
      bundle: true,
      write: false,
      metafile: true,
      platform: "node",
      format: "esm",
      packages: "external",
      logLevel: "silent",
    });
    const imports = Object.values(result.metafile.inputs).flatMap((input) =>
      input.imports.filter((i) => i.external).map((i) => i.path),
    );
    expect(imports.length).toBeGreaterThan(0);
    const foreign = imports.filter((path) => !isBuiltin(path));
    expect(foreign).toEqual([]);
  });

  it("wires the function to the bucket and prefix the content is deployed to", () => {
    const env = synth.feedFunction.environment;
    const deployment = Object.values(synth.resources).find(
      (r) => r.Type === "Custom::CDKBucketDeployment",
    )?.Properties as { DestinationBucketName: unknown; DestinationBucketKeyPrefix: string };
    expect(env.CONTENT_BUCKET).toEqual(deployment.DestinationBucketName);
    expect(env.CONTENT_PREFIX).toBe(deployment.DestinationBucketKeyPrefix);
    expect(env.SITE_URL_PARAMETER).toBe(synth.siteUrlParameterName);
  });

  it("sets only environment variables the bundled handler reads", async () => {
    const bundle = await readFile(synth.feedFunction.bundleFile, "utf8");
    const names = Object.keys(synth.feedFunction.environment).filter((n) => n !== "NODE_OPTIONS");
    expect(names).toEqual(
      expect.arrayContaining(["INDEX_TABLE", "CONTENT_BUCKET", "SITE_URL_PARAMETER"]),
    );
    for (const name of names) {
      expect(new RegExp(`\\b${name}\\b`).test(bundle), `${name} is not read by the bundle`).toBe(
        true,
      );
    }
  });
});

describe("the preview switch", () => {
  it("is set on no synthesized function", () => {
    for (const resource of Object.values(synth.resources)) {
      if (resource.Type !== "AWS::Lambda::Function") continue;
      const env = (resource.Properties.Environment as { Variables?: object } | undefined)
        ?.Variables;
      expect(Object.keys(env ?? {})).not.toContain("PREVIEW_DRAFTS");
    }
  });
});

describe("the synthesized subscriber job on CloudFront log files", () => {
  it("reads the day's gzipped log files from the log bucket and writes the EMF metrics", async () => {
    const ids = Object.entries(synth.resources)
      .filter(([, r]) => r.Type === "AWS::Lambda::Function")
      .filter(([, r]) => JSON.stringify(r.Properties.Environment ?? {}).includes("LOG_BUCKET"))
      .map(([id]) => id);
    expect(ids).toHaveLength(1);
    const job = synth.artifact(ids[0] as string);
    const env: Record<string, string> = { ...s3.env };
    for (const [name, value] of Object.entries(job.environment)) {
      if (typeof value === "string") env[name] = value;
      else if (name === "LOG_BUCKET") env[name] = s3.bucket;
      else if (name === "DISTRIBUTION_ID") env[name] = "EDFDVBD6EXAMPLE";
      else throw new Error(`${name} is a CloudFormation expression the test cannot resolve`);
    }
    for (const [hour, fetches] of Object.entries(SUBSCRIBER_LOGS)) {
      await s3.put(
        `${env.LOG_PREFIX}EDFDVBD6EXAMPLE.${hour}.a1b2c3d4.gz`,
        gz(cloudFrontLog(fetches)),
      );
    }
    const host = await startLambdaHost(job.bundleFile, job.exportName, env);
    try {
      const { result } = await host.invokeEvent({
        "detail-type": "Scheduled Event",
        source: "aws.events",
        time: "2026-06-01T02:30:00Z",
        detail: {},
      });
      expect(result).toEqual({ day: "2026-05-31", files: 3, fetches: 17, feeds: 3 });
      const metrics = host
        .logs()
        .filter((l) => "_aws" in l)
        .map(({ _aws, ...rest }) => rest);
      expect(metrics).toContainEqual({ Feed: "/feed.xml", Subscribers: 183 });
      expect(metrics).toContainEqual({ Aggregator: "Feedly", Subscribers: 45 });
      expect(metrics).toContainEqual({ Site: "all feeds", Subscribers: 192 });
      const emf = host.logs().find((l) => "_aws" in l) as {
        _aws: { CloudWatchMetrics: { Namespace: string }[] };
      };
      expect(emf._aws.CloudWatchMetrics[0]?.Namespace).toBe(env.METRIC_NAMESPACE);
    } finally {
      await host.dispose();
    }
  });
});
