/**
 * Peak RSS under 1,000 distinct-cursor requests: `/feed.xml?limit=100&before=<distinct value>`
 * with `Accept-Encoding: br` against the app over a 1,000-article folder (in process). Each value is new; a third name a real article (a canonical page,
 * rendered and cached), the rest are invented (redirected to the canonical cursor); a warm-up of
 * as many requests fills the response cache to its byte bound first. Before
 * issue 9, 400 such requests took the server from 116 MB to 1.8 GB.
 *
 *   npx tsx bench/cursors.ts      (also printed by `npm run bench`, in its own process)
 */
import { loadConfig } from "../functions/config.ts";
import { memoryLogger } from "../functions/log.ts";
import { createRuntime } from "../functions/runtime.ts";
import { FolderStore } from "../functions/storage/folder.ts";
import { corpusFolder } from "./corpus.ts";

const REQUESTS = 1_000;
const dir = await corpusFolder(1_000);
const config = loadConfig({ SITE_URL: "https://news.example.com", CONTENT_DIR: dir });
const { app, local } = createRuntime(config, new FolderStore(dir), memoryLogger());
await local.sync();
const cursors = (await local.articles()).map(
  (a) => `${Math.floor(a.date.getTime() / 1000)}-${a.slug}`,
);

let n = 0;
async function one(): Promise<void> {
  const i = n++;
  const before =
    i % 3 === 0 ? cursors[(i * 7) % cursors.length] : `${1_700_000_000 + i}-invented-${i}`;
  const res = await app.request(`/feed.xml?limit=100&before=${before}`, {
    headers: { "accept-encoding": "br" },
  });
  await res.arrayBuffer();
}

const mb = () => process.memoryUsage().rss / 1024 / 1024;
const loaded = mb();
// The warm-up fills the response cache to its byte bound (64 MB); the measured run shows that
// more distinct cursors add nothing on top.
for (let i = 0; i < REQUESTS; i++) await one();
const start = mb();
let peak = start;
for (let i = 0; i < REQUESTS; i++) {
  await one();
  if (i % 10 === 0) peak = Math.max(peak, mb());
}
const end = mb();
console.log(
  `cursors: ${REQUESTS} distinct-cursor requests (limit=100, br): RSS ${loaded.toFixed(0)} MB loaded, ${start.toFixed(0)} MB after ${REQUESTS} warm-up requests, peak ${peak.toFixed(0)} MB (${((peak / start - 1) * 100).toFixed(1)}%), ${end.toFixed(0)} MB at the end  [target flat within 20%]`,
);
