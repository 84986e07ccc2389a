/**
 * Figures for the shipped `content/` folder: render time of each feed format (a fresh runtime per
 * sample, index already loaded, so only rendering is timed), then warm cached 200s, 304s and
 * gzip answers in-process. `npx tsx bench/content.ts`, or as a section of `npm run bench`.
 */
import { loadConfig } from "../functions/config.ts";
import { memoryLogger } from "../functions/log.ts";
import { createRuntime } from "../functions/runtime.ts";
import { FolderStore } from "../functions/storage/folder.ts";

const ROUTES = ["/feed.xml", "/atom.xml", "/feed.json", "/"] as const;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

/** Medians (ms) per route: first render, warm 200, 304, warm gzip. */
export async function benchContent(dir = "content", samples = 30, iterations = 2_000) {
  const config = loadConfig({ CONTENT_DIR: dir, SITE_URL: "https://news.example.com" });
  const rows: {
    route: string;
    bytes: number;
    render: number;
    warm: number;
    notModified: number;
    gzip: number;
  }[] = [];
  for (const route of ROUTES) {
    const url = `https://news.example.com${route}`;
    const renders: number[] = [];
    let etag = "";
    let bytes = 0;
    for (let i = 0; i < samples; i++) {
      const { app, local } = createRuntime(config, new FolderStore(dir), memoryLogger());
      await local.sync();
      const start = process.hrtime.bigint();
      const res = await app.request(url);
      const body = await res.arrayBuffer();
      renders.push(ms(start));
      etag = res.headers.get("etag") ?? "";
      bytes = body.byteLength;
    }
    const { app } = createRuntime(config, new FolderStore(dir), memoryLogger());
    await (await app.request(url)).arrayBuffer();
    await (await app.request(url, { headers: { "accept-encoding": "gzip" } })).arrayBuffer();
    const time = async (headers: Record<string, string>) => {
      const runs: number[] = [];
      for (let i = 0; i < iterations; i++) {
        const start = process.hrtime.bigint();
        const res = await app.request(url, { headers });
        await res.arrayBuffer();
        runs.push(ms(start));
      }
      return median(runs);
    };
    rows.push({
      route,
      bytes,
      render: median(renders),
      warm: await time({}),
      notModified: await time({ "if-none-match": etag }),
      gzip: await time({ "accept-encoding": "gzip" }),
    });
  }
  return rows;
}

/** Prints benchContent()'s rows as a table. */
export function printContent(rows: Awaited<ReturnType<typeof benchContent>>): void {
  console.log("\ncontent/ (the shipped articles), medians in ms");
  console.log("route        bytes   first render   warm 200   304       warm gzip");
  for (const r of rows) {
    console.log(
      `${r.route.padEnd(12)} ${String(r.bytes).padStart(6)}  ${r.render.toFixed(3).padStart(12)}  ${r.warm.toFixed(4).padStart(9)}  ${r.notModified.toFixed(4).padStart(8)}  ${r.gzip.toFixed(4).padStart(9)}`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) printContent(await benchContent());
