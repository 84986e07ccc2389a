/** CloudFront invalidations for the WebSub publisher: create one, wait until it has completed. */
import {
  type CloudFrontClient,
  CreateInvalidationCommand,
  GetInvalidationCommand,
} from "@aws-sdk/client-cloudfront";

export interface InvalidatorOptions {
  client: CloudFrontClient;
  distributionId: string;
  /** First wait before a status check, ms, doubled after each check up to 10 s. Default 1000. */
  pollMs?: number;
  /** Give up (reject) when the invalidation has not completed by then, ms. Default 180000. */
  maxWaitMs?: number;
}

/**
 * `(paths, reference) => Promise<void>` that resolves once CloudFront reports the invalidation of
 * `paths` Completed. `reference` is the CallerReference: a retry with the same reference and
 * paths gets the same invalidation back instead of a second one.
 */
export function cloudFrontInvalidator(options: InvalidatorOptions) {
  const { client, distributionId } = options;
  let wait = options.pollMs ?? 1_000;
  const maxWaitMs = options.maxWaitMs ?? 180_000;
  return async (paths: string[], reference: string): Promise<void> => {
    const started = Date.now();
    const created = await client.send(
      new CreateInvalidationCommand({
        DistributionId: distributionId,
        InvalidationBatch: {
          CallerReference: reference,
          Paths: { Quantity: paths.length, Items: paths },
        },
      }),
    );
    const id = created.Invalidation?.Id;
    if (!id) throw new Error("CloudFront answered CreateInvalidation without an invalidation id");
    let status = created.Invalidation?.Status;
    while (status !== "Completed") {
      if (Date.now() - started > maxWaitMs) {
        throw new Error(`invalidation ${id} still ${status} after ${maxWaitMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(wait * 2, 10_000);
      const current = await client.send(
        new GetInvalidationCommand({ DistributionId: distributionId, Id: id }),
      );
      status = current.Invalidation?.Status;
    }
  };
}
