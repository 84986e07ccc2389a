/**
 * The local server's WebSub path: after content changes, the hub (a real HTTP stub) hears about
 * exactly the feeds that changed, and a slow hub never holds up serving.
 */
import { type ChildProcess, spawn } from "node:child_process";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { type ServerType, serve } from "@hono/node-server";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Announcement, indexNotifier } from "../../functions/websub/notify.ts";
import { article, type FolderSite, folderSite, SITE_URL } from "../support/folder-site.ts";
import { type Hub, startHub } from "../support/hub.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const FILES = { "ferry.md": article({ title: "Ferry", tags: ["Ports"] }) };
const feeds = (path: string) =>
  ["feed.xml", "atom.xml", "feed.json"].map((f) => `${SITE_URL}${path}/${f}`);

let hub: Hub;
let site: FolderSite;
beforeEach(async () => {
  hub = await startHub();
  site = await folderSite({ files: FILES, env: { HUB_URL: "https://hub.invalid/" } });
});
afterEach(async () => {
  hub.release();
  await hub.close();
  await site.dispose();
});

/** The local index announcing its changes to the hub; `check()` syncs and returns the last. */
function notifier() {
  const seen: Announcement[] = [];
  site.local.onChange(
    indexNotifier({
      siteUrl: SITE_URL,
      hubUrl: hub.url,
      log: site.log,
      publish: { retries: 0, backoff: 1, timeout: 5_000 },
      announced: (a) => seen.push(a),
    }),
  );
  return {
    async check(): Promise<Announcement | undefined> {
      const before = seen.length;
      await site.local.sync();
      return seen.length > before ? seen[seen.length - 1] : undefined;
    },
  };
}

describe("indexNotifier", () => {
  it("stays quiet when nothing changed", async () => {
    await site.local.sync();
    const n = notifier();
    expect(await n.check()).toBeUndefined();
    expect(await n.check()).toBeUndefined();
    expect(hub.requests).toEqual([]);
  });

  it("publishes the feeds a new article changed", async () => {
    const n = notifier();
    await n.check();
    await site.write("tram.md", article({ title: "Tram", tags: ["Trams"] }));
    const change = await n.check();
    // The author's feeds too: on a one-author site they answer 404, and the hub drops them.
    const expected = [...feeds(""), ...feeds("/tags/trams"), ...feeds("/authors/desk")];
    expect(change?.feeds).toEqual(expected);
    expect((await change?.published)?.published).toEqual(expected);
    expect(hub.requests.map((r) => r.urls[0]).sort()).toEqual([...expected].sort());
    expect(await n.check()).toBeUndefined(); // reported once
  });

  it("keeps serving while the hub hangs", async () => {
    let server: ServerType | undefined;
    try {
      server = serve({ fetch: site.app.fetch, hostname: "127.0.0.1", port: 0 });
      await new Promise<void>((resolve) => server?.once("listening", () => resolve()));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const n = notifier();
      await n.check();
      hub.hang();
      await site.write("tram.md", article({ title: "Tram", tags: ["Trams"] }));
      const change = await n.check();
      let settled = false;
      void change?.published.then(() => {
        settled = true;
      });
      await hub.received(1);

      const feed = await fetch(`${base}/feed.xml`);
      expect(feed.status).toBe(200);
      expect(await feed.text()).toContain("<title>Tram</title>");
      expect((await fetch(`${base}/tags/trams/atom.xml`)).status).toBe(200);
      expect(settled).toBe(false); // the hub still has not answered

      hub.release();
      expect((await change?.published)?.failed).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    }
  });
});

describe("npm start with HUB_URL", () => {
  let child: ChildProcess | undefined;
  afterEach(async () => {
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child?.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  });

  it("pings the hub after the file watcher sees a new article", async () => {
    const port = await freePort();
    const output: string[] = [];
    child = spawn(process.execPath, ["--import", "tsx", "functions/server.ts"], {
      cwd: REPO,
      env: {
        ...process.env,
        PORT: String(port),
        CONTENT_DIR: site.dir,
        SITE_URL,
        HUB_URL: hub.url,
        CONTENT_BUCKET: "",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    for (const stream of [child.stdout, child.stderr])
      stream?.on("data", (chunk: Buffer) => output.push(chunk.toString("utf8")));
    await until(
      () => output.join("").includes('"articles loaded"'),
      () => output.join(""),
    );

    await site.write("tram.md", article({ title: "Tram", tags: ["Trams"] }));
    const expected = [...feeds(""), ...feeds("/tags/trams"), ...feeds("/authors/desk")];
    const requests = await hub.received(expected.length);
    expect(requests.map((r) => r.urls[0]).sort()).toEqual(expected.sort());
    const feed = await fetch(`http://127.0.0.1:${port}/feed.xml`);
    expect(await feed.text()).toContain("<title>Tram</title>");
  });
});

async function freePort(): Promise<number> {
  const server = serve({ fetch: () => new Response(), hostname: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Waits for a condition of a child process (start-up), failing with its output. */
async function until(ok: () => boolean, output: () => string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (ok()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`server did not get ready:\n${output()}`);
}
