import { endpointFor } from "../aws/request.ts";
import { getParameter } from "../aws/ssm.ts";
import { ConfigError, StoreUnavailableError } from "../errors.ts";

/**
 * The environment with SITE_URL filled in. When the stack cannot know the site URL at deploy
 * time (CloudFront's domain would be a dependency cycle), it is read once from the SSM
 * parameter named by SITE_URL_PARAMETER, with bounded time-outs: a stalled SSM call ends in a
 * StoreUnavailableError (503, retried on the next event), not in the Lambda time-out.
 */
export async function withSiteUrl(
  env: Record<string, string | undefined>,
): Promise<Record<string, string | undefined>> {
  if (env.SITE_URL || !env.SITE_URL_PARAMETER) {
    // The local default (http://localhost:PORT) would put unreachable links in every feed.
    if (!env.SITE_URL)
      throw new ConfigError("SITE_URL (or SITE_URL_PARAMETER naming an SSM parameter) must be set");
    return env;
  }
  const endpoint = { ...endpointFor("ssm", env), timeoutMs: 2_000 };
  let value: string | undefined;
  for (let attempt = 1; attempt <= 2 && value === undefined; attempt++) {
    try {
      value = await getParameter(endpoint, env.SITE_URL_PARAMETER);
    } catch (error) {
      const retryable = (error as { retryable?: boolean }).retryable === true;
      if (retryable && attempt < 2) continue;
      if (retryable)
        throw new StoreUnavailableError(
          `cannot read the site URL: ${(error as Error).message}`,
          30,
          {
            cause: error,
          },
        );
      throw new ConfigError(
        `SITE_URL_PARAMETER ${env.SITE_URL_PARAMETER}: ${(error as Error).message}`,
      );
    }
  }
  return { ...env, SITE_URL: value };
}
