/**
 * The message the indexer puts on the WebSub queue after a write that changed feeds, and the
 * SQS adapter that sends it. The queue itself holds each message past the feed function's
 * revalidation (its delivery delay is set in infra/websub.ts).
 */
import * as v from "valibot";
import { endpointFor } from "../aws/request.ts";
import { sendMessage } from "../aws/sqs.ts";
import { ConfigError } from "../errors.ts";

/** Scope paths: "" (the site) or `/tags/<slug>` / `/authors/<slug>`, as scopePathOf gives. */
const ScopePath = v.pipe(v.string(), v.regex(/^(|\/(tags|authors)\/[^/?#\s]+)$/));

/**
 * Scopes per message. The publisher takes up to 10 messages per batch and invalidates 3 paths per
 * scope: 10 x 100 x 3 = 3,000, CloudFront's limit for one invalidation.
 */
export const SCOPES_PER_MESSAGE = 100;

/** The body of one WebSub queue message. */
export const ChangedFeedsMessage = v.object({
  scopes: v.pipe(v.array(ScopePath), v.minLength(1), v.maxLength(SCOPES_PER_MESSAGE)),
});
export type ChangedFeedsMessage = v.InferOutput<typeof ChangedFeedsMessage>;

/** A message body → its scope paths; throws with the reasons when it is not one of ours. */
export function parseChangedFeeds(body: string): string[] {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new TypeError("not JSON");
  }
  const result = v.safeParse(ChangedFeedsMessage, json);
  if (!result.success) {
    throw new TypeError(
      result.issues
        .map((i) => `${i.path?.map((p) => String(p.key)).join(".") || "body"}: ${i.message}`)
        .join("; "),
    );
  }
  return result.output.scopes;
}

const QueueUrl = v.pipe(
  v.string(),
  v.url(
    "WEBSUB_QUEUE_URL must be an SQS queue URL such as https://sqs.<region>.amazonaws.com/<account>/<name>",
  ),
);

/**
 * `{ onChange }` sending the changed scopes to the queue named by WEBSUB_QUEUE_URL, or `{}` when
 * it is not set (no hub configured). The queue is in the function's region: the request goes to
 * the regional endpoint (or AWS_ENDPOINT_URL_SQS in tests), signed with the function's credentials.
 */
export function sqsAnnouncer(env: Record<string, string | undefined>): {
  onChange?: (scopes: string[]) => Promise<void>;
} {
  const url = env.WEBSUB_QUEUE_URL;
  if (!url) return {};
  const parsed = v.safeParse(QueueUrl, url);
  if (!parsed.success) throw new ConfigError(parsed.issues[0]?.message ?? "WEBSUB_QUEUE_URL");
  const endpoint = { ...endpointFor("sqs", env), timeoutMs: 5_000 };
  const send = async (body: string) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await sendMessage(endpoint, parsed.output, body);
      } catch (error) {
        if (attempt >= 3 || !(error as { retryable?: boolean }).retryable) throw error;
        await new Promise((r) => setTimeout(r, 50 * 2 ** attempt * Math.random()));
      }
    }
  };
  return {
    async onChange(scopes) {
      for (let at = 0; at < scopes.length; at += SCOPES_PER_MESSAGE) {
        const body: ChangedFeedsMessage = { scopes: scopes.slice(at, at + SCOPES_PER_MESSAGE) };
        await send(JSON.stringify(body));
      }
    },
  };
}
