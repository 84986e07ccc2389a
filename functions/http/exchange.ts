import { getPath } from "hono/utils/url";
import type { Representation } from "./representation.ts";

/**
 * What the app reads of a request. Not a Fetch API `Request`: the Lambda adapter builds one
 * straight from the event, so a cold start never loads Node's fetch implementation (undici,
 * ~25 ms of the first response here); the local server and tests convert theirs (requestFrom).
 */
export interface HttpRequest {
  method: string;
  url: URL;
  /**
   * The path as routed: percent-decoded the way hono decodes it (reserved characters such as
   * `%2F` stay encoded), so a route sees the same path on every adapter.
   */
  path: string;
  /** A header by lower-case name. */
  header(name: string): string | undefined;
}

/** What the app answers: status, headers and the body's bytes or text. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  /** A Buffer when the bytes are a cached representation's (adapters reuse them as they are). */
  body: Buffer | string | null;
  /** The representation a 200, HEAD or 304 was answered from (the Lambda adapter keeps those). */
  rep?: Representation;
}

/** A request for `url`, its headers read through `header`. */
export function httpRequest(
  method: string,
  url: URL,
  header: (name: string) => string | undefined,
): HttpRequest {
  return { method, url, path: getPath({ url: url.href } as Request), header };
}

/** A Fetch API request as the app reads it. */
export function requestFrom(request: Request): HttpRequest {
  return httpRequest(
    request.method,
    new URL(request.url),
    (name) => request.headers.get(name) ?? undefined,
  );
}

/** An answer as a Fetch API response. */
export function responseOf({ status, headers, body }: Answer): Response {
  const payload = typeof body === "string" || body === null ? body : new Uint8Array(body);
  return new Response(payload, { status, headers });
}

/** One GET/HEAD resource of the app: a hono path pattern and what answers it. */
export interface Route {
  path: string;
  serve(request: HttpRequest, params: Record<string, string>): Promise<Answer>;
}
