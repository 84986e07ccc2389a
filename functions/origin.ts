/**
 * Which events the Lambda adapter serves. On AWS the feed function's URL is IAM-authenticated and
 * only CloudFront (origin access control) may sign for it; Lambda then puts the caller in
 * `requestContext.authorizer.iam`. With ORIGIN_AUTH=iam the adapter refuses any event without
 * that: a URL switched to auth type NONE, an API Gateway route or any other path that skips the
 * IAM check gets 403 instead of the site. (A direct Invoke by someone allowed to invoke the
 * function could forge the field; such callers can change the function anyway.)
 */
import * as v from "valibot";
import { ConfigError } from "./errors.ts";

export type OriginAuth = "iam" | "any";

const Schema = v.optional(
  v.picklist(["iam", "any"], "ORIGIN_AUTH must be iam (Function URL with IAM auth only) or any"),
  "any",
);

/** ORIGIN_AUTH → the policy (default "any": the local server and tests send plain events). */
export function originAuthOf(env: Record<string, string | undefined>): OriginAuth {
  const result = v.safeParse(Schema, env.ORIGIN_AUTH || undefined);
  if (!result.success) throw new ConfigError(result.issues[0]?.message ?? "ORIGIN_AUTH");
  return result.output;
}

/** True when `event` may be served under `auth`. */
export function cameThroughOrigin(auth: OriginAuth, event: unknown): boolean {
  if (auth === "any") return true;
  const context = (event as { requestContext?: { authorizer?: { iam?: unknown } } } | null)
    ?.requestContext;
  const iam = context?.authorizer?.iam;
  return typeof iam === "object" && iam !== null;
}
