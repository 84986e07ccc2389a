import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from "aws-lambda";
import { loadConfig } from "./config.ts";
import { ConfigError } from "./errors.ts";
import { lambdaHandler } from "./http/lambda-adapter.ts";
import { MemoryServedLog } from "./http/served.ts";
import { badEvent, eventProblem } from "./lambda-event.ts";
import { jsonLogger } from "./log.ts";
import { cameThroughOrigin, originAuthOf } from "./origin.ts";
import { createRuntime } from "./runtime.ts";
import { openStore } from "./storage/open.ts";

type Handler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyResultV2>;

let ready: Promise<Handler> | undefined;
const log = jsonLogger();
const originAuth = originAuthOf(process.env);

/**
 * Cold start: parse the configuration once and build the app. When the stack cannot know the
 * site URL at deploy time (CloudFront's domain would be a dependency cycle), it is read once
 * from the SSM parameter named by SITE_URL_PARAMETER.
 */
async function init(): Promise<Handler> {
  const env: Record<string, string | undefined> = { ...process.env };
  if (!env.SITE_URL && env.SITE_URL_PARAMETER)
    env.SITE_URL = await readParameter(env.SITE_URL_PARAMETER);
  // The local default (http://localhost:PORT) would put unreachable links in every feed.
  if (!env.SITE_URL)
    throw new ConfigError("SITE_URL (or SITE_URL_PARAMETER naming an SSM parameter) must be set");
  const config = loadConfig(env);
  // Preview serves unpublished articles: it exists for `npm start` and never for the public site.
  if (config.previewDrafts)
    throw new ConfigError("PREVIEW_DRAFTS is for local preview only and cannot be set on Lambda");
  // Last-Modified counts from when this instance first served each document's bytes (a
  // Lambda cannot keep a file; see http/served.ts).
  const { app } = createRuntime(config, openStore(config), log, Date.now, {
    served: new MemoryServedLog(),
  });
  return lambdaHandler(app) as unknown as Handler;
}

async function readParameter(name: string): Promise<string | undefined> {
  const { SSMClient, GetParameterCommand } = await import("@aws-sdk/client-ssm");
  // Bounded like the S3 store: a stalled SSM call must end in a 503, not the Lambda timeout.
  const client = new SSMClient({
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000 },
  });
  const result = await client.send(new GetParameterCommand({ Name: name }));
  return result.Parameter?.Value;
}

/** Lambda entry point for Function URL events (payload 2.0; API Gateway HTTP API events alike). */
export const handler: Handler = async (event, context) => {
  if (!cameThroughOrigin(originAuth, event)) {
    log.warn("refused an event that did not come through the IAM-authenticated URL", {
      path: event?.rawPath,
    });
    return {
      statusCode: 403,
      headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
      body: "Forbidden: this origin answers only the site's CDN\n",
      isBase64Encoded: false,
    };
  }
  // A malformed event (a test invoke, a misrouted trigger) is the caller's fault: 400, no throw.
  const problem = eventProblem(event);
  if (problem) return badEvent(problem);
  ready ??= init().catch((error: unknown) => {
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
      headers: {
        "content-type": "text/plain; charset=utf-8",
        "cache-control": "no-store",
        ...(misconfigured ? {} : { "retry-after": "30" }),
      },
      body: misconfigured ? "Internal server error\n" : "Service temporarily unavailable\n",
      isBase64Encoded: false,
    };
  }
  try {
    return await app(event, context);
  } catch (error) {
    log.error("request failed", { reason: error instanceof Error ? error.message : String(error) });
    return {
      statusCode: 500,
      headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
      body: "Internal server error\n",
      isBase64Encoded: false,
    };
  }
};
