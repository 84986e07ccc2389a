/**
 * Feed Lambda (thin adapter): Function URL events → the HTTP app over the DynamoDB index, read
 * only (IndexReader: GetItem and Query on the table, large bodies from `compiled/` in the
 * bucket). Nothing here compiles: no Markdown, YAML or sanitizer, no AWS SDK. What the first
 * response does not need at module load (the app, the index clients) is imported on the cold
 * start's first event, so the bundle's import stays short.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from "aws-lambda";
import { ConfigError } from "../errors.ts";
import { NO_STORE, PLAIN_TEXT } from "../http/headers.ts";
import { badEvent, eventProblem } from "../lambda-event.ts";
import { jsonLogger } from "../log.ts";
import { cameThroughOrigin, originAuthOf } from "../origin.ts";
import { withSiteUrl } from "./site-url.ts";
import { bundleStackMapper } from "./source-map.ts";

type Handler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyResultV2>;

// Stacks in logs name the TypeScript sources (see source-map.ts).
const log = jsonLogger(bundleStackMapper(import.meta.url));
const originAuth = originAuthOf(process.env);
const TEXT = { ...PLAIN_TEXT, "cache-control": NO_STORE };

/**
 * The feed app wired from the environment (the function's, or a test's): the site URL (from SSM
 * when the stack names a parameter), INDEX_TABLE and CONTENT_BUCKET required, PREVIEW_DRAFTS
 * refused. Throws ConfigError for a configuration that can never serve, StoreUnavailableError
 * when SSM does not answer (retried on the next event).
 */
export async function feedFromEnv(
  source: Record<string, string | undefined>,
  now: () => number = Date.now,
): Promise<Handler> {
  const env = await withSiteUrl(source);
  const [
    { loadConfig },
    { createApp },
    { lambdaHandler },
    { MemoryServedLog },
    { DynamoDb },
    { endpointFor },
    { S3 },
    { DynamoTable },
    { IndexReader },
    { S3Blobs },
  ] = await Promise.all([
    import("../config.ts"),
    import("../http/app.ts"),
    import("../http/lambda-adapter.ts"),
    import("../http/served.ts"),
    import("../aws/dynamodb.ts"),
    import("../aws/request.ts"),
    import("../aws/s3.ts"),
    import("../index/dynamodb.ts"),
    import("../index/read.ts"),
    import("../storage/blobs.ts"),
  ]);
  const config = loadConfig(env);
  // Preview serves unpublished articles: it exists for `npm start` and never for the public site.
  if (config.previewDrafts)
    throw new ConfigError("PREVIEW_DRAFTS is for local preview only and cannot be set on Lambda");
  if (!config.indexTable) throw new ConfigError("the feed function needs INDEX_TABLE");
  if (config.store.kind !== "s3") throw new ConfigError("the feed function needs CONTENT_BUCKET");
  // Bounded below the function's 10 s timeout: a stalled call ends in the app's answer (the
  // last good representation, or 503 when cold), not in Lambda cutting the request off.
  const table = new DynamoTable({
    client: new DynamoDb({
      endpoint: { ...endpointFor("dynamodb", env), timeoutMs: 2_000 },
      maxAttempts: 2,
    }),
    tableName: config.indexTable,
    // Eventually consistent: half the read cost; the indexer's writes show within a second,
    // well inside the revalidation interval.
    consistent: false,
  });
  const blobs = new S3Blobs(
    new S3({ ...endpointFor("s3", env), timeoutMs: 3_000 }, config.store.bucket),
  );
  const app = createApp({
    config,
    index: new IndexReader(table, blobs),
    log,
    now,
    // Last-Modified counts from when this instance first served each document's bytes (a
    // Lambda cannot keep a file; see http/served.ts).
    served: new MemoryServedLog(),
    revalidateMs: config.revalidateSeconds * 1000,
  });
  return lambdaHandler(app, now) as Handler;
}

let ready: Promise<Handler> | undefined;

/** Lambda entry point for Function URL events (payload 2.0; API Gateway HTTP API events alike). */
export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> {
  if (!cameThroughOrigin(originAuth, event)) {
    log.warn("refused an event that did not come through the IAM-authenticated URL", {
      path: event?.rawPath,
    });
    return {
      statusCode: 403,
      headers: TEXT,
      body: "Forbidden: this origin answers only the site's CDN\n",
      isBase64Encoded: false,
    };
  }
  // A malformed event (a test invoke, a misrouted trigger) is the caller's fault: 400, no throw.
  const problem = eventProblem(event);
  if (problem) return badEvent(problem);
  ready ??= feedFromEnv(process.env).catch((error: unknown) => {
    ready = undefined; // a failed cold start is retried on the next event
    throw error;
  });
  let app: Handler;
  try {
    app = await ready;
  } catch (error) {
    // A thrown error would reach the client as a bare 502 from the URL; answer like the app does.
    const misconfigured = error instanceof ConfigError;
    log.error("cold start failed", {
      reason: error instanceof Error ? error.message : String(error),
    });
    return {
      statusCode: misconfigured ? 500 : 503,
      headers: misconfigured ? TEXT : { ...TEXT, "retry-after": "30" },
      body: misconfigured ? "Internal server error\n" : "Service temporarily unavailable\n",
      isBase64Encoded: false,
    };
  }
  try {
    return await app(event);
  } catch (error) {
    log.error("request failed", {
      reason: error instanceof Error ? error.message : String(error),
      stack: error instanceof Error ? error.stack : undefined,
    });
    return {
      statusCode: 500,
      headers: TEXT,
      body: "Internal server error\n",
      isBase64Encoded: false,
    };
  }
}
