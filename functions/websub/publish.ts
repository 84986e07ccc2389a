import type { Logger } from "../log.ts";

export interface PublishOptions {
  /** The fetch to use (injected so tests and adapters choose); default: global fetch. */
  fetch?: typeof fetch;
  log: Logger;
  /** Further attempts after a failed one (5xx, 429, network error, time-out). Default 3. */
  retries?: number;
  /** Wait before the first retry, in ms; doubled for each further retry. Default 1000. */
  backoff?: number;
  /** Limit for one request, in ms; a hub that does not answer counts as failed. Default 10000. */
  timeout?: number;
  /** Requests in flight at once. Default 4. */
  concurrency?: number;
}

/** What happened to each feed URL: accepted by the hub, or given up on (with the last reason). */
export interface PublishReport {
  published: string[];
  failed: { url: string; reason: string }[];
}

/**
 * Tells a WebSub hub that feeds changed: `POST hub.mode=publish&hub.url=<feed>` as
 * `application/x-www-form-urlencoded`, one request per feed URL. (Some hubs take several
 * `hub.url` values in one request, but neither the WebSub recommendation nor every hub does, and
 * one request per topic lets each be retried and reported on its own.)
 *
 * Any 2xx is success. 5xx, 429, network errors and time-outs are retried `retries` times after
 * `backoff`, 2 × `backoff`, 4 × `backoff`… ms; other 4xx answers are final. Failures are logged.
 * Never rejects: callers on a serving path may fire and forget.
 */
export async function publish(
  hubUrl: string,
  feedUrls: readonly string[],
  options: PublishOptions,
): Promise<PublishReport> {
  const report: PublishReport = { published: [], failed: [] };
  try {
    const urls = [...new Set(feedUrls)];
    const outcomes: (true | string)[] = [];
    let next = 0;
    const workers = Array.from({ length: Math.min(options.concurrency ?? 4, urls.length) }, () =>
      (async () => {
        while (next < urls.length) {
          const index = next++;
          outcomes[index] = await publishOne(hubUrl, urls[index] as string, options);
        }
      })(),
    );
    await Promise.all(workers);
    // Reported in the order given, whatever order the hub answered in.
    urls.forEach((url, i) => {
      const outcome = outcomes[i] ?? "not attempted";
      if (outcome === true) report.published.push(url);
      else report.failed.push({ url, reason: outcome });
    });
  } catch (error) {
    // Only a bug gets here (publishOne catches everything); keep the promise to never reject.
    options.log.error("websub publish failed", { hub: hubUrl, reason: String(error) });
  }
  if (report.published.length > 0)
    options.log.info("websub hub notified", { hub: hubUrl, feeds: report.published });
  return report;
}

/** One topic: true when the hub accepted it, else the reason of the last attempt. */
async function publishOne(
  hubUrl: string,
  feedUrl: string,
  options: PublishOptions,
): Promise<true | string> {
  const doFetch = options.fetch ?? fetch;
  const retries = options.retries ?? 3;
  const backoff = options.backoff ?? 1_000;
  const timeout = options.timeout ?? 10_000;
  let reason = "";
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await sleep(backoff * 2 ** (attempt - 1));
    let retryable = true;
    try {
      const response = await doFetch(hubUrl, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ "hub.mode": "publish", "hub.url": feedUrl }).toString(),
        signal: AbortSignal.timeout(timeout),
        redirect: "error",
      });
      // The body is not needed; reading it frees the connection.
      const text = (await response.text().catch(() => "")).slice(0, 200).trim();
      if (response.ok) return true;
      reason = `hub answered ${response.status}${text ? `: ${text}` : ""}`;
      retryable = response.status >= 500 || response.status === 429;
    } catch (error) {
      reason =
        error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")
          ? `no answer within ${timeout} ms`
          : `request failed: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}`;
    }
    if (!retryable) break;
    if (attempt < retries)
      options.log.warn("websub publish attempt failed; retrying", {
        hub: hubUrl,
        feed: feedUrl,
        attempt: attempt + 1,
        reason,
      });
  }
  options.log.error("websub publish gave up", { hub: hubUrl, feed: feedUrl, reason });
  return reason;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
