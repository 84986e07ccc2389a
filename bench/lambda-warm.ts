/**
 * Warm requests through the feed function's Lambda handler (payload-2.0 event in, result out)
 * for content/: identity, gzip and br 200s and a 304, beside issue 10's targets, with
 * hono/aws-lambda's handle() as the baseline it replaced. In process, medians of 9 × 1,000.
 *
 *   npx tsx bench/lambda-warm.ts
 */
import type { Hono } from "hono";
import { handle } from "hono/aws-lambda";
import { loadConfig } from "../functions/config.ts";
import { lambdaHandler } from "../functions/http/lambda-adapter.ts";
import { memoryLogger } from "../functions/log.ts";
import { createRuntime } from "../functions/runtime.ts";
import { FolderStore } from "../functions/storage/folder.ts";
import { httpEvent, lambdaContext } from "../tests/lambda/events.ts";

// An hour between store checks: the timed requests never include one.
const config = loadConfig({ SITE_URL: "https://news.example.com", REVALIDATE_SECONDS: "3600" });
const { app } = createRuntime(config, new FolderStore("content"), memoryLogger());
const ours = lambdaHandler(app);
const reference = handle(app as unknown as Hono);
const etag = String((await ours(httpEvent({ path: "/feed.xml" }))).headers?.etag ?? "");

const cases = [
  ["200 identity", httpEvent({ path: "/feed.xml" }), 0.05],
  ["200 gzip", httpEvent({ path: "/feed.xml", headers: { "accept-encoding": "gzip" } }), 0.05],
  ["200 br", httpEvent({ path: "/feed.xml", headers: { "accept-encoding": "br" } }), 0.05],
  ["304", httpEvent({ path: "/feed.xml", headers: { "if-none-match": etag } }), 0.02],
] as const;

async function median(run: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 500; i++) await run();
  const runs: number[] = [];
  for (let r = 0; r < 9; r++) {
    const t0 = performance.now();
    for (let i = 0; i < 1_000; i++) await run();
    runs.push((performance.now() - t0) / 1_000);
  }
  return runs.sort((a, b) => a - b)[4] ?? 0;
}

console.log("\nWarm requests through the Lambda handler (content/, /feed.xml, in process)");
for (const [name, event, target] of cases) {
  const mine = await median(() => ours(event));
  const before = await median(() =>
    reference(event as unknown as Parameters<typeof reference>[0], lambdaContext()),
  );
  console.log(
    `  ${name.padEnd(13)} ${mine.toFixed(3)} ms (hono/aws-lambda handle(): ${before.toFixed(3)} ms)  [target ≤ ${target} ms] ${mine <= target ? "met" : "NOT met"}`,
  );
}
