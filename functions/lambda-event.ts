import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { NO_STORE, PLAIN_TEXT } from "./http/headers.ts";

/** Why an event cannot be served, as the client is told (400). */
export type EventProblem = string;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const MAX_BODY = 64 * 1024;

function isStringRecord(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === "string")
  );
}

/**
 * Checks an invocation payload against the API Gateway HTTP API / Function URL 2.0 shape the
 * app can serve. Returns undefined for a servable event, else the problem: a payload that is not
 * an object, misses the method or path, has non-string headers or cookies, a body that is not
 * valid base64 although flagged so, or a body on a GET or HEAD (which no Request can carry).
 */
export function eventProblem(event: unknown): EventProblem | undefined {
  if (typeof event !== "object" || event === null || Array.isArray(event))
    return "not an HTTP event";
  const e = event as Partial<Record<keyof APIGatewayProxyEventV2, unknown>>;
  const http = (e.requestContext as { http?: { method?: unknown } } | undefined)?.http;
  if (typeof http?.method !== "string" || !/^[A-Z]{1,16}$/.test(http.method))
    return "requestContext.http.method missing or malformed";
  if (typeof e.rawPath !== "string" || !e.rawPath.startsWith("/"))
    return "rawPath missing or not an absolute path";
  if (e.rawQueryString !== undefined && typeof e.rawQueryString !== "string")
    return "rawQueryString is not a string";
  if (e.headers !== undefined && e.headers !== null && !isStringRecord(e.headers))
    return "headers are not strings";
  if (
    e.cookies !== undefined &&
    e.cookies !== null &&
    !(Array.isArray(e.cookies) && e.cookies.every((c) => typeof c === "string"))
  )
    return "cookies are not strings";
  if (e.isBase64Encoded !== undefined && typeof e.isBase64Encoded !== "boolean")
    return "isBase64Encoded is not a boolean";
  if (e.body !== undefined && e.body !== null) {
    if (typeof e.body !== "string") return "body is not a string";
    if (e.body.length > MAX_BODY) return "body too large";
    if (e.isBase64Encoded === true && !BASE64.test(e.body)) return "body is not valid base64";
    if (e.body !== "" && (http.method === "GET" || http.method === "HEAD"))
      return `a ${http.method} request cannot have a body`;
  }
  return undefined;
}

/** The answer for an event that cannot be served: 400, never cached, the problem as text. */
export function badEvent(problem: EventProblem): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: 400,
    headers: { ...PLAIN_TEXT, "cache-control": NO_STORE },
    body: `Bad request: ${problem}\n`,
    isBase64Encoded: false,
  };
}
