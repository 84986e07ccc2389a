/**
 * `npm run subscribers [FILE…]`: the subscriber report (per feed and day, the latest count each
 * aggregator reported plus the distinct other pollers) from the local server's request log
 * (JSON lines from `npm start`, or stdin) or from CloudFront standard log files (`.gz` or plain).
 */
import { readFile } from "node:fs/promises";
import { gunzipSync } from "node:zlib";
import { type Fetch, parseCloudFrontLog, parseRequestLog } from "../subscribers/fetches.ts";
import { formatReport, subscriberReport } from "../subscribers/report.ts";

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

function fetchesOf(bytes: Buffer): Fetch[] {
  const text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString(
    "utf8",
  );
  return /^#Version:/m.test(text) ? parseCloudFrontLog(text) : parseRequestLog(text);
}

const files = process.argv.slice(2);
const fetches: Fetch[] = [];
try {
  if (files.length === 0) fetches.push(...fetchesOf(await readAll(process.stdin)));
  for (const file of files) fetches.push(...fetchesOf(await readFile(file)));
} catch (error) {
  console.error(`subscribers: ${(error as Error).message}`);
  process.exit(2);
}
process.stdout.write(formatReport(subscriberReport(fetches)));
