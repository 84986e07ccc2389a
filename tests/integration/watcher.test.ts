/**
 * The local server's folder watcher at scale and against loops: touching 4,000 files in one
 * folder holds no request up beyond a blow-up bound (Node 20's recursive fs.watch stalled the
 * server 36 s), and a symlink loop neither kills the watcher nor hides later changes.
 */
import { symlink, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ContentDir,
  contentDir,
  eventually,
  md,
  type RunningServer,
  startServer,
} from "../support/server.ts";

const FILES = 4_000;
let content: ContentDir;
let server: RunningServer;

beforeAll(async () => {
  content = await contentDir({ sample: false });
  const batch: Promise<void>[] = [];
  for (let i = 0; i < FILES; i++)
    batch.push(
      writeFile(
        join(content.dir, `n${String(i).padStart(4, "0")}.md`),
        md({ title: `Note ${i}`, date: "2024-01-01T00:00:00Z" }, `Note ${i}.\n`),
      ),
    );
  await Promise.all(batch);
  await symlink("loop.md", join(content.dir, "loop.md"));
  await symlink(".", join(content.dir, "self"));
  server = await startServer({ contentDir: content.dir, env: { REVALIDATE_SECONDS: "3600" } });
  await eventually(
    async () => (server.records().some((r) => r.message === "articles loaded") ? true : undefined),
    { timeoutMs: 60_000, what: "the first load" },
  );
}, 120_000);

afterAll(async () => {
  await server?.dispose();
  await content?.dispose();
});

describe("folder watcher", () => {
  it("touching 4,000 files in one folder stalls no request beyond a blow-up bound", async () => {
    let touching = true;
    let worst = 0;
    let requests = 0;
    const probe = (async () => {
      while (touching) {
        const started = performance.now();
        const res = await fetch(`${server.url}/feed.xml`);
        await res.arrayBuffer();
        expect(res.status).toBe(200);
        worst = Math.max(worst, performance.now() - started);
        requests++;
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const now = new Date();
    for (let i = 0; i < FILES; i += 200)
      await Promise.all(
        Array.from({ length: 200 }, (_, j) =>
          utimes(join(content.dir, `n${String(i + j).padStart(4, "0")}.md`), now, now),
        ),
      );
    // Keep probing while the watcher reports and the forced check recompiles every file.
    await new Promise((r) => setTimeout(r, 3_000));
    touching = false;
    await probe;
    expect(requests).toBeGreaterThan(5);
    // Node 20's recursive fs.watch stalled 36 s here. The issue's target is 100 ms; on this
    // shared 2-core machine (load ~10) one request takes up to ~0.3 s with no watcher at all, so
    // the test only proves there is no blow-up; bench/watch.ts prints the figure.
    expect(worst).toBeLessThan(2_500);
  }, 60_000);

  it("survives a symlink loop: a file added later still appears", async () => {
    await content.write("later.md", md({ title: "Added later", date: "2024-06-01T00:00:00Z" }));
    await eventually(
      async () =>
        (await (await fetch(`${server.url}/feed.json`)).text()).includes("Added later")
          ? true
          : undefined,
      { timeoutMs: 30_000, what: "the new article" },
    );
    expect(server.records().filter((r) => r.message.startsWith("content watcher"))).toEqual([]);
  }, 60_000);
});
