/**
 * The app over an index that becomes unreachable or slow (DynamoDB throttling or down): index
 * reads are reused for the revalidation interval, a warm instance answers from its last good
 * reads, and a cold one answers 503 with Retry-After, never a 500 or an empty feed.
 */
import { describe, expect, it } from "vitest";
import { createApp } from "../../functions/http/app.ts";
import type { IndexView } from "../../functions/index/index.ts";
import { LocalIndex } from "../../functions/index/local.ts";
import { TableUnavailableError } from "../../functions/index/table.ts";
import { memoryLogger } from "../../functions/log.ts";
import { articleFile, memoryStore } from "../fixtures/index.ts";
import { testConfig } from "../support/server.ts";

const NOW = Date.parse("2024-07-01T00:00:00Z");

/** An index view whose every read fails while `down` is set, counting the reads it passes on. */
function flaky(view: IndexView) {
  const state = { down: false, reads: 0 };
  const guard =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (state.down) throw new TableUnavailableError("ProvisionedThroughputExceededException");
      state.reads++;
      return fn(...args);
    };
  const index: IndexView = {
    page: guard((...a: Parameters<IndexView["page"]>) => view.page(...a)),
    metas: guard((...a: Parameters<IndexView["metas"]>) => view.metas(...a)),
    above: guard((...a: Parameters<IndexView["above"]>) => view.above(...a)),
    article: guard((slug: string) => view.article(slug)),
    summary: guard((...a: Parameters<IndexView["summary"]>) => view.summary(...a)),
    scopes: guard(() => view.scopes()),
  };
  return { index, state };
}

async function siteOver(revalidateMs: number) {
  let clock = NOW;
  const store = memoryStore({
    "a.md": articleFile({ title: "A", date: "2024-06-01", tags: ["Ports"] }),
    "b.md": articleFile({ title: "B", date: "2024-06-02" }),
  });
  const log = memoryLogger();
  const local = new LocalIndex(store, {
    siteUrl: "https://news.example.com",
    revalidateMs: 60_000,
    log,
    now: () => clock,
  });
  await local.sync();
  const { index, state } = flaky(local.index);
  const app = createApp({ config: testConfig(), index, log, now: () => clock, revalidateMs });
  return {
    app,
    state,
    log,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

describe("index reads under the revalidation interval", () => {
  it("answers repeats within the interval without reading the index, and reads again after it", async () => {
    const site = await siteOver(60_000);
    const first = await (await site.app.request("/feed.xml")).text();
    const reads = site.state.reads;
    for (let i = 0; i < 5; i++)
      expect(await (await site.app.request("/feed.xml")).text()).toBe(first);
    expect(site.state.reads).toBe(reads);
    site.advance(61_000);
    await site.app.request("/feed.xml");
    expect(site.state.reads).toBe(reads + 1); // one summary read: the page itself is unchanged
  });
});

describe("the index unavailable", () => {
  it("a warm app answers every route it answered before from its last good reads", async () => {
    const site = await siteOver(60_000);
    const paths = [
      "/feed.xml",
      "/atom.xml",
      "/tags/ports/feed.json",
      "/articles/a",
      "/",
      "/opml.xml",
    ];
    const before = new Map<string, string>();
    for (const p of paths) before.set(p, await (await site.app.request(p)).text());
    site.state.down = true;
    site.advance(120_000);
    for (const p of paths) {
      const res = await site.app.request(p);
      expect(res.status, p).toBe(200);
      expect(await res.text()).toBe(before.get(p));
    }
    expect(site.log.entries.some((e) => e.message.includes("last good read"))).toBe(true);
  });

  it("a cold app answers 503 with Retry-After (no 500, no empty feed), then recovers", async () => {
    const site = await siteOver(60_000);
    site.state.down = true;
    for (const p of ["/feed.xml", "/tags/ports/atom.xml", "/articles/a", "/sitemap.xml"]) {
      const res = await site.app.request(p);
      expect(res.status, p).toBe(503);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(await res.text()).not.toMatch(/Throughput|at .*\.ts/);
    }
    site.state.down = false;
    const res = await site.app.request("/feed.xml");
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("<title>B</title>");
  });

  it("a page not rendered before answers 503 while the index is down, not a 500", async () => {
    const site = await siteOver(60_000);
    await site.app.request("/feed.xml");
    site.state.down = true;
    site.advance(120_000);
    const res = await site.app.request("/feed.xml?limit=1");
    expect(res.status).toBe(503);
  });
});
