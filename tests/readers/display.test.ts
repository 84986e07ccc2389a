/**
 * What people see in real readers: titles exactly as written, every author, the site's icon and
 * logo and the item image, and what an OPML import subscribes to. One `npm start` for the file,
 * behind a logging proxy; the clients run in parallel.
 */
import { parseJsonFeed } from "feedsmith";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ContentDir,
  contentDir,
  md,
  type RunningServer,
  startServer,
} from "../support/server.ts";
import {
  feedparser,
  type LoggingProxy,
  loggingProxy,
  missingClients,
  newsboat,
  rss2email,
  rssParser,
} from "./clients.ts";

const TITLE = `Q&A: <Tags> & 5 < 6 "quoted" ]]> done 🎉 부산 뉴스`;
const AUTHORS = ["Ana Müller", "김서연"];
const BYLINE = "Ana Müller, 김서연";
const LOGO = "https://cdn.example.com/logo.png";

let proxy: LoggingProxy;
let server: RunningServer;
let content: ContentDir;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  expect(await missingClients(), "feed readers missing (see .ci/run)").toEqual([]);
  content = await contentDir({
    sample: false,
    files: {
      "hard.md": md(
        {
          title: TITLE,
          date: "2026-01-15T08:00:00Z",
          authors: AUTHORS,
          tags: ["Ports", "부산"],
          image: "/images/pier.png",
        },
        "The pier opened.\n",
      ),
      "second.md": md(
        { title: "Ferries resume", date: "2026-01-10T08:00:00Z", author: "Desk", tags: ["Ports"] },
        "Ferries are back.\n\n![Deck](/images/deck.jpg)\n",
      ),
    },
  });
  proxy = await loggingProxy("http://127.0.0.1:9");
  server = await startServer({
    contentDir: content.dir,
    env: { SITE_URL: proxy.url, SITE_ICON: "/icon.png", SITE_LOGO: LOGO },
  });
  proxy.upstream = server.url;
}, 60_000);

afterAll(async () => {
  await Promise.all(cleanups.map((c) => c()));
  await server?.dispose();
  await proxy?.close();
  await content?.dispose();
});

async function withNewsboat(urls: string[]) {
  const nb = await newsboat(urls);
  cleanups.push(nb.dispose);
  await nb.reload();
  return nb;
}

describe("titles and authors, in every client and format", () => {
  it("newsboat shows the title exactly and every author (RSS and Atom; it cannot read JSON Feed)", async () => {
    // One cache per format: newsboat keys items by guid, and the formats share ids.
    const [rss, atom, json] = await Promise.all(
      ["feed.xml", "atom.xml", "feed.json"].map((f) => withNewsboat([`${proxy.url}/${f}`])),
    );
    for (const nb of [rss, atom]) {
      const items = await nb?.items();
      const hard = items?.find((i) => i.url === `${proxy.url}/articles/hard`);
      expect(hard?.title).toBe(TITLE);
      expect(hard?.author).toBe(BYLINE);
      expect(items).toHaveLength(2);
    }
    expect(await json?.items()).toEqual([]);
  });

  it("rss2email delivers each article once, subject exactly the title, every author named (RSS)", async () => {
    const r2e = await rss2email();
    cleanups.push(r2e.dispose);
    await r2e.add("rss", `${proxy.url}/feed.xml`);
    await r2e.add("atom", `${proxy.url}/atom.xml`);
    await r2e.run();
    const mails = await r2e.newMail();
    const hard = mails.filter((m) => m.url === `${proxy.url}/articles/hard`);
    expect(hard.map((m) => m.subject)).toEqual([TITLE, TITLE]);
    expect(hard.find((m) => m.feed.endsWith("/feed.xml"))?.from).toContain(BYLINE);
    // Atom keeps one <author> per person; rss2email names only one of them (its author_detail).
    expect(AUTHORS).toContainEqual(
      hard.find((m) => m.feed.endsWith("/atom.xml"))?.from.match(/: (.*?)"? </)?.[1],
    );
    expect(mails).toHaveLength(4);
  });

  it("python3-feedparser reads the title as plain text and every author", async () => {
    const [rss, atom] = await Promise.all(
      ["feed.xml", "atom.xml"].map((f) => feedparser(`${proxy.url}/${f}`)),
    );
    for (const doc of [rss, atom]) {
      expect(doc?.bozo).toBe(false);
      const hard = doc?.entries.find((e) => e.link === `${proxy.url}/articles/hard`);
      expect(hard?.title).toBe(TITLE);
      expect(hard?.titleType).toBe("text/plain");
    }
    expect(rss?.entries[0]?.authors).toEqual([BYLINE]);
    expect(atom?.entries[0]?.authors).toEqual(AUTHORS);
  });

  it("rss-parser (Node) reads the title and every author", async () => {
    const rss = await rssParser(`${proxy.url}/feed.xml`);
    const atom = await rssParser(`${proxy.url}/atom.xml`);
    expect(rss.items[0]?.title).toBe(TITLE);
    expect(rss.items[0]?.creator).toBe(BYLINE);
    expect(atom.items[0]?.title).toBe(TITLE);
    expect(String(atom.items[0]?.author)).toContain(AUTHORS[0]);
  });

  it("JSON Feed carries the title and both authors as written", async () => {
    const json = parseJsonFeed(await (await fetch(`${proxy.url}/feed.json`)).json());
    expect(json.items?.[0]?.title).toBe(TITLE);
    expect(json.items?.[0]?.authors?.map((a) => a.name)).toEqual(AUTHORS);
  });
});

describe("site identity and item images", () => {
  it("feedparser exposes the RSS image, the Atom icon and logo, and Media RSS per item", async () => {
    const [rss, atom] = await Promise.all(
      ["feed.xml", "atom.xml"].map((f) => feedparser(`${proxy.url}/${f}`)),
    );
    expect(rss?.feed.image).toBe(LOGO);
    expect(atom?.feed.icon).toBe(`${proxy.url}/icon.png`);
    expect(atom?.feed.logo).toBe(LOGO);
    const [hard, second] = rss?.entries ?? [];
    expect(hard?.mediaContent).toEqual([`${proxy.url}/images/pier.png`]);
    expect(hard?.mediaThumbnail).toEqual([`${proxy.url}/images/pier.png`]);
    // No `image:`: the body's first image.
    expect(second?.mediaThumbnail).toEqual([`${proxy.url}/images/deck.jpg`]);
  });

  it("rss-parser shows the channel image; JSON Feed has icon, favicon and item images", async () => {
    expect((await rssParser(`${proxy.url}/feed.xml`)).image?.url).toBe(LOGO);
    const json = parseJsonFeed(await (await fetch(`${proxy.url}/feed.json`)).json());
    expect(json.icon).toBe(`${proxy.url}/icon.png`);
    expect(json.favicon).toBe(`${proxy.url}/icon.png`);
    expect(json.items?.map((i) => i.image)).toEqual([
      `${proxy.url}/images/pier.png`,
      `${proxy.url}/images/deck.jpg`,
    ]);
  });
});

describe("OPML import", () => {
  const scopes = [
    "",
    "/tags/ports",
    "/tags/부산",
    "/authors/ana-muller",
    "/authors/desk",
    "/authors/김서연",
  ];

  it("newsboat -i subscribes to each scope once, in RSS, and reads every one", async () => {
    const opml = await (await fetch(`${proxy.url}/opml.xml`)).text();
    const nb = await newsboat();
    cleanups.push(nb.dispose);
    const urls = await nb.importOpml(opml);
    const expected = scopes.map((s) => `${proxy.url}${encodeURI(s)}/feed.xml`);
    expect([...urls].sort()).toEqual([...expected].sort());
    await nb.configure(urls);
    proxy.clear();
    await nb.reload();
    expect(proxy.requests(nb.agent).map((r) => r.status)).toEqual(urls.map(() => 200));
    // newsboat records a feed only once it has parsed it (a JSON Feed URL leaves no row).
    const feeds = await nb.feeds();
    expect(new Set(feeds.map((f) => f.rssurl))).toEqual(new Set(urls));
    // Items are keyed by guid: each article once, however many scopes list it.
    expect((await nb.items()).map((i) => i.title).sort()).toEqual(["Ferries resume", TITLE].sort());
  });

  it("r2e opmlimport subscribes to each scope once, in RSS, and every feed delivers", async () => {
    const opml = await (await fetch(`${proxy.url}/opml.xml`)).text();
    const r2e = await rss2email();
    cleanups.push(r2e.dispose);
    await r2e.opmlImport(opml);
    const listed = [...(await r2e.list()).matchAll(/\((http[^ )]+) ->/g)].map((m) => m[1]);
    expect([...listed].sort()).toEqual(
      scopes.map((s) => `${proxy.url}${encodeURI(s)}/feed.xml`).sort(),
    );
    proxy.clear();
    const { stderr } = await r2e.run();
    expect(stderr).not.toMatch(/error|Traceback/i);
    const fetched = proxy.requests(r2e.agent);
    expect(fetched.map((r) => r.path).sort()).toEqual(
      listed.map((url) => new URL(url as string).pathname).sort(),
    );
    expect(fetched.every((r) => r.status === 200)).toBe(true);
    const mails = await r2e.newMail();
    expect(new Set(mails.map((m) => m.feed))).toEqual(new Set(listed));
  });
});
