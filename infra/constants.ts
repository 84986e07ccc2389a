/**
 * Names and figures the stack and its constructs share. This module imports nothing, so infra/
 * never pulls runtime code from functions/ into the CDK app (or the other way round).
 */

/** Key prefix of the articles in the bucket (CONTENT_PREFIX): S3 events fire for it alone. */
export const CONTENT_PREFIX = "articles/";
/**
 * Key prefix of compiled article bodies too large for an index item
 * (`compiled/<sha256>.html`, content-addressed): written by the indexer, read by the feed function.
 */
export const COMPILED_PREFIX = "compiled/";
/** Where CloudFront's standard logs go in the log bucket (read by the subscriber count). */
export const CLOUDFRONT_LOG_PREFIX = "cloudfront/";
/** Seconds between the feed function's cheap checks of the index for changes. */
export const REVALIDATE_SECONDS = 60;
/**
 * How long a WebSub ping waits after the indexer's write: past the feed function's revalidation
 * (every warm instance has then seen the change), with a margin for the check itself.
 */
export const WEBSUB_DELAY_SECONDS = REVALIDATE_SECONDS + 30;
