/**
 * The real app (createRuntime) on a real S3-compatible server (s3rver), wired the way the
 * local server wires it for CONTENT_BUCKET (loadConfig → openStore → BucketStore on the signed
 * S3 client, credentials from the environment), with an injected clock so that revalidation happens exactly when the test says so.
 */
import { parseAtomFeed, parseJsonFeed, parseRssFeed } from "feedsmith";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type Config, loadConfig } from "../../functions/config.ts";
import { memoryLogger } from "../../functions/log.ts";
import { createRuntime } from "../../functions/runtime.ts";
import { BucketStore } from "../../functions/storage/bucket.ts";
import { openStore } from "../../functions/storage/open.ts";
import { type S3rver, type S3rverRequest, startS3rver } from "../support/s3rver.ts";

const PREFIX = "articles/";
const SITE = "https://news.example.com";
const FEEDS = ["/feed.xml", "/atom.xml", "/feed.json"] as const;
type FeedPath = (typeof FEEDS)[number];

interface ArticleFixture {
  title: string;
  date: string;
  tags: string[];
  body: string;
}

const BASE_ARTICLE: ArticleFixture = {
  title: "Harbour ferry terminal opens",
  date: "2024-03-01",
  tags: ["Transport"],
  body: "The new ferry terminal opened on Monday with six daily sailings.",
};

/** A Markdown article: the base fixture plus overrides. */
function article(overrides: Partial<ArticleFixture> = {}): string {
  const a = { ...BASE_ARTICLE, ...overrides };
  const tags = a.tags.map((t) => `  - ${t}`).join("\n");
  return `---\ntitle: ${a.title}\ndate: ${a.date}\ntags:\n${tags}\n---\n\n${a.body}\n`;
}

/** Three valid articles and one broken one, keyed relative to the prefix. */
function library(): Record<string, string> {
  return {
    "ferry.md": article(),
    "2024/bus.md": article({ title: "Night buses run later", date: "2024-03-02" }),
    "science/coral.md": article({
      title: "Coral survives the heatwave",
      date: "2024-03-03",
      tags: ["Science"],
      body: "Researchers found that most of the reef **recovered** within a year.",
    }),
    "broken.md": "---\ntitle: [unclosed\n---\n\nNo date either.\n",
  };
}

const servers: S3rver[] = [];

afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(servers.splice(0).map((s) => s.dispose()));
});

interface Harness {
  s3: S3rver;
  config: Config;
  log: ReturnType<typeof memoryLogger>;
  clock: { now: number };
  /** A fresh runtime (cold Lambda) on the same bucket and clock. */
  runtime(): ReturnType<typeof createRuntime>;
  put(key: string, body: string): Promise<void>;
  remove(key: string): Promise<void>;
}

async function setup(files: Record<string, string> = library()): Promise<Harness> {
  const s3 = await startS3rver();
  servers.push(s3);
  await s3.putMany(Object.entries(files).map(([key, body]) => [PREFIX + key, body] as const));
  // The store builds its own client: credentials come from the environment.
  vi.stubEnv("AWS_ACCESS_KEY_ID", s3.env.AWS_ACCESS_KEY_ID);
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", s3.env.AWS_SECRET_ACCESS_KEY);
  vi.stubEnv("AWS_REGION", s3.env.AWS_REGION);
  vi.stubEnv("AWS_SESSION_TOKEN", undefined);
  vi.stubEnv("AWS_PROFILE", undefined);
  const config = loadConfig({
    CONTENT_BUCKET: s3.bucket,
    CONTENT_PREFIX: PREFIX,
    SITE_URL: SITE,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
  });
  const log = memoryLogger();
  // Real time as the starting point: the objects' LastModified comes from s3rver's clock.
  const clock = { now: Date.now() };
  const runtime = () => {
    const store = openStore(config);
    expect(store).toBeInstanceOf(BucketStore);
    return createRuntime(config, store, log, () => clock.now);
  };
  await s3.clearRequests();
  return {
    s3,
    config,
    log,
    clock,
    runtime,
    put: (key, body) => s3.put(PREFIX + key, body),
    remove: (key) => s3.remove(PREFIX + key),
  };
}

/** Item titles of a feed body, in document order, read by a real feed parser. */
function titles(path: FeedPath, body: string): string[] {
  if (path === "/feed.xml") return (parseRssFeed(body).items ?? []).map((i) => i.title ?? "");
  if (path === "/atom.xml") {
    // Atom text constructs come back as { type, value }.
    return (parseAtomFeed(body).entries ?? []).map((e) => {
      const title = e.title as unknown;
      return typeof title === "string" ? title : String((title as { value?: string })?.value);
    });
  }
  return (parseJsonFeed(JSON.parse(body)).items ?? []).map((i) => i.title ?? "");
}

interface Fetched {
  status: number;
  etag: string | null;
  body: string;
  headers: Headers;
}

async function get(
  app: ReturnType<typeof createRuntime>["app"],
  path: string,
  headers: Record<string, string> = {},
): Promise<Fetched> {
  const response = await app.request(path, { headers });
  return {
    status: response.status,
    etag: response.headers.get("etag"),
    body: await response.text(),
    headers: response.headers,
  };
}

/** All three feeds: status, ETag and item titles. */
async function feeds(app: ReturnType<typeof createRuntime>["app"]) {
  const out = {} as Record<FeedPath, Fetched & { titles: string[] }>;
  for (const path of FEEDS) {
    const fetched = await get(app, path);
    expect(fetched.status, `${path}: ${fetched.body}`).toBe(200);
    out[path] = { ...fetched, titles: titles(path, fetched.body) };
  }
  return out;
}

/**
 * What the server saw: listings, article downloads (200) and revalidations (304) by key, and
 * any other request (e.g. a store-side index, if the store keeps one).
 */
function traffic(log: S3rverRequest[], bucket: string) {
  const isList = (r: S3rverRequest) => r.method === "GET" && r.url.includes("list-type=2");
  const articlePath = `/${bucket}/${PREFIX}`;
  const lists = log.filter(isList);
  const articles = log
    .filter((r) => r.method === "GET" && !isList(r) && r.url.startsWith(articlePath))
    .map((r) => ({
      key: decodeURIComponent((r.url.split("?")[0] ?? "").slice(articlePath.length)),
      status: r.status,
    }));
  const others = log.filter((r) => !isList(r) && !r.url.startsWith(articlePath));
  return { lists, articles, others };
}

const XML_TYPE = /^application\/([a-z]+\+)?xml; charset=utf-8$/;
const NEWEST_FIRST = ["Coral survives the heatwave", "Night buses run later", BASE_ARTICLE.title];

describe("the app on S3 (s3rver) with an injected clock", () => {
  it("serves RSS, Atom and JSON feeds of the bucket's articles and logs the broken one", async () => {
    const h = await setup();
    expect(h.config.revalidateSeconds).toBe(60); // the default the clock steps below rely on
    const { app } = h.runtime();

    const got = await feeds(app);
    for (const path of FEEDS) {
      expect(got[path].titles, path).toEqual(NEWEST_FIRST);
      expect(got[path].etag, path).toMatch(/^"[^"]+"$/);
      expect(got[path].body, path).toContain(`${SITE}/articles/coral`);
    }
    // RSS and Atom: an XML media type (which one is the HTTP layer's choice).
    for (const path of ["/feed.xml", "/atom.xml"] as const) {
      expect(got[path].headers.get("content-type"), path).toMatch(XML_TYPE);
    }
    expect(got["/feed.json"].headers.get("content-type")).toBe(
      "application/feed+json; charset=utf-8",
    );
    expect(got["/feed.json"].body).toContain("<strong>recovered</strong>");

    const article = await get(app, "/articles/coral");
    expect(article.status).toBe(200);
    expect(article.body).toContain("Coral survives the heatwave");
    expect((await get(app, "/tags/science/feed.xml")).body).toContain("Coral survives");

    const skipped = h.log.entries.filter((e) => e.message === "article skipped");
    expect(skipped).toHaveLength(1);
    expect(skipped[0]?.fields?.file).toBe("broken.md");
    expect(String(skipped[0]?.fields?.reason)).not.toBe("");
  });

  it("shows a changed article only once the revalidation interval has passed", async () => {
    const h = await setup();
    const { app } = h.runtime();
    const before = await feeds(app);

    await h.put("2024/bus.md", article({ title: "Night buses run all night", date: "2024-03-02" }));
    h.clock.now += 59_999;
    const early = await feeds(app);
    for (const path of FEEDS) {
      expect(early[path].etag, path).toBe(before[path].etag);
      expect(early[path].titles, path).toEqual(NEWEST_FIRST);
    }

    h.clock.now += 1;
    const after = await feeds(app);
    for (const path of FEEDS) {
      expect(after[path].etag, path).not.toBe(before[path].etag);
      expect(after[path].titles, path).toEqual([
        "Coral survives the heatwave",
        "Night buses run all night",
        BASE_ARTICLE.title,
      ]);
    }
    // The old validator no longer matches: clients get the new feed, not a stale 304.
    const revalidated = await get(app, "/feed.xml", {
      "if-none-match": String(before["/feed.xml"].etag),
    });
    expect(revalidated.status).toBe(200);
  });

  it("revalidates cheaply: unchanged objects are not downloaded again, a changed one once", async () => {
    const h = await setup();
    const { app } = h.runtime();
    await feeds(app);
    expect((await get(app, "/articles/ferry")).status).toBe(200);

    // Nothing changed: at most one list, and no object body is downloaded.
    await h.s3.clearRequests();
    h.clock.now += 60_000;
    const unchanged = await feeds(app);
    expect((await get(app, "/articles/ferry")).status).toBe(200);
    const quiet = traffic(await h.s3.requests(), h.s3.bucket);
    expect(quiet.lists.length).toBeLessThanOrEqual(1);
    expect(quiet.articles.filter((o) => o.status !== 304)).toEqual([]);
    // Nothing else is downloaded either (only GETs, none with a body).
    expect(quiet.others.filter((r) => r.method !== "GET" || r.status === 200)).toEqual([]);
    for (const path of FEEDS) expect(unchanged[path].titles).toEqual(NEWEST_FIRST);

    // One object changed: that object downloaded once; anything else only as a 304.
    await h.put("ferry.md", article({ body: "The terminal now has a cafe." }));
    await h.s3.clearRequests();
    h.clock.now += 60_000;
    const changed = await feeds(app);
    expect(changed["/feed.json"].body).toContain("now has a cafe");
    const busy = traffic(await h.s3.requests(), h.s3.bucket);
    expect(busy.lists.length).toBeLessThanOrEqual(1);
    expect(busy.articles.filter((o) => o.status === 200)).toEqual([
      { key: "ferry.md", status: 200 },
    ]);
    expect(busy.articles.filter((o) => o.status !== 200 && o.status !== 304)).toEqual([]);
    expect(busy.others.filter((r) => r.method !== "GET" || r.status === 200)).toEqual([]);
  });

  it("picks up an added article and drops a deleted one at the next check", async () => {
    const h = await setup();
    const { app } = h.runtime();
    await feeds(app);
    expect((await get(app, "/articles/ferry")).status).toBe(200);

    await h.put(
      "2024/election.md",
      article({
        title: "Turnout record in local election",
        date: "2024-03-04",
        tags: ["Politics"],
      }),
    );
    await h.remove("ferry.md");
    h.clock.now += 60_000;

    const got = await feeds(app);
    for (const path of FEEDS) {
      expect(got[path].titles, path).toEqual([
        "Turnout record in local election",
        "Coral survives the heatwave",
        "Night buses run later",
      ]);
    }
    expect((await get(app, "/articles/election")).status).toBe(200);
    expect((await get(app, "/articles/ferry")).status).toBe(404);
    expect((await get(app, "/tags/politics/atom.xml")).status).toBe(200);
  });

  it("serves the last good feeds while S3 is down, logs it, and recovers when S3 is back", async () => {
    const h = await setup();
    const { app } = h.runtime();
    const good = await feeds(app);
    const page = await get(app, "/articles/coral");
    expect(page.status).toBe(200);

    await h.s3.stop();
    h.clock.now += 60_000;
    const during = await feeds(app);
    for (const path of FEEDS) {
      expect(during[path].etag, path).toBe(good[path].etag);
      expect(during[path].body, path).toBe(good[path].body);
    }
    expect(await get(app, "/articles/coral")).toMatchObject({ status: 200, etag: page.etag });
    const conditional = await get(app, "/atom.xml", {
      "if-none-match": String(good["/atom.xml"].etag),
    });
    expect(conditional.status).toBe(304);

    const failures = h.log.entries.filter((e) => e.level === "error");
    expect(failures.map((e) => e.message)).toContain(
      "article store check failed; serving the last good articles",
    );
    const failure = failures.find((e) => e.message.startsWith("article store check failed"));
    expect(failure?.fields?.store).toBe(`s3://${h.s3.bucket}/${PREFIX}`);
    expect(String(failure?.fields?.reason)).toMatch(/^S3 store: cannot /);

    await h.s3.start();
    await h.put("science/coral.md", article({ title: "Coral reef recovers", date: "2024-03-03" }));
    const errorsBefore = h.log.entries.filter((e) => e.level === "error").length;
    h.clock.now += 60_000;
    const recovered = await feeds(app);
    for (const path of FEEDS) {
      expect(recovered[path].titles[0], path).toBe("Coral reef recovers");
      expect(recovered[path].etag, path).not.toBe(good[path].etag);
    }
    expect(h.log.entries.filter((e) => e.level === "error")).toHaveLength(errorsBefore);
  });

  it("answers 503 with Retry-After on a cold start while S3 is down, never an empty feed", async () => {
    const h = await setup();
    await h.s3.stop();
    const { app } = h.runtime();

    // Repeated requests inside the retry window must not fall back to an empty catalog.
    for (const step of [0, 0, 1_000, 2_000]) {
      h.clock.now += step;
      for (const path of [...FEEDS, "/", "/articles/ferry", "/tags/science/feed.xml"]) {
        const response = await get(app, path);
        expect(response.status, `${path} at +${step} ms`).toBe(503);
        expect(Number(response.headers.get("retry-after")), path).toBeGreaterThan(0);
        expect(response.headers.get("cache-control"), path).toBe("no-store");
        expect(response.etag, path).toBeNull();
        expect(response.body, path).not.toMatch(/<rss|<feed|"items"/);
      }
    }
    const cold = h.log.entries.filter(
      (e) => e.message === "article store unavailable and nothing loaded yet",
    );
    expect(cold.length).toBeGreaterThan(0);
    expect(cold[0]?.fields?.store).toBe(`s3://${h.s3.bucket}/${PREFIX}`);

    await h.s3.start();
    h.clock.now += 60_000;
    const got = await feeds(app);
    for (const path of FEEDS) expect(got[path].titles, path).toEqual(NEWEST_FIRST);
  });
});
