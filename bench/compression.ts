/**
 * Compression cost and event-loop stall: a 4 MB feed-like body (the size of a limit=98 page)
 * compressed as the app does it (brotli quality 5, gzip 6, on the thread pool) while a 1 ms
 * timer measures the longest stall of the event loop; brotli quality 11 on the loop (what the
 * app did before issue 9) beside it.
 *
 *   npx tsx bench/compression.ts      (also printed by `npm run bench`)
 */
import { randomBytes } from "node:crypto";
import { brotliCompressSync, constants } from "node:zlib";
import { compress } from "../functions/http/encoding.ts";

/** Feed-like text: tags and words that compress as real feeds do (to ~25–35%). */
function feedLike(bytes: number): Buffer {
  const words =
    randomBytes(bytes / 4)
      .toString("hex")
      .match(/.{1,6}/g) ?? [];
  let text = "<rss><channel>";
  for (let i = 0; text.length < bytes; i++)
    text +=
      i % 40 === 0 ? "</p></item><item><title>Title</title><p>" : `${words[i % words.length]} `;
  return Buffer.from(text.slice(0, bytes));
}

/** Runs `work` while a 1 ms timer measures the longest the event loop went without running it. */
export async function stalled<T extends { byteLength: number }>(work: () => Promise<T>) {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 1);
  const started = performance.now();
  const out = await work();
  const took = performance.now() - started;
  clearInterval(timer);
  return { took, worst: Math.max(worst, performance.now() - last), ratio: out.byteLength };
}

export async function measureCompression(): Promise<string[]> {
  const body = feedLike(4 * 1024 * 1024);
  const lines: string[] = [];
  const idle = await stalled(async () => {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    return body;
  });
  lines.push(
    `compression: idle event loop over 1 s stalls up to ${idle.worst.toFixed(1)} ms here (the machine's noise floor)`,
  );
  for (const encoding of ["br", "gzip"] as const) {
    const r = await stalled(() => compress(body, encoding));
    lines.push(
      `compression ${encoding} of 4 MB (thread pool): ${r.took.toFixed(0)} ms, ${((r.ratio / body.byteLength) * 100).toFixed(0)}% of the size; longest event-loop stall ${r.worst.toFixed(1)} ms  [target: a few ms]`,
    );
  }
  const sync = await stalled(async () =>
    brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
  );
  lines.push(
    `compression br quality 11 on the event loop (before issue 9): ${sync.took.toFixed(0)} ms, ${((sync.ratio / body.byteLength) * 100).toFixed(0)}%; stall ${sync.worst.toFixed(0)} ms`,
  );
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`)
  console.log((await measureCompression()).join("\n"));
