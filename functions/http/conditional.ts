/**
 * RFC 9110 conditional GET: true when the client's copy is current. If-None-Match wins over
 * If-Modified-Since; weak comparison; `*` matches; unparsable validators are ignored.
 */
export function isNotModified(
  headers: { ifNoneMatch?: string | undefined; ifModifiedSince?: string | undefined },
  etag: string,
  lastModified: Date,
): boolean {
  const inm = headers.ifNoneMatch?.trim();
  if (inm) {
    if (inm === "*") return true;
    const current = opaque(etag);
    return inm.split(",").some((candidate) => {
      const tag = opaque(candidate.trim());
      // A representation's encoded variants (`"x-gzip"`) carry the same content as `"x"`.
      return tag !== "" && (tag === current || tag.replace(/-(?:gzip|br)$/, "") === current);
    });
  }
  const ims = headers.ifModifiedSince?.trim();
  if (!ims || ims.length > 64) return false;
  const since = Date.parse(ims);
  if (Number.isNaN(since)) return false;
  // Compared at the one-second precision of HTTP dates; "not modified since" includes equal.
  return Math.floor(lastModified.getTime() / 1000) <= Math.floor(since / 1000);
}

/** `W/"abc"` → `abc`; anything not an entity tag → "". */
function opaque(tag: string): string {
  const m = /^(?:W\/)?"([^"]*)"$/.exec(tag);
  return m?.[1] ?? "";
}
