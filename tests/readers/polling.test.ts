/**
 * What pollers see over time, with real clients against `npm start` behind a logging proxy:
 * polling twice gives 304 and nothing new; a new article arrives once; an edit without
 * `updated:` arrives as an update; a restart changes nothing; a new SITE_URL reaches pollers
 * that send only If-Modified-Since.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ContentDir,
  contentDir,
  eventually,
  md,
  type RunningServer,
  startServer,
} from "../support/server.ts";
import {
  type FeedparserResult,
  feedparser,
  type LoggingProxy,
  loggingProxy,
  missingClients,
  newsboat,
  rss2email,
} from "./clients.ts";

let proxy: LoggingProxy;
let server: RunningServer;
let content: ContentDir;
let siteUrl = "";
const cleanups: (() => Promise<unknown>)[] = [];

const FIRST = md(
  { title: "Harbour reopens", date: "2026-01-15T08:00:00Z", author: "Desk", tags: ["Ports"] },
  "The harbour reopened on Monday.\n",
);
const SECOND = (body: string) =>
  md({ title: "Ferries resume", date: "2026-01-10T08:00:00Z", author: "Desk" }, `${body}\n`);

async function start(env: Record<string, string> = {}) {
  await server?.dispose();
  siteUrl = env.SITE_URL ?? proxy.url;
  server = await startServer({ contentDir: content.dir, env: { SITE_URL: proxy.url, ...env } });
  proxy.upstream = server.url;
}

beforeAll(async () => {
  expect(await missingClients(), "feed readers missing (see .ci/run)").toEqual([]);
  content = await contentDir({
    sample: false,
    files: { "first.md": FIRST, "second.md": SECOND("Ferries run every hour.") },
  });
  proxy = await loggingProxy("http://127.0.0.1:9");
  await start();
}, 60_000);

afterAll(async () => {
  await Promise.all(cleanups.map((c) => c()));
  await server?.dispose();
  await proxy?.close();
  await content?.dispose();
});

/** The JSON Feed as served now (what the other clients will see on their next poll). */
async function jsonItems(): Promise<
  { title: string; date_published: string; date_modified: string }[]
> {
  const doc = (await (await fetch(`${proxy.url}/feed.json`)).json()) as {
    items: { title: string; date_published: string; date_modified: string }[];
  };
  return doc.items;
}

/** A feedparser poller that keeps the validators it was given, as aggregators do. */
function poller(path: string, keep: "both" | "modified") {
  let last: FeedparserResult | undefined;
  return {
    async poll() {
      const result = await feedparser(`${proxy.url}${path}`, {
        ...(keep === "both" && last?.etag ? { etag: last.etag } : {}),
        ...(last?.modified ? { modified: last.modified } : {}),
      });
      if (result.status === 200) last = result;
      return result;
    },
    get last() {
      return last;
    },
  };
}

describe("polling", () => {
  it("twice gives 304 and no new items; a new article arrives once; an edit arrives as an update", async () => {
    const nb = await newsboat([`${proxy.url}/feed.xml`]);
    const r2e = await rss2email();
    cleanups.push(nb.dispose, r2e.dispose);
    await r2e.add("rss", `${proxy.url}/feed.xml`);
    await r2e.add("atom", `${proxy.url}/atom.xml`);
    const rss = poller("/feed.xml", "both");
    const atom = poller("/atom.xml", "both");
    const pollAll = () => Promise.all([nb.reload(), r2e.run(), rss.poll(), atom.poll()]);

    // newsboat 2.21 sends a feed's ETag and Last-Modified only from its third fetch on.
    await nb.reload();
    await pollAll();
    const first = await r2e.newMail();
    expect(first.map((m) => m.subject).sort()).toEqual(
      ["Ferries resume", "Ferries resume", "Harbour reopens", "Harbour reopens"].sort(),
    );
    expect(await nb.items()).toHaveLength(2);
    await nb.markAllRead();

    // Second poll: every client revalidates and is told nothing changed.
    proxy.clear();
    const [, , rssAgain, atomAgain] = await pollAll();
    for (const agent of [nb.agent, r2e.agent, "dateline-test-feedparser"]) {
      const requests = proxy.requests(agent);
      expect(requests.length, agent).toBeGreaterThan(0);
      expect(
        requests.map((r) => r.status),
        agent,
      ).toEqual(requests.map(() => 304));
      expect(requests.every((r) => r.ifNoneMatch || r.ifModifiedSince)).toBe(true);
    }
    expect(rssAgain.status).toBe(304);
    expect(atomAgain.status).toBe(304);
    expect(await r2e.newMail()).toEqual([]);
    expect((await nb.items()).filter((i) => i.unread)).toEqual([]);

    // A new article: once, in every client.
    await content.write(
      "third.md",
      md({ title: "Night ferry added", date: "2026-01-20T08:00:00Z" }),
    );
    await eventually(async () =>
      (await jsonItems()).some((i) => i.title === "Night ferry added") ? true : undefined,
    );
    const [, , rssNew] = await pollAll();
    expect(rssNew.entries.map((e) => e.title)).toContain("Night ferry added");
    expect((await r2e.newMail()).map((m) => m.subject)).toEqual([
      "Night ferry added",
      "Night ferry added",
    ]);
    expect((await nb.items()).filter((i) => i.unread).map((i) => i.title)).toEqual([
      "Night ferry added",
    ]);
    await nb.markAllRead();
    await pollAll();
    expect(await r2e.newMail()).toEqual([]);
    expect(await nb.items()).toHaveLength(3);

    // An edit without `updated:`: dated now, delivered as an update.
    const before = (await jsonItems()).find((i) => i.title === "Ferries resume");
    await content.write("second.md", SECOND("Correction: ferries run every two hours."));
    const after = await eventually(async () => {
      const item = (await jsonItems()).find((i) => i.title === "Ferries resume");
      return item && item.date_modified !== before?.date_modified ? item : undefined;
    });
    expect(Date.parse(after.date_modified)).toBeGreaterThan(Date.parse(after.date_published));
    const [, , rssEdit, atomEdit] = await pollAll();
    for (const doc of [rssEdit, atomEdit]) {
      const entry = doc.entries.find((e) => e.title === "Ferries resume");
      expect(entry?.updated).toBe(after.date_modified.replace(/\.\d{3}Z$/, "Z"));
    }
    const corrections = await r2e.newMail();
    expect(corrections.map((m) => m.subject)).toEqual(["Ferries resume", "Ferries resume"]);
    for (const mail of corrections) {
      expect(mail.body).toContain("every two hours");
      const original = first.find((m) => m.feed === mail.feed && m.subject === "Ferries resume");
      expect(mail.inReplyTo).toBe(original?.messageId);
    }
    const items = await nb.items();
    expect(items).toHaveLength(3);
    expect(items.filter((i) => i.unread).map((i) => i.title)).toEqual(["Ferries resume"]);
  });
});

describe("restarts", () => {
  it("a restart marks nothing new; a SITE_URL change reaches If-Modified-Since-only pollers", async () => {
    const nb = await newsboat([`${proxy.url}/feed.xml`]);
    cleanups.push(nb.dispose);
    const paths = ["/feed.xml", "/atom.xml"];
    const imsOnly = paths.map((p) => poller(p, "modified"));
    const pollAll = () => Promise.all([nb.reload(), ...imsOnly.map((p) => p.poll())]);
    await nb.reload(); // see above: newsboat sends validators from its third fetch on
    await pollAll();
    const json = await jsonItems();
    await nb.markAllRead();

    // Same settings: same bytes, same dates, 304 for everyone, nothing unread.
    await start({ SITE_URL: siteUrl });
    proxy.clear();
    const [, ...same] = await pollAll();
    expect(same.map((r) => r.status)).toEqual([304, 304]);
    expect(proxy.requests(nb.agent).map((r) => r.status)).toEqual([304]);
    expect(await jsonItems()).toEqual(json);
    expect((await nb.items()).filter((i) => i.unread)).toEqual([]);

    // A new SITE_URL: new links in every document, and pollers holding only a date see them.
    const moved = proxy.url.replace("127.0.0.1", "localhost");
    await start({ SITE_URL: moved });
    proxy.clear();
    const [, ...changed] = await pollAll();
    expect(changed.map((r) => r.status)).toEqual([200, 200]);
    for (const result of changed) {
      expect(result.entries.length).toBeGreaterThan(0);
      for (const entry of result.entries)
        expect(entry.link.startsWith(`${moved}/articles/`)).toBe(true);
    }
    expect(proxy.requests("dateline-test-feedparser").every((r) => !r.ifNoneMatch)).toBe(true);
    const items = await nb.items();
    expect(items).toHaveLength(json.length);
    for (const item of items) expect(item.url.startsWith(`${moved}/articles/`)).toBe(true);
  });
});
