/**
 * WebSub publisher Lambda (thin adapter): batches from the WebSub queue → invalidate the
 * documents the changes made stale in CloudFront, wait, ping the hub when HUB_URL is set
 * (functions/websub/handler.ts).
 */
import { CloudFrontClient } from "@aws-sdk/client-cloudfront";
import type { SQSEvent } from "aws-lambda";
import * as v from "valibot";
import { loadConfig } from "../config.ts";
import { ConfigError } from "../errors.ts";
import { jsonLogger } from "../log.ts";
import { cloudFrontInvalidator } from "../websub/cloudfront.ts";
import { handlePingBatch, type PublisherDeps } from "../websub/handler.ts";
import { withSiteUrl } from "./site-url.ts";

const DistributionId = v.pipe(
  v.string(),
  v.regex(
    /^[A-Z0-9]{6,32}$/,
    "DISTRIBUTION_ID must be a CloudFront distribution id such as E1PDK09ESKHJWT",
  ),
);

/** The publisher wired from the environment (the site URL from SSM when the stack names one). */
export async function publisherFromEnv(
  source: Record<string, string | undefined>,
): Promise<PublisherDeps> {
  const config = loadConfig(await withSiteUrl(source));
  const id = v.safeParse(DistributionId, source.DISTRIBUTION_ID ?? "");
  if (!id.success) throw new ConfigError(id.issues[0]?.message ?? "DISTRIBUTION_ID");
  return {
    siteUrl: config.siteUrl,
    // Without a hub (dateline:hubUrl unset) the publisher still invalidates every change.
    ...(config.hubUrl ? { hubUrl: config.hubUrl } : {}),
    invalidate: cloudFrontInvalidator({
      client: new CloudFrontClient({ region: "us-east-1", maxAttempts: 3 }),
      distributionId: id.output,
    }),
    log: jsonLogger(),
  };
}

let ready: Promise<PublisherDeps> | undefined;

/** Lambda entry point: batches from the WebSub queue (a failure retries the batch). */
export const handler = async (event: SQSEvent): Promise<void> => {
  ready ??= publisherFromEnv(process.env).catch((error: unknown) => {
    ready = undefined;
    throw error;
  });
  await handlePingBatch(event, await ready);
};
