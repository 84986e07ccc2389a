import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { Hono } from "hono";
import type { Representation } from "./representation.ts";
import { knownBody, representationOf } from "./respond.ts";

/**
 * Binary unless text (the same rule as hono/aws-lambda's default, so results are unchanged):
 * Lambda wants binary and compressed bodies base64-encoded.
 */
function isBinary(contentType: string | undefined, contentEncoding: string | undefined): boolean {
  if (contentEncoding && !/^identity$/i.test(contentEncoding)) return true;
  if (!contentType) return false;
  if (/^application\/vnd\.(?:apple\.installer|mozilla\.xul)\+xml\s*(?:;|$)/i.test(contentType))
    return true;
  return !/^text\/(?:plain|html|css|javascript|csv)|(?:\/|\+)(?:json|xml)\s*(?:;|$)/i.test(
    contentType,
  );
}

/** Encoded forms of cached bodies: a warm hit reuses the string instead of re-encoding bytes. */
const encodings = new WeakMap<Buffer, { text?: string; base64?: string }>();

function encoded(body: Buffer, base64: boolean): string {
  let forms = encodings.get(body);
  if (!forms) {
    forms = {};
    encodings.set(body, forms);
  }
  if (base64) {
    forms.base64 ??= body.toString("base64");
    return forms.base64;
  }
  forms.text ??= body.toString("utf8");
  return forms.text;
}

/** An API Gateway HTTP API / Function URL event (payload 2.0) as a fetch Request. */
export function requestOf(event: APIGatewayProxyEventV2): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(event.headers ?? {}))
    if (typeof value === "string") headers.set(name, value);
  if (event.cookies?.length) headers.set("cookie", event.cookies.join("; "));
  const host = headers.get("host") ?? event.requestContext.domainName;
  const query = event.rawQueryString ? `?${event.rawQueryString}` : "";
  const method = event.requestContext.http.method;
  const init: RequestInit = { method, headers };
  if (method !== "GET" && method !== "HEAD" && event.body)
    init.body = event.isBase64Encoded ? Buffer.from(event.body, "base64") : event.body;
  return new Request(`https://${host}${event.rawPath}${query}`, init);
}

type Result = APIGatewayProxyStructuredResultV2;

/** Final answers kept per request, while their representation stays fresh. */
const KEPT_RESULTS = 512;

/**
 * What decides the answer to a GET/HEAD for a cached representation: method, host, path and
 * query, Accept-Encoding, Sec-Fetch-Dest (browsers get the styled feed) and the validators.
 * Anything else (a body, cookies) is not kept. Header names arrive in lower case.
 */
function keyOf(event: APIGatewayProxyEventV2): string | undefined {
  const method = event.requestContext.http.method;
  if ((method !== "GET" && method !== "HEAD") || event.body || event.cookies?.length)
    return undefined;
  const h = event.headers ?? {};
  return [
    method,
    h.host ?? "",
    event.rawPath,
    event.rawQueryString ?? "",
    h["accept-encoding"] ?? "",
    h["sec-fetch-dest"] ?? "",
    h["if-none-match"] ?? "",
    h["if-modified-since"] ?? "",
  ].join("\n");
}

/**
 * The app as a payload-2.0 Lambda handler. Unlike hono/aws-lambda's handle(), a response built
 * from a cached representation is not read back and re-encoded on every request: its bytes are
 * known (respond.ts) and their string or base64 form is kept beside them. And while the app
 * says its representation is fresh (`rep.freshUntil`), the final result for the same request is
 * answered as it is: a warm hit is one lookup.
 */
export function lambdaHandler(app: Hono, now: () => number = Date.now) {
  const kept = new Map<string, { rep: Representation; result: Result }>();
  return async (event: APIGatewayProxyEventV2): Promise<Result> => {
    const key = keyOf(event);
    if (key !== undefined) {
      const hit = kept.get(key);
      if (hit && (hit.rep.freshUntil ?? 0) > now()) return hit.result;
      if (hit) kept.delete(key);
    }
    const response = await app.fetch(requestOf(event));
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      if (name !== "set-cookie") headers[name] = value;
    });
    const cookies = response.headers.getSetCookie();
    const base64 = isBinary(headers["content-type"], headers["content-encoding"]);
    const known = knownBody(response);
    let body: string;
    if (known) body = encoded(known, base64);
    else if (base64) body = Buffer.from(await response.arrayBuffer()).toString("base64");
    else body = await response.text();
    const result: Result = {
      statusCode: response.status,
      headers,
      ...(cookies.length ? { cookies } : {}),
      body,
      isBase64Encoded: base64,
    };
    const rep = representationOf(response);
    if (key !== undefined && rep && !cookies.length && (rep.freshUntil ?? 0) > now()) {
      // Oldest first out: the map iterates in insertion order.
      if (kept.size >= KEPT_RESULTS) kept.delete(kept.keys().next().value as string);
      kept.set(key, { rep, result });
    }
    return result;
  };
}
