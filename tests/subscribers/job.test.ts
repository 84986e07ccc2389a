/**
 * The daily subscriber job (functions/subscribers/handler.ts) against a real S3-compatible
 * server: gzipped CloudFront log files with known fetches in, the EMF lines it writes out.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type S3rver, startS3rver } from "../support/s3rver.ts";
import {
  cloudFrontLog,
  DAY,
  EXPECTED_DAY,
  EXPECTED_METRICS,
  gz,
  LOG_FILES,
  UA,
} from "./fixtures.ts";

const DISTRIBUTION = "EDFDVBD6EXAMPLE";
let s3: S3rver;
const saved = { ...process.env };

beforeAll(async () => {
  s3 = await startS3rver({ bucket: "dateline-logs" });
  for (const [hour, fetches] of Object.entries(LOG_FILES)) {
    await s3.put(`cloudfront/${DISTRIBUTION}.${hour}.a1b2c3d4.gz`, gz(cloudFrontLog(fetches)));
  }
  // Another day, another distribution, another prefix: none of them is read.
  const other = gz(
    cloudFrontLog([{ at: "2026-05-30T10:00:00Z", path: "/feed.xml", ua: UA.feedly }]),
  );
  await s3.put(`cloudfront/${DISTRIBUTION}.2026-05-30-10.e5f6a7b8.gz`, other);
  await s3.put(`cloudfront/E2OTHERDISTRIB.${DAY}-10.e5f6a7b8.gz`, other);
  await s3.put(`s3/articles/2026-05-31-10-00-00-ABCDEF`, "not a CloudFront log");
  Object.assign(process.env, s3.env, {
    LOG_BUCKET: s3.bucket,
    LOG_PREFIX: "cloudfront/",
    DISTRIBUTION_ID: DISTRIBUTION,
    METRIC_NAMESPACE: "Dateline/Test",
  });
});
afterAll(async () => {
  process.env = saved;
  await s3?.dispose();
});

/** Runs the handler and returns what it wrote to stdout, one parsed JSON object per line. */
async function run(event: Record<string, unknown>) {
  const written: string[] = [];
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    written.push(String(chunk));
    return true;
  });
  try {
    const { handler } = await import("../../functions/subscribers/handler.ts");
    const result = await handler(event);
    return {
      result,
      lines: written
        .join("")
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    };
  } finally {
    spy.mockRestore();
  }
}

describe("the subscriber job", () => {
  it("counts the day before a scheduled event's time and writes EMF metrics for it", async () => {
    const { result, lines } = await run({
      "detail-type": "Scheduled Event",
      source: "aws.events",
      time: "2026-06-01T02:30:00Z",
      detail: {},
    });
    expect(result).toEqual({ day: DAY, files: 3, fetches: 17, feeds: 3 });
    const metrics = lines.filter((l) => "_aws" in l).map(({ _aws, ...rest }) => rest);
    expect(metrics).toEqual(EXPECTED_METRICS);
    const first = lines.find((l) => "_aws" in l) as { _aws: Record<string, unknown> };
    expect(first._aws).toEqual({
      Timestamp: Date.parse(`${DAY}T00:00:00Z`),
      CloudWatchMetrics: [
        {
          Namespace: "Dateline/Test",
          Dimensions: [["Feed"]],
          Metrics: [{ Name: "Subscribers", Unit: "Count" }],
        },
      ],
    });
    expect(lines.filter((l) => l.message === "subscribers").map(({ message, ...r }) => r)).toEqual(
      EXPECTED_DAY,
    );
  });

  it("counts a day given in the event again, and an empty day writes no metric", async () => {
    const again = await run({ day: "2026-05-30" });
    expect(again.result).toEqual({ day: "2026-05-30", files: 1, fetches: 1, feeds: 1 });
    expect(again.lines.find((l) => "Site" in l)).toMatchObject({ Subscribers: 462 });
    const empty = await run({ day: "2026-05-01" });
    expect(empty.result).toEqual({ day: "2026-05-01", files: 0, fetches: 0, feeds: 0 });
    expect(empty.lines.filter((l) => "_aws" in l)).toEqual([]);
  });
});
