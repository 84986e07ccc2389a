/** One request for a document, as a log records it: what the subscriber report is built from. */
export interface Fetch {
  time: Date;
  /** The path without query string, e.g. `/feed.xml`. */
  path: string;
  status: number;
  ip: string;
  userAgent: string;
}

/** True for the paths Dateline serves feeds at: the site's, each tag's and each author's. */
export function isFeedPath(path: string): boolean {
  return /^(?:\/(?:tags|authors)\/[^/]+)?\/(?:feed\.xml|atom\.xml|feed\.json)$/.test(path);
}

/**
 * CloudFront standard (legacy) access log text: `#Version` and `#Fields` header lines, then one
 * tab-separated line per request (fields as the `#Fields` line names them; `-` for none; the
 * User-Agent URL-encoded). Malformed lines are skipped.
 */
export function parseCloudFrontLog(text: string): Fetch[] {
  let fields: string[] = [];
  const out: Fetch[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("#Fields:")) {
      fields = line.slice("#Fields:".length).trim().split(/\s+/);
      continue;
    }
    if (line === "" || line.startsWith("#") || fields.length === 0) continue;
    const values = line.replace(/\r$/, "").split("\t");
    const get = (name: string) => {
      const value = values[fields.indexOf(name)];
      return value === undefined || value === "-" ? "" : value;
    };
    const time = new Date(`${get("date")}T${get("time")}Z`);
    const status = Number(get("sc-status"));
    if (Number.isNaN(time.getTime()) || !Number.isInteger(status)) continue;
    out.push({
      time,
      path: decode(get("cs-uri-stem")),
      status,
      ip: get("c-ip"),
      userAgent: decode(get("cs(User-Agent)")),
    });
  }
  return out;
}

/** The local server's request log: JSON lines with `"message":"request"` (other lines skipped). */
export function parseRequestLog(text: string): Fetch[] {
  const out: Fetch[] = [];
  for (const line of text.split("\n")) {
    if (!line.includes('"request"')) continue;
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (entry.message !== "request") continue;
    const time = new Date(String(entry.time));
    if (Number.isNaN(time.getTime()) || typeof entry.path !== "string") continue;
    out.push({
      time,
      path: entry.path,
      status: Number(entry.status),
      ip: String(entry.ip ?? ""),
      userAgent: String(entry.userAgent ?? ""),
    });
  }
  return out;
}

/** CloudFront URL-encodes some characters (and encodes `%` itself again in a few fields). */
function decode(value: string): string {
  let text = value;
  for (let i = 0; i < 2 && /%[0-9a-f]{2}/i.test(text); i++) {
    try {
      text = decodeURIComponent(text);
    } catch {
      break;
    }
  }
  return text;
}
