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
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
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

let client: S3Client | undefined;

export const handler = async (event: { day?: unknown; time?: unknown } = {}) => {
  const bucket = required("LOG_BUCKET");
  const prefix = required("LOG_PREFIX");
  const distribution = required("DISTRIBUTION_ID");
  const namespace = required("METRIC_NAMESPACE");
  const day = dayToCount(event);
  client ??= new S3Client({
    ...(process.env.AWS_ENDPOINT_URL_S3 ? { forcePathStyle: true } : {}),
    maxAttempts: 3,
  });
  // CloudFront names each file <prefix><distribution id>.<YYYY-MM-DD-HH>.<unique id>.gz (UTC).
  const filePrefix = `${prefix}${distribution}.${day}-`;
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: filePrefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);

  const fetches: Fetch[] = [];
  for (const key of keys) {
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = await object.Body?.transformToByteArray();
    if (!bytes) continue;
    const text = (key.endsWith(".gz") ? gunzipSync(bytes) : Buffer.from(bytes)).toString("utf8");
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
