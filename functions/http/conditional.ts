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
  const since = parseHttpDate(headers.ifModifiedSince);
  if (since === undefined) return false;
  // Compared at the one-second precision of HTTP dates; "not modified since" includes equal.
  return Math.floor(lastModified.getTime() / 1000) <= Math.floor(since / 1000);
}

/** `W/"abc"` → `abc`; anything not an entity tag → "". */
function opaque(tag: string): string {
  const m = /^(?:W\/)?"([^"]*)"$/.exec(tag);
  return m?.[1] ?? "";
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
const LONG_DAY = "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)";
const TIME = "(?<h>\\d{2}):(?<min>\\d{2}):(?<s>\\d{2})";
/** The three forms, each with named groups day, month, year, h, min, s. */
const HTTP_DATES = [
  new RegExp(`^${DAY}, (?<day>\\d{2}) (?<month>[A-Z][a-z]{2}) (?<year>\\d{4}) ${TIME} GMT$`),
  new RegExp(`^${LONG_DAY}, (?<day>\\d{2})-(?<month>[A-Z][a-z]{2})-(?<year>\\d{2}) ${TIME} GMT$`),
  new RegExp(`^${DAY} (?<month>[A-Z][a-z]{2}) (?<day>[ \\d]\\d) ${TIME} (?<year>\\d{4})$`),
];

/**
 * An HTTP-date (IMF-fixdate, or the obsolete RFC 850 and asctime forms every recipient must
 * accept) in ms since the epoch; undefined for anything else. `Date.parse` is not used: it
 * reads junk such as `0` or `99999` as a date, which would turn a garbage header into a 304.
 */
export function parseHttpDate(value: string | undefined): number | undefined {
  const text = value?.trim();
  if (!text || text.length > 40) return undefined;
  for (const form of HTTP_DATES) {
    const g = form.exec(text)?.groups;
    if (!g) continue;
    const month = MONTHS.indexOf(g.month ?? "");
    const day = Number(g.day);
    let year = Number(g.year);
    // RFC 850's two-digit years: 70–99 are 19xx, the rest 20xx.
    if (g.year?.length === 2) year += year >= 70 ? 1900 : 2000;
    const [h, min, s] = [Number(g.h), Number(g.min), Number(g.s)];
    if (month < 0 || h > 23 || min > 59 || s > 60) return undefined;
    const time = Date.UTC(year, month, day, h, min, Math.min(s, 59));
    // Calendar overflow such as 31 Feb is not a date.
    return new Date(time).getUTCDate() === day ? time : undefined;
  }
  return undefined;
}
