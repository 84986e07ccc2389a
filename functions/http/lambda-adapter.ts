import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { App } from "./app.ts";
import { type Answer, httpRequest } from "./exchange.ts";
import type { Representation } from "./representation.ts";

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

/**
 * An API Gateway HTTP API / Function URL event (payload 2.0) as the app's request, built
 * without Fetch API objects (see http/exchange.ts). Header names arrive in lower case.
 */
export function requestOf(event: APIGatewayProxyEventV2) {
  const headers = event.headers ?? {};
  const host = headers.host ?? event.requestContext.domainName;
  const query = event.rawQueryString ? `?${event.rawQueryString}` : "";
  return httpRequest(
    event.requestContext.http.method,
    new URL(`https://${host}${event.rawPath}${query}`),
    (name) => headers[name],
  );
}

type Result = APIGatewayProxyStructuredResultV2;

function resultOf({ status, headers, body }: Answer): Result {
  const base64 = isBinary(headers["content-type"], headers["content-encoding"]);
  let text = "";
  if (Buffer.isBuffer(body)) text = encoded(body, base64);
  else if (body !== null) text = base64 ? Buffer.from(body).toString("base64") : body;
  return { statusCode: status, headers, body: text, isBase64Encoded: base64 };
}

/** Final answers kept per request, while their representation stays fresh. */
const KEPT_RESULTS = 512;

/**
 * What decides the answer to a GET/HEAD for a cached representation: method, host, path and
 * query, Accept-Encoding, Sec-Fetch-Dest (browsers get the styled feed) and the validators.
 * Anything else (a body, cookies) is not kept.
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
 * The app as a payload-2.0 Lambda handler. Unlike hono/aws-lambda's handle(), no Request or
 * Response is built (a cold start never loads undici) and a cached representation's bytes are
 * not read back and re-encoded on every request: their string or base64 form is kept beside
 * them. And while the app says its representation is fresh (`rep.freshUntil`), the final
 * result for the same request is answered as it is: a warm hit is one lookup.
 */
export function lambdaHandler(app: Pick<App, "answer">, now: () => number = Date.now) {
  const kept = new Map<string, { rep: Representation; result: Result }>();
  return async (event: APIGatewayProxyEventV2): Promise<Result> => {
    const key = keyOf(event);
    if (key !== undefined) {
      const hit = kept.get(key);
      if (hit && (hit.rep.freshUntil ?? 0) > now()) return hit.result;
      if (hit) kept.delete(key);
    }
    const answer = await app.answer(requestOf(event));
    const result = resultOf(answer);
    const { rep } = answer;
    if (key !== undefined && rep && (rep.freshUntil ?? 0) > now()) {
      // Oldest first out: the map iterates in insertion order.
      if (kept.size >= KEPT_RESULTS) kept.delete(kept.keys().next().value as string);
      kept.set(key, { rep, result });
    }
    return result;
  };
}
