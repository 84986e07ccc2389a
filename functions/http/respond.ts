import { isNotModified } from "./conditional.ts";
import { negotiateEncoding } from "./encoding.ts";
import type { Answer, HttpRequest } from "./exchange.ts";
import { errorCacheControl, PLAIN_TEXT } from "./headers.ts";
import { type Representation, variant, variantEtag } from "./representation.ts";

/**
 * Answers a GET/HEAD for a representation: picks the encoding, answers 304 when the client's
 * validators match, else 200 with the (cached) bytes.
 */
export async function respond(request: HttpRequest, rep: Representation): Promise<Answer> {
  const encoding = negotiateEncoding(request.header("accept-encoding"));
  const headers: Record<string, string> = {
    "cache-control": rep.cacheControl,
    etag: variantEtag(rep, encoding),
    "last-modified": rep.lastModified.toUTCString(),
    vary: "Accept-Encoding",
    ...rep.headers,
  };
  const notModified = isNotModified(
    {
      ifNoneMatch: request.header("if-none-match"),
      ifModifiedSince: request.header("if-modified-since"),
    },
    rep.etag,
    rep.lastModified,
  );
  if (notModified) return { status: 304, headers, body: null, rep };
  const { body } = await variant(rep, encoding);
  headers["content-type"] = rep.contentType;
  headers["content-length"] = String(body.byteLength);
  headers["x-content-type-options"] = "nosniff";
  if (encoding !== "identity") headers["content-encoding"] = encoding;
  return { status: 200, headers, body: request.method === "HEAD" ? null : body, rep };
}

/** A short plain-text answer for errors (never a stack trace). */
export function plain(status: number, message: string, extra: Record<string, string> = {}): Answer {
  return {
    status,
    headers: { ...PLAIN_TEXT, "cache-control": errorCacheControl(status), ...extra },
    body: `${message}\n`,
  };
}
