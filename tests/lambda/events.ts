/**
 * API Gateway HTTP API (payload format 2.0) events as the service sends them to the function:
 * lower-case headers, the raw path and query exactly as requested, no body and no cookies for
 * a feed reader's GET.
 */
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";

export interface EventOptions {
  method?: string;
  /** Path as the client sent it (`rawPath`), percent-encoding intact. */
  path?: string;
  /** Query without `?` (`rawQueryString`), percent-encoding intact. */
  query?: string;
  headers?: Record<string, string>;
  cookies?: string[];
}

const DOMAIN = "abc123.execute-api.eu-west-1.amazonaws.com";

/** An event for `METHOD path?query` with the headers a real request through API Gateway has. */
export function httpEvent({
  method = "GET",
  path = "/",
  query = "",
  headers = {},
  cookies,
}: EventOptions = {}): APIGatewayProxyEventV2 {
  const lowered = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const queryStringParameters = query
    ? Object.fromEntries(
        [...new URLSearchParams(query)].reduce(
          (m, [k, v]) => m.set(k, m.has(k) ? `${m.get(k)},${v}` : v),
          new Map<string, string>(),
        ),
      )
    : undefined;
  return {
    version: "2.0",
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: query,
    ...(cookies ? { cookies } : {}),
    headers: {
      accept: "*/*",
      "content-length": "0",
      host: DOMAIN,
      "user-agent": "FeedReader/1.0",
      "x-amzn-trace-id": "Root=1-6745a1b2-0123456789abcdef01234567",
      "x-forwarded-for": "203.0.113.7",
      "x-forwarded-port": "443",
      "x-forwarded-proto": "https",
      ...lowered,
    },
    ...(queryStringParameters ? { queryStringParameters } : {}),
    requestContext: {
      accountId: "123456789012",
      apiId: "abc123",
      domainName: DOMAIN,
      domainPrefix: "abc123",
      http: {
        method,
        path,
        protocol: "HTTP/1.1",
        sourceIp: "203.0.113.7",
        userAgent: "FeedReader/1.0",
      },
      requestId: "KXf1Mj0dIAMEb5Q=",
      routeKey: `${method} ${path}`,
      stage: "$default",
      time: "30/Nov/2026:01:00:00 +0000",
      timeEpoch: 1796000000000,
    },
    isBase64Encoded: false,
  };
}

/** The context object Lambda passes; the app does not use it. */
export function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: "dateline-feed",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:dateline-feed",
    memoryLimitInMB: "512",
    awsRequestId: "c6af9ac6-7b61-11e6-9a41-93e812345678",
    logGroupName: "/aws/lambda/dateline-feed",
    logStreamName: "2026/11/30/[$LATEST]abcdef",
    getRemainingTimeInMillis: () => 10_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
