/**
 * The message the indexer puts on the WebSub queue after a write that changed articles (the
 * scopes and article pages it touched), and the SQS adapter that sends it. The queue itself
 * holds each message past the feed function's revalidation (its delivery delay is set in
 * infra/constructs/websub.ts).
 */
import * as v from "valibot";
import { endpointFor } from "../aws/request.ts";
import { sendMessage } from "../aws/sqs.ts";
import { ConfigError } from "../errors.ts";
import type { Change } from "./paths.ts";

/**
 * Scope paths: "" (the site) or `/tags/<slug>` / `/authors/<slug>`, as scopePathOf gives (the
 * slug URL-encoded): never a `*`, which would make an invalidation path a wildcard.
 */
const ScopePath = v.pipe(v.string(), v.regex(/^(|\/(tags|authors)\/[A-Za-z0-9%-]+)$/));
/** Article slugs as slugify makes them: letters, digits and single hyphens (never `*` or `/`). */
const Slug = v.pipe(v.string(), v.maxLength(200), v.regex(/^[\p{L}\p{N}]+(-[\p{L}\p{N}]+)*$/u));

/**
 * Scopes and pages per message, so that a message stays small. A batch (up to 10 messages) may
 * still name more paths than one invalidation holds: the publisher then widens the largest group
 * into a wildcard (functions/websub/paths.ts).
 */
export const SCOPES_PER_MESSAGE = 100;
export const PAGES_PER_MESSAGE = 100;

/**
 * The body of one WebSub queue message: the scope paths and the article slugs a change touched.
 * `pages` is optional: messages sent before it existed name scopes only.
 */
export const ChangeMessage = v.pipe(
  v.object({
    scopes: v.pipe(v.array(ScopePath), v.maxLength(SCOPES_PER_MESSAGE)),
    pages: v.optional(v.pipe(v.array(Slug), v.maxLength(PAGES_PER_MESSAGE))),
  }),
  v.check((m) => m.scopes.length + (m.pages?.length ?? 0) > 0, "names no scope and no page"),
);
export type ChangeMessage = v.InferOutput<typeof ChangeMessage>;

/** A message body → the change it names; throws with the reasons when it is not one of ours. */
export function parseChange(body: string): Change {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new TypeError("not JSON");
  }
  const result = v.safeParse(ChangeMessage, json);
  if (!result.success) {
    throw new TypeError(
      result.issues
        .map((i) => `${i.path?.map((p) => String(p.key)).join(".") || "body"}: ${i.message}`)
        .join("; "),
    );
  }
  return { scopes: result.output.scopes, pages: result.output.pages ?? [] };
}

/** A change → its message bodies, each within SCOPES_PER_MESSAGE and PAGES_PER_MESSAGE. */
export function messagesOf(change: Change): ChangeMessage[] {
  const count = Math.max(
    Math.ceil(change.scopes.length / SCOPES_PER_MESSAGE),
    Math.ceil(change.pages.length / PAGES_PER_MESSAGE),
  );
  return Array.from({ length: count }, (_, i) => ({
    scopes: change.scopes.slice(i * SCOPES_PER_MESSAGE, (i + 1) * SCOPES_PER_MESSAGE),
    pages: change.pages.slice(i * PAGES_PER_MESSAGE, (i + 1) * PAGES_PER_MESSAGE),
  }));
}

const QueueUrl = v.pipe(
  v.string(),
  v.url(
    "WEBSUB_QUEUE_URL must be an SQS queue URL such as https://sqs.<region>.amazonaws.com/<account>/<name>",
  ),
);

/**
 * `{ onChange }` sending a change to the queue named by WEBSUB_QUEUE_URL, or `{}` when it is not
 * set (the local server and tests: no CDN to invalidate). The queue is in the function's region: the request goes to
 * the regional endpoint (or AWS_ENDPOINT_URL_SQS in tests), signed with the function's credentials.
 */
export function sqsAnnouncer(env: Record<string, string | undefined>): {
  onChange?: (change: Change) => Promise<void>;
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
    async onChange(change) {
      for (const body of messagesOf(change)) await send(JSON.stringify(body));
    },
  };
}
