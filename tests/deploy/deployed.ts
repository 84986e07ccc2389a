/**
 * A deployed site without AWS, for the deploy tests: the content asset in s3rver (where the
 * BucketDeployment puts it), the index table in dynalite under the name the template resolves
 * to, the site URL parameter in an SSM stand-in, and the synthesized functions' environments
 * resolved onto these servers. `index()` runs
 * the synthesized indexer bundle on one event in a fresh process, as Lambda would.
 */
import type { Resolver } from "../support/cfn-resolve.ts";
import { type Dynalite, startDynalite } from "../support/dynalite.ts";
import { sqsEvent } from "../support/s3-events.ts";
import { type S3rver, startS3rver } from "../support/s3rver.ts";
import { type SsmStub, startSsmStub } from "../support/ssm-stub.ts";
import {
  type FunctionArtifact,
  filesOf,
  type LambdaHost,
  lambdaEnv,
  resolverFor,
  type Synthesized,
  startLambdaHost,
} from "./support.ts";
import { sharedSynth } from "./synth-cache.ts";

export interface DeployedSite {
  readonly s3: S3rver;
  readonly db: Dynalite;
  /** The site URL parameter the stack creates, holding `siteUrl`. */
  readonly ssm: SsmStub;
  /** The distribution's https URL in the fake account, as the stack publishes it. */
  readonly siteUrl: string;
  readonly resolver: Resolver;
  /** The index table's (resolved) name, created in dynalite. */
  readonly table: string;
  /** Keys of the content asset as uploaded (relative to the deployment's prefix). */
  readonly contentKeys: string[];
  /** `fn`'s synthesized environment on these servers (no WebSub queue unless overridden). */
  env(fn: FunctionArtifact, overrides?: Record<string, string | undefined>): Record<string, string>;
  /** Runs the indexer bundle on `event` in a fresh process; resolves what it returned. */
  index(event: unknown, overrides?: Record<string, string | undefined>): Promise<unknown>;
  /** A fresh feed function process on these servers. */
  feed(overrides?: Record<string, string | undefined>): Promise<LambdaHost>;
  dispose(): Promise<void>;
}

/** Lines a function logged at error level (or not as JSON): a deploy test fails on any. */
export function errorLines(host: LambdaHost): Record<string, unknown>[] {
  return host.logs().filter((l) => l.level === "error" || l.level === "raw");
}

/**
 * Starts the servers and uploads the content asset; with `indexed` (the default) the indexer
 * bundle then builds the index from the bucket (the hourly reconciliation's message), as the
 * first S3 events of a deploy would.
 */
export async function deployedSite(
  synth: Synthesized,
  { indexed = true }: { indexed?: boolean } = {},
): Promise<DeployedSite> {
  const [s3, db] = await Promise.all([startS3rver(), startDynalite()]);
  const resolver = resolverFor(synth, s3.bucket);
  const distribution = Object.entries(synth.resources).find(
    ([, r]) => r.Type === "AWS::CloudFront::Distribution",
  )?.[0];
  if (!distribution) throw new Error("the stack has no distribution");
  const siteUrl = `https://${resolver.getAtt(distribution, "DomainName")}`;
  const ssm = await startSsmStub(synth.siteUrlParameterName ?? "", siteUrl);
  const indexer = synth.indexerFunction;
  if (!indexer) throw new Error("the stack has no indexer");
  const table = resolver.string(indexer.environment.INDEX_TABLE);
  await db.table(table);
  const files = await filesOf(synth.content.dir);
  await s3.putMany(files.map(([key, bytes]) => [synth.content.destinationPrefix + key, bytes]));
  const server = {
    bucket: s3.bucket,
    env: { ...s3.env, AWS_ENDPOINT_URL_DYNAMODB: db.endpoint, AWS_ENDPOINT_URL_SSM: ssm.url },
  };
  const env = (fn: FunctionArtifact, overrides: Record<string, string | undefined> = {}) =>
    lambdaEnv(fn, server, { WEBSUB_QUEUE_URL: undefined, ...overrides }, resolver);
  const site: DeployedSite = {
    s3,
    db,
    ssm,
    siteUrl,
    resolver,
    table,
    contentKeys: files.map(([key]) => key),
    env,
    async index(event, overrides = {}) {
      const host = await startLambdaHost(
        indexer.bundleFile,
        indexer.exportName,
        env(indexer, overrides),
      );
      try {
        const { result } = await host.invokeEvent(event);
        const errors = errorLines(host);
        if (errors.length) throw new Error(`the indexer logged errors: ${JSON.stringify(errors)}`);
        return result;
      } finally {
        await host.dispose();
      }
    },
    feed: (overrides = {}) =>
      startLambdaHost(
        synth.feedFunction.bundleFile,
        synth.feedFunction.exportName,
        env(synth.feedFunction, overrides),
      ),
    dispose: async () => {
      await Promise.all([s3.dispose(), db.stop(), ssm.close()]);
    },
  };
  if (indexed) await site.index(sqsEvent([{ rebuild: true }]));
  return site;
}

/** The shared synth, its site deployed and indexed, and one feed function process on it. */
export async function servedSite(
  overrides: Record<string, string | undefined> = {},
): Promise<{ synth: Synthesized; site: DeployedSite; feed: LambdaHost }> {
  const synth = await sharedSynth();
  const site = await deployedSite(synth);
  return { synth, site, feed: await site.feed(overrides) };
}
