// Hosts one synthesized Lambda bundle in its own Node process, the way the Lambda runtime
// does: a plain ESM import of the shipped file (no test-runner transforms, no loaders) with
// only the function's environment. Started by tests/deploy/support.ts via child_process.fork.
//
// argv[2]: absolute path of the bundle file (e.g. <cdk.out>/asset.<hash>/index.mjs)
// argv[3]: the handler's export name (from the template's Handler, e.g. "handler")
// Messages to the parent:
//   { type: "ready", importMs, rss } | { type: "failed", message }
//   { type: "result", id, result, ms, rss, fetchLoaded } | { type: "error", id, message, ms }
// (rss: the process's resident set size in bytes, for memory sizing; fetchLoaded: whether Node's
// fetch implementation, undici, has been loaded: its first use costs a cold start ~25 ms)
// Messages from the parent: { type: "invoke", id, event }
//   | { type: "repeat", id, event, calls, rounds }: the handler on `event` `calls` times per
//     round, answered as { type: "result", id, result: { perCallMs (median of rounds) }, ms, rss }
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";

const [bundle, exportName] = process.argv.slice(2);

const send = (message) => {
  if (process.connected) process.send?.(message);
};

process.on("disconnect", () => process.exit(0));

let handler;
try {
  const started = performance.now();
  const module = await import(pathToFileURL(bundle ?? "").href);
  const importMs = performance.now() - started;
  handler = module[exportName ?? "handler"];
  if (typeof handler !== "function") {
    throw new Error(`${bundle} has no exported function ${JSON.stringify(exportName)}`);
  }
  send({ type: "ready", importMs, rss: process.memoryUsage.rss() });
} catch (error) {
  send({ type: "failed", message: String(error?.stack ?? error) });
  process.exit(1);
}

let invocations = 0;

const fetchLoaded = () => process.moduleLoadList.some((m) => m.includes("undici"));

/** The fields of a Lambda context object that handlers commonly read. */
function context(id) {
  const deadline = Date.now() + 10_000;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: "FeedFunction",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:FeedFunction",
    memoryLimitInMB: "512",
    awsRequestId: `test-${id}`,
    logGroupName: "/aws/lambda/FeedFunction",
    logStreamName: "test",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done() {},
    fail() {},
    succeed() {},
  };
}

process.on("message", async (message) => {
  if (message?.type === "repeat") return repeat(message);
  if (message?.type !== "invoke") return;
  const { id, event } = message;
  invocations++;
  const started = performance.now();
  try {
    const result = await handler(event, context(`${invocations}-${id}`));
    const ms = performance.now() - started;
    send({
      type: "result",
      id,
      result,
      ms,
      rss: process.memoryUsage.rss(),
      fetchLoaded: fetchLoaded(),
    });
  } catch (error) {
    send({
      type: "error",
      id,
      message: String(error?.stack ?? error),
      ms: performance.now() - started,
    });
  }
});

/** Warm timing inside the process: no IPC in the measured loop. */
async function repeat({ id, event, calls, rounds }) {
  const started = performance.now();
  try {
    const perRound = [];
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      for (let i = 0; i < calls; i++) await handler(event, context(`repeat-${id}-${i}`));
      perRound.push((performance.now() - t0) / calls);
    }
    perRound.sort((a, b) => a - b);
    const perCallMs = perRound[Math.floor(perRound.length / 2)];
    const ms = performance.now() - started;
    send({ type: "result", id, result: { perCallMs }, ms, rss: process.memoryUsage.rss() });
  } catch (error) {
    send({ type: "error", id, message: String(error?.stack ?? error), ms: 0 });
  }
}
