/**
 * The stack as `cdk synth` builds it, with real esbuild bundling of every function: the content
 * asset, the bundles themselves (the feed bundle's shape, the indexer bundle run on an SQS batch
 * of S3 events against s3rver and dynalite), the outputs, and the logical ids that must not move.
 * The bundles are those of the one real `npx cdk synth` the deploy tests share
 * (tests/deploy/synth-cache.ts); the template checks read the unbundled synth, as the
 * constructs' template-shape tests in the other files of tests/infra do.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { Token } from "aws-cdk-lib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryBlobs } from "../../functions/index/keys.ts";
import { IndexReader } from "../../functions/index/read.ts";
import { ENTRIES } from "../../infra/stack.ts";
import { sharedSynth } from "../deploy/synth-cache.ts";
import { type Dynalite, startDynalite } from "../support/dynalite.ts";
import { s3Record, sqsEvent } from "../support/s3-events.ts";
import { type S3rver, startS3rver } from "../support/s3rver.ts";
import { type Synth, synthFor } from "./support.ts";

let synth: Synth;
let assemblyDir: string;
let stackName: string;

beforeAll(async () => {
  synth = synthFor();
  ({ outDir: assemblyDir, stackName } = await sharedSynth());
}, 240_000);

/** The folder of a bundled asset, by its display name (e.g. `Feed/Function/Code`). */
function assetDir(displayName: string): string {
  const manifest = JSON.parse(
    readFileSync(join(assemblyDir, `${stackName}.assets.json`), "utf8"),
  ) as {
    files: Record<string, { displayName?: string; source: { path: string } }>;
  };
  const asset = Object.values(manifest.files).find((f) => f.displayName === displayName);
  if (!asset) throw new Error(`no asset ${displayName}`);
  return join(assemblyDir, asset.source.path);
}

describe("logical ids", () => {
  it("keep the retained buckets, the distribution and the site URL parameter where they were", () => {
    // A new logical id is a new resource to CloudFormation: an empty bucket beside the orphaned
    // one, a new *.cloudfront.net domain for every subscriber, a parameter name collision.
    const kept = {
      ArticleBucket38F6CD07: "AWS::S3::Bucket",
      AccessLogBucketDA470295: "AWS::S3::Bucket",
      Distribution830FAC52: "AWS::CloudFront::Distribution",
      SiteUrlParameter66DC3B26: "AWS::SSM::Parameter",
    };
    for (const [id, type] of Object.entries(kept)) expect(synth.resources[id]?.Type, id).toBe(type);
  });

  it("build each function from its entry module", () => {
    expect(Object.keys(ENTRIES).sort()).toEqual(["feed", "indexer", "websub"]);
    for (const entry of Object.values(ENTRIES))
      expect(existsSync(new URL(`../../${entry}`, import.meta.url)), entry).toBe(true);
  });
});

describe("content deployment asset", () => {
  it("carries the repository's content/ files, without dotfiles", () => {
    const listed = (dir: string) =>
      readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => relative(dir, join(e.parentPath, e.name)))
        .sort();
    const shipped = listed(assetDir("Storage/ContentDeployment/Asset1"));
    const inRepo = listed(new URL("../../content", import.meta.url).pathname);
    expect(shipped.length).toBeGreaterThan(0);
    expect(shipped).toEqual(
      inRepo.filter((f) => !f.split("/").some((part) => part.startsWith("."))),
    );
  });
});

describe("feed function bundle", () => {
  it("ships an ESM bundle with the require() banner and a source map", () => {
    const dir = assetDir("Feed/Function/Code");
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

describe("outputs", () => {
  it("publishes the site, the three feed URLs and the bucket name", () => {
    const outputs = synth.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const distribution = synth.only("AWS::CloudFront::Distribution");
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
    expect(outputs.BucketName?.Value).toEqual({ Ref: "ArticleBucket38F6CD07" });
    expect(outputs.IndexTableName?.Value).toEqual({ Ref: synth.only("AWS::DynamoDB::Table") });
  });

  it("is environment-agnostic", () => {
    expect(synth.stack.environment).toBe("aws://unknown-account/unknown-region");
    expect(Token.isUnresolved(synth.stack.account) && Token.isUnresolved(synth.stack.region)).toBe(
      true,
    );
  });
});

describe("the synthesized indexer bundle", () => {
  let s3: S3rver;
  let db: Dynalite;

  beforeAll(async () => {
    [s3, db] = await Promise.all([startS3rver(), startDynalite()]);
  });

  afterAll(async () => {
    await Promise.all([s3?.dispose(), db?.stop()]);
  });

  it("indexes the bucket when Lambda invokes it with an SQS batch of S3 events", async () => {
    const bundle = join(assetDir("Indexer/Function/Code"), "index.mjs");
    expect(existsSync(bundle)).toBe(true);
    const table = await db.table("stack-test");
    await s3.putMany([
      ["articles/2024/a.md", "---\ntitle: Alpha\ndate: 2024-01-01\n---\n\nA.\n"],
      ["articles/2024/b.md", "---\ntitle: Beta\ndate: 2024-01-02\n---\n\nB.\n"],
    ]);
    const event = sqsEvent([[s3Record(s3.bucket, "articles/2024/a.md")], { rebuild: true }]);
    // Not execFileSync: dynalite answers from this process's event loop.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const { handler } = await import(${JSON.stringify(bundle)}); console.log(JSON.stringify(await handler(JSON.parse(process.env.EVENT))));`,
      ],
      {
        env: {
          PATH: process.env.PATH ?? "",
          ...s3.env,
          AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
          SITE_URL: "https://news.example.com",
          CONTENT_BUCKET: s3.bucket,
          CONTENT_PREFIX: "articles/",
          INDEX_TABLE: "stack-test",
          EVENT: JSON.stringify(event),
        },
        encoding: "utf8",
        timeout: 30_000,
      },
    );
    expect(JSON.parse(stdout.trim().split("\n").at(-1) ?? "")).toEqual({ batchItemFailures: [] });
    // The event's article, and the rebuild's full listing: b.md too.
    const page = await new IndexReader(table, new MemoryBlobs()).page("site", 10);
    expect(page.items.map((i) => i.meta.title)).toEqual(["Beta", "Alpha"]);
  });
});
