/** CloudFront invalidations for the WebSub publisher: create one, wait until it has completed. */
import {
  type CloudFrontClient,
  CreateInvalidationCommand,
  type CreateInvalidationCommandOutput,
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

/** CloudFront's limit of exact paths in one invalidation request. */
const MAX_PATHS = 3_000;

/**
 * `(paths, reference) => Promise<void>` that resolves once CloudFront reports the invalidation of
 * `paths` Completed. `reference` is the CallerReference: a retry with the same reference and
 * paths gets the same invalidation back instead of a second one. While CloudFront refuses with
 * TooManyInvalidationsInProgress (others in progress hold the distribution's 3,000 paths or 15
 * wildcards, an operator's for instance), it asks again with the same backoff, within the wait.
 */
export function cloudFrontInvalidator(options: InvalidatorOptions) {
  const { client, distributionId } = options;
  const maxWaitMs = options.maxWaitMs ?? 180_000;
  return async (paths: string[], reference: string): Promise<void> => {
    if (paths.length > MAX_PATHS)
      throw new RangeError(`${paths.length} paths: one invalidation holds at most ${MAX_PATHS}`);
    const started = Date.now();
    let wait = options.pollMs ?? 1_000;
    const pause = async (what: string) => {
      if (Date.now() - started > maxWaitMs) throw new Error(`${what} after ${maxWaitMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(wait * 2, 10_000);
    };
    const create = new CreateInvalidationCommand({
      DistributionId: distributionId,
      InvalidationBatch: {
        CallerReference: reference,
        Paths: { Quantity: paths.length, Items: paths },
      },
    });
    let created: CreateInvalidationCommandOutput | undefined;
    while (!created) {
      try {
        created = await client.send(create);
      } catch (error) {
        if ((error as { name?: string }).name !== "TooManyInvalidationsInProgress") throw error;
        await pause("CloudFront still has too many invalidations in progress");
      }
    }
    const id = created.Invalidation?.Id;
    if (!id) throw new Error("CloudFront answered CreateInvalidation without an invalidation id");
    let status = created.Invalidation?.Status;
    while (status !== "Completed") {
      await pause(`invalidation ${id} still ${status}`);
      const current = await client.send(
        new GetInvalidationCommand({ DistributionId: distributionId, Id: id }),
      );
      status = current.Invalidation?.Status;
    }
  };
}
