/**
 * Lambda: the daily subscriber count. Reads the previous UTC day's CloudFront standard log files
 * from the log bucket, builds the per-feed report and writes it as CloudWatch embedded metric
 * format lines (CloudWatch Logs turns them into metrics: no CloudWatch API call, no SDK for it).
 *
 * Environment: LOG_BUCKET, LOG_PREFIX (e.g. `cloudfront/`), DISTRIBUTION_ID, METRIC_NAMESPACE.
 * Event: an EventBridge scheduled event (its `time` picks the day before), or `{ "day": "YYYY-MM-DD" }`
 * to count one day again.
 */
import { gunzipSync } from "node:zlib";
import { endpointFor } from "../aws/request.ts";
import { S3 } from "../aws/s3.ts";
import { type Fetch, parseCloudFrontLog } from "./fetches.ts";
import { emfLines, subscriberReport } from "./report.ts";

const DAY_MS = 86_400_000;

/** The UTC day to count: `event.day`, else the day before the event's (or the clock's) time. */
export function dayToCount(event: { day?: unknown; time?: unknown }, now = Date.now()): string {
  if (typeof event.day === "string" && /^\d{4}-\d{2}-\d{2}$/.test(event.day)) return event.day;
  const time = typeof event.time === "string" ? Date.parse(event.time) : Number.NaN;
  return new Date((Number.isNaN(time) ? now : time) - DAY_MS).toISOString().slice(0, 10);
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set`);
  return value;
}

export const handler = async (event: { day?: unknown; time?: unknown } = {}) => {
  const bucket = required("LOG_BUCKET");
  const prefix = required("LOG_PREFIX");
  const distribution = required("DISTRIBUTION_ID");
  const namespace = required("METRIC_NAMESPACE");
  const day = dayToCount(event);
  // An hour's log file of a busy distribution is megabytes: a generous per-request limit.
  const s3 = new S3({ ...endpointFor("s3"), timeoutMs: 30_000 }, bucket);
  // CloudFront names each file <prefix><distribution id>.<YYYY-MM-DD-HH>.<unique id>.gz (UTC).
  const keys = (await s3.list(`${prefix}${distribution}.${day}-`)).map((o) => o.key);

  const fetches: Fetch[] = [];
  for (const key of keys) {
    const object = await s3.get(key);
    if (object.status !== "ok") continue; // deleted since the listing
    const bytes = object.body;
    const text = (key.endsWith(".gz") ? gunzipSync(bytes) : bytes).toString("utf8");
    // A file may end just after midnight's hour with lines of the next day: keep this day's only.
    for (const fetch of parseCloudFrontLog(text))
      if (fetch.time.toISOString().startsWith(day)) fetches.push(fetch);
  }
  const rows = subscriberReport(fetches);
  // Straight to stdout: console.log would prefix each line (or wrap it in JSON), and CloudWatch
  // only reads a log event that is the EMF object itself.
  for (const line of emfLines(rows, namespace)) process.stdout.write(`${line}\n`);
  const summary = { day, files: keys.length, fetches: fetches.length, feeds: rows.length };
  process.stdout.write(`${JSON.stringify({ message: "subscriber count done", ...summary })}\n`);
  return summary;
};
