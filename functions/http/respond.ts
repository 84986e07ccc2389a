import { isNotModified } from "./conditional.ts";
import { negotiateEncoding } from "./encoding.ts";
import { type Representation, variant, variantEtag } from "./representation.ts";

/** Bodies of responses built from cached representations, by response (see knownBody). */
const bodies = new WeakMap<Response, Buffer>();
/** The representation each response respond() built answers for (see representationOf). */
const sources = new WeakMap<Response, Representation>();

/** The cached bytes a response was built from, when respond() built it: adapters need not read it. */
export function knownBody(response: Response): Buffer | undefined {
  return bodies.get(response);
}

/** The representation a response was built from by respond() (200, HEAD or 304), if any. */
export function representationOf(response: Response): Representation | undefined {
  return sources.get(response);
}

/**
 * Answers a GET/HEAD for a representation: picks the encoding, answers 304 when the client's
 * validators match, else 200 with the (cached) bytes.
 */
export async function respond(request: Request, rep: Representation): Promise<Response> {
  const encoding = negotiateEncoding(request.headers.get("accept-encoding") ?? undefined);
  const etag = variantEtag(rep, encoding);
  const headers = new Headers({
    "cache-control": rep.cacheControl,
    etag,
    "last-modified": rep.lastModified.toUTCString(),
    vary: "Accept-Encoding",
    ...rep.headers,
  });
  const notModified = isNotModified(
    {
      ifNoneMatch: request.headers.get("if-none-match") ?? undefined,
      ifModifiedSince: request.headers.get("if-modified-since") ?? undefined,
    },
    rep.etag,
    rep.lastModified,
  );
  if (notModified) return from(rep, new Response(null, { status: 304, headers }));
  const { body } = await variant(rep, encoding);
  headers.set("content-type", rep.contentType);
  headers.set("content-length", String(body.byteLength));
  headers.set("x-content-type-options", "nosniff");
  if (encoding !== "identity") headers.set("content-encoding", encoding);
  if (request.method === "HEAD") return from(rep, new Response(null, { status: 200, headers }));
  const response = new Response(new Uint8Array(body), { status: 200, headers });
  bodies.set(response, body);
  return from(rep, response);
}

function from(rep: Representation, response: Response): Response {
  sources.set(response, rep);
  return response;
}

/** A short plain-text answer for errors (never a stack trace). */
export function plain(
  status: number,
  message: string,
  extra: Record<string, string> = {},
): Response {
  return new Response(`${message}\n`, {
    status,
    headers: {
      "content-type": "text/plain; charset=utf-8",
      "cache-control": status === 404 ? "public, max-age=60" : "no-store",
      "x-content-type-options": "nosniff",
      ...extra,
    },
  });
}
