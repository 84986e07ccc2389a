import type { Agent as HttpAgent, IncomingHttpHeaders } from "node:http";
import type { Agent as HttpsAgent } from "node:https";
import { type Credentials, credentialsFromEnv, signRequest } from "./signer.ts";

/** An AWS service answered with an error (4xx/5xx) or could not be reached. */
export class AwsError extends Error {
  override name = "AwsError";
  constructor(
    message: string,
    /** HTTP status; 0 when no answer came (connection refused, time-out). */
    readonly status: number,
    /** The service's error code, e.g. `ConditionalCheckFailedException`, `NoSuchKey`. */
    readonly code: string,
    /** Worth retrying later: no answer, throttling, or a 5xx. */
    readonly retryable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface AwsEndpoint {
  /** e.g. `https://dynamodb.eu-west-1.amazonaws.com` or `http://127.0.0.1:8000`. */
  url: string;
  region: string;
  service: string;
  /** Per-request limit in ms (connect + answer). Default 3000. */
  timeoutMs?: number;
  /** Fixed credentials (tests); default: read from the environment at each call. */
  credentials?: Credentials;
}

export interface AwsResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

type Transport = typeof import("node:http");
const transports = new Map<string, Promise<{ module: Transport; agent: HttpAgent | HttpsAgent }>>();

/** node:http(s) with one keep-alive agent per scheme, loaded on first use. */
function transport(protocol: string) {
  let pending = transports.get(protocol);
  if (!pending) {
    pending = (protocol === "https:" ? import("node:https") : import("node:http")).then(
      (module) => ({
        module: module as Transport,
        agent: new module.Agent({ keepAlive: true, maxSockets: 64 }),
      }),
    );
    transports.set(protocol, pending);
  }
  return pending;
}

/**
 * One signed request over node:http(s) (not `fetch`: its first use costs a cold start tens of
 * ms). Rejects with AwsError status 0 when there is no answer within the time-out.
 */
export async function awsRequest(
  endpoint: AwsEndpoint,
  request: {
    method: string;
    path: string;
    query?: Record<string, string>;
    headers?: Record<string, string>;
    body?: string | Uint8Array;
  },
): Promise<AwsResponse> {
  const base = new URL(endpoint.url);
  const body = request.body ?? "";
  const headers = { ...(request.headers ?? {}) };
  const signed = signRequest(
    {
      method: request.method,
      host: base.host,
      path: request.path,
      headers,
      body,
      ...(request.query ? { query: request.query } : {}),
    },
    endpoint.credentials ?? credentialsFromEnv(),
    endpoint.region,
    endpoint.service,
  );
  const search = new URLSearchParams(request.query ?? {}).toString().replace(/\+/g, "%20");
  const { module, agent } = await transport(base.protocol);
  const timeoutMs = endpoint.timeoutMs ?? 3_000;
  return new Promise<AwsResponse>((resolve, reject) => {
    const req = module.request(
      {
        protocol: base.protocol,
        hostname: base.hostname,
        port: base.port,
        method: request.method,
        path: `${request.path}${search ? `?${search}` : ""}`,
        headers: { ...headers, ...signed, "content-length": String(Buffer.byteLength(body)) },
        agent,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          clearTimeout(deadline);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          });
        });
        res.on("error", fail);
      },
    );
    const deadline = setTimeout(
      () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    function fail(error: Error) {
      clearTimeout(deadline);
      reject(
        new AwsError(`${endpoint.service} unreachable: ${error.message}`, 0, "NetworkError", true, {
          cause: error,
        }),
      );
    }
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", fail);
    req.end(body);
  });
}

/** The endpoint of `service` in `region`, or AWS_ENDPOINT_URL_<SERVICE> / AWS_ENDPOINT_URL. */
export function endpointFor(
  service: "dynamodb" | "s3" | "scheduler" | "sqs" | "ssm",
  env: Record<string, string | undefined> = process.env,
): AwsEndpoint {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1";
  const url =
    env[`AWS_ENDPOINT_URL_${service.toUpperCase()}`] ??
    env.AWS_ENDPOINT_URL ??
    `https://${service}.${region}.amazonaws.com`;
  return { url, region, service };
}
