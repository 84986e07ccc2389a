import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MemoryServedLog } from "../../functions/http/served.ts";
import { memoryLogger } from "../../functions/log.ts";
import { createRuntime } from "../../functions/runtime.ts";
import { FolderStore } from "../../functions/storage/folder.ts";
import type { ArticleStore, StoredFile } from "../../functions/storage/store.ts";
import {
  appFor,
  type ContentDir,
  contentDir,
  FORMATS,
  HARD_CASES,
  manyArticles,
  md,
  SITE,
  testConfig,
} from "../support/server.ts";

const dirs: ContentDir[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => d.dispose()));
});

async function folder(files: Record<string, string>, sample = false): Promise<ContentDir> {
  const content = await contentDir({ sample, files });
  dirs.push(content);
  return content;
}

/** A FolderStore that counts list() and read() calls. */
class CountingStore implements ArticleStore {
  lists = 0;
  reads = 0;
  readonly #inner: FolderStore;
  readonly location: string;
  constructor(dir: string) {
    this.#inner = new FolderStore(dir);
    this.location = this.#inner.location;
  }
  list(): Promise<StoredFile[]> {
    this.lists++;
    return this.#inner.list();
  }
  read(key: string): Promise<Uint8Array> {
    this.reads++;
    return this.#inner.read(key);
  }
}

/** A clock the test moves by hand. */
function clock(start = Date.parse("2026-11-30T00:00:00Z")) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

const ROUTES = [
  "/",
  "/feed.xml",
  "/atom.xml",
  "/feed.json",
  "/articles/a-03",
  "/feed.json?limit=2",
];

describe("Cache-Control and RSS ttl", () => {
  it.each([
    ["300", 300, 5],
    ["90", 90, 2],
    ["61", 61, 2],
    ["3600", 3600, 60],
  ])(
    "CACHE_MAX_AGE=%s: max-age on every route, RSS ttl of ceil(N/60) on every page",
    async (env, age, ttl) => {
      const content = await folder(manyArticles(5));
      const site = appFor(new FolderStore(content.dir), { env: { CACHE_MAX_AGE: env } });
      const first = (await (await site.get("/feed.json?limit=2")).json()) as { next_url: string };
      const archive = first.next_url.replace(SITE, "");
      for (const path of [
        ...ROUTES,
        "/feed.xml?limit=2",
        archive,
        archive.replace("feed.json", "feed.xml"),
      ]) {
        const res = await site.get(path);
        expect(res.status, path).toBe(200);
        const cc = res.headers.get("cache-control") as string;
        expect(cc, path).toMatch(new RegExp(`^public, max-age=${age}(,|$)`));
        expect(cc, path).toMatch(/stale-while-revalidate=\d+/);
        if (path.includes("feed.xml"))
          expect(await res.text(), path).toContain(`<ttl>${ttl}</ttl>`);
      }
    },
  );

  it("CACHE_MAX_AGE=0 means revalidate every time, with no RSS ttl", async () => {
    const content = await folder(manyArticles(2));
    const site = appFor(new FolderStore(content.dir), { env: { CACHE_MAX_AGE: "0" } });
    const res = await site.get("/feed.xml");
    expect(res.headers.get("cache-control")).toMatch(/^public, max-age=0,/);
    expect(await res.text()).not.toContain("<ttl>");
  });

  it("errors are not cached like content", async () => {
    const content = await folder(manyArticles(2));
    const site = appFor(new FolderStore(content.dir));
    expect((await site.get("/feed.xml?limit=0")).headers.get("cache-control")).toBe("no-store");
    expect((await site.request("/feed.xml", { method: "POST" })).headers.get("cache-control")).toBe(
      "no-store",
    );
    expect((await site.get("/nope")).headers.get("cache-control")).toMatch(/max-age=60$/);
  });
});

describe("rendered once per content version", () => {
  it("repeated requests (any encoding, HEAD, 304) render nothing again and read nothing", async () => {
    const content = await folder(manyArticles(6, { tags: ["x"] }));
    const store = new CountingStore(content.dir);
    const site = appFor(store);
    const paths = [...ROUTES, "/tags/x/atom.xml", "/tags/x"];
    const first = new Map<string, string>();
    for (const p of paths) first.set(p, await (await site.get(p)).text());
    const bodies = site.index.bodies;
    const reads = store.reads;
    const lists = store.lists;
    for (let i = 0; i < 3; i++) {
      for (const p of paths) {
        const res = await site.get(p);
        expect(await res.text()).toBe(first.get(p));
        await site.get(p, { "accept-encoding": "br" });
        await site.get(p, { "accept-encoding": "gzip" });
        await site.request(p, { method: "HEAD" });
        await site.get(p, { "if-none-match": res.headers.get("etag") as string });
      }
    }
    expect(site.index.bodies).toBe(bodies);
    expect(store.reads).toBe(reads);
    expect(store.lists).toBe(lists); // within REVALIDATE_SECONDS the store is not even listed
  });

  it("concurrent first requests share one render", async () => {
    const content = await folder(manyArticles(5));
    const site = appFor(new FolderStore(content.dir));
    const bodies = await Promise.all(
      Array.from({ length: 12 }, () => site.get("/atom.xml").then((r) => r.text())),
    );
    expect(new Set(bodies).size).toBe(1);
    expect(site.index.bodies).toBe(5); // one body per entry, once
  });

  it("local.invalidate() after a change gives new bytes and a new ETag; unchanged files are not re-read", async () => {
    const content = await folder(manyArticles(4));
    const store = new CountingStore(content.dir);
    const site = appFor(store);
    const before = await site.get("/feed.xml");
    const beforeBody = await before.text();
    const readsBefore = store.reads;

    await content.write(
      "a-02.md",
      md({ title: "Article 02, corrected headline", date: "2025-01-02T12:00:00Z", author: "Desk" }),
    );
    // Without a check of the store nothing changes yet: the same bytes are served.
    expect(await (await site.get("/feed.xml")).text()).toBe(beforeBody);

    site.local.invalidate();
    const after = await site.get("/feed.xml");
    const afterBody = await after.text();
    expect(afterBody).toContain("Article 02, corrected headline");
    expect(after.headers.get("etag")).not.toBe(before.headers.get("etag"));
    expect(store.reads - readsBefore).toBe(1); // the changed file, compiled once (body kept)
    const old = await site.get("/feed.xml", {
      "if-none-match": before.headers.get("etag") as string,
    });
    expect(old.status).toBe(200);
  });

  it("the revalidation interval (injected clock) picks up additions, edits and deletions", async () => {
    const content = await folder(manyArticles(3));
    const time = clock();
    const store = new CountingStore(content.dir);
    const site = appFor(store, { env: { REVALIDATE_SECONDS: "60" }, now: time.now });
    const etag = async () => (await site.get("/feed.json")).headers.get("etag");
    const urls = async () =>
      ((await (await site.get("/feed.json")).json()) as { items: { url: string }[] }).items.map(
        (i) => i.url.replace(`${SITE}/articles/`, ""),
      );
    const first = await etag();
    expect(await urls()).toEqual(["a-03", "a-02", "a-01"]);

    await content.write(
      "b.md",
      md({ title: "Breaking", date: "2025-02-01T00:00:00Z", author: "Desk" }),
    );
    await content.remove("a-01.md");
    time.advance(59_000);
    expect(await etag()).toBe(first);
    expect(store.lists).toBe(1);

    time.advance(1_000);
    expect(await urls()).toEqual(["b", "a-03", "a-02"]);
    expect(await etag()).not.toBe(first);
    expect(store.lists).toBe(2);
  });

  it("an article scheduled for later appears when its time comes, without a store check", async () => {
    const content = await folder({
      "now.md": md({ title: "Now", date: "2026-11-29T00:00:00Z", author: "Desk" }),
      "soon.md": md({ title: "Soon", date: "2026-11-30T00:00:30Z", author: "Desk" }),
    });
    const time = clock();
    const site = appFor(new FolderStore(content.dir), {
      env: { REVALIDATE_SECONDS: "3600" },
      now: time.now,
    });
    const first = await site.get("/feed.xml");
    expect(await first.text()).not.toContain("<title>Soon</title>");
    expect((await site.get("/articles/soon")).status).toBe(404);
    time.advance(31_000);
    const later = await site.get("/feed.xml");
    expect(await later.text()).toContain("<title>Soon</title>");
    expect(later.headers.get("etag")).not.toBe(first.headers.get("etag"));
    expect((await site.get("/articles/soon")).status).toBe(200);
  });
});

describe("changes signalled during a store check", () => {
  it("are picked up by the next request, not lost until the revalidation interval", async () => {
    const content = await folder(manyArticles(2));
    const inner = new FolderStore(content.dir);
    let hold: Promise<void> | undefined;
    let listed: () => void = () => {};
    const store: ArticleStore = {
      location: inner.location,
      read: (key) => inner.read(key),
      async list() {
        const files = await inner.list();
        listed();
        await hold;
        return files;
      },
    };
    const site = appFor(store, { env: { REVALIDATE_SECONDS: "3600" } });
    expect((await site.get("/feed.xml")).status).toBe(200);

    let release: () => void = () => {};
    hold = new Promise((r) => {
      release = r;
    });
    const wasListed = new Promise<void>((r) => {
      listed = r;
    });
    site.local.invalidate();
    const during = site.get("/feed.xml"); // lists the folder, then waits
    await wasListed;
    // The watcher reports a new file while that check is still running.
    await content.write(
      "late.md",
      md({ title: "Late arrival", date: "2026-01-01", author: "Desk" }),
    );
    site.local.invalidate();
    release();
    hold = undefined;
    expect(await (await during).text()).not.toContain("Late arrival");
    expect(await (await site.get("/feed.xml")).text()).toContain("Late arrival");
  });
});

describe("Last-Modified after a change", () => {
  it("never goes backwards when the newest article is deleted, so If-Modified-Since still sees it", async () => {
    const content = await folder(manyArticles(3));
    const time = clock();
    const site = appFor(new FolderStore(content.dir), { now: time.now });
    const first = await site.get("/feed.xml");
    const lastModified = first.headers.get("last-modified") as string;

    await content.remove("a-03.md");
    site.local.invalidate();
    time.advance(5_000);
    const after = await site.get("/feed.xml");
    expect(after.headers.get("etag")).not.toBe(first.headers.get("etag"));
    expect(Date.parse(after.headers.get("last-modified") as string)).toBeGreaterThan(
      Date.parse(lastModified),
    );
    const ims = await site.get("/feed.xml", { "if-modified-since": lastModified });
    expect(ims.status).toBe(200);
    expect(await ims.text()).not.toContain("Article 03");
  });

  it("stays put while nothing changes", async () => {
    const content = await folder(manyArticles(2));
    const time = clock();
    const site = appFor(new FolderStore(content.dir), { now: time.now });
    const a = (await site.get("/atom.xml")).headers.get("last-modified");
    time.advance(3_600_000);
    site.local.invalidate();
    expect((await site.get("/atom.xml")).headers.get("last-modified")).toBe(a);
  });
});

describe("Last-Modified when bytes change for a reason other than an article", () => {
  // One durable log of what was served, as the local state file keeps across restarts.
  const restart = (dir: string, log: MemoryServedLog, now: () => number, env = {}) =>
    createRuntime(testConfig(env), new FolderStore(dir), memoryLogger(), now, { served: log });

  it("moves on a restart with another SITE_URL or title, so If-Modified-Since pollers get the new bytes", async () => {
    const content = await folder(manyArticles(2));
    // The files were written a moment ago: the clock starts after their modification times.
    const time = clock(Math.ceil(Date.now() / 1000) * 1000 + 1000);
    const log = new MemoryServedLog();
    const paths = ["/feed.xml", "/atom.xml", "/feed.json", "/opml.xml", "/", "/articles/a-01"];
    const first = restart(content.dir, log, time.now);
    const before = new Map<string, string>();
    for (const path of paths)
      before.set(path, (await first.app.request(path)).headers.get("last-modified") as string);
    // Articles are from 2025: first served "now", not dated by the articles alone.
    expect(Date.parse(before.get("/feed.xml") as string)).toBe(time.now());

    time.advance(60_000);
    for (const env of [{ SITE_URL: "https://other.example.org" }, { SITE_TITLE: "Renamed" }]) {
      time.advance(60_000);
      const next = restart(content.dir, log, time.now, env);
      for (const path of paths) {
        const since = before.get(path) as string;
        const res = await next.app.request(path, { headers: { "if-modified-since": since } });
        expect(res.status, `${path} ${JSON.stringify(env)}`).toBe(200);
        const lastModified = res.headers.get("last-modified") as string;
        expect(Date.parse(lastModified)).toBeGreaterThan(Date.parse(since));
        before.set(path, lastModified);
      }
    }
  });

  it("stays put across a restart with the same settings (same bytes, same date)", async () => {
    const content = await folder(manyArticles(2));
    // The files were written a moment ago: the clock starts after their modification times.
    const time = clock(Math.ceil(Date.now() / 1000) * 1000 + 1000);
    const log = new MemoryServedLog();
    const a = await restart(content.dir, log, time.now).app.request("/atom.xml");
    time.advance(3_600_000);
    const b = await restart(content.dir, log, time.now).app.request("/atom.xml", {
      headers: { "if-modified-since": a.headers.get("last-modified") as string },
    });
    expect(b.status).toBe(304);
    expect(b.headers.get("last-modified")).toBe(a.headers.get("last-modified"));
  });
});

describe("determinism", () => {
  it("two independent runtimes over one folder serve byte-identical feeds with equal ETags", async () => {
    const content = await folder(HARD_CASES, true);
    const config = testConfig({ CONTENT_DIR: content.dir });
    const a = createRuntime(config, new FolderStore(content.dir), memoryLogger());
    const b = createRuntime(
      config,
      new FolderStore(content.dir),
      memoryLogger(),
      () => Date.now() + 7_000,
    );
    const scopes = ["", "/tags/culture", "/tags/r-d", "/authors/ana-muller"];
    const paths = [
      ...scopes.flatMap((s) => FORMATS.map((f) => `${s}/${f}`)),
      ...FORMATS.map((f) => `/${f}?limit=3`),
      "/",
      "/articles/markup",
      "/tags/culture",
    ];
    for (const path of paths) {
      for (const accept of ["", "br", "gzip"]) {
        const ra = await a.app.request(path, { headers: { "accept-encoding": accept } });
        const rb = await b.app.request(path, { headers: { "accept-encoding": accept } });
        expect(ra.status, path).toBe(200);
        expect(
          Buffer.from(await ra.arrayBuffer()).equals(Buffer.from(await rb.arrayBuffer())),
          `${path} ${accept}`,
        ).toBe(true);
        expect(ra.headers.get("etag"), path).toBe(rb.headers.get("etag"));
        expect(ra.headers.get("last-modified"), path).toBe(rb.headers.get("last-modified"));
      }
    }
  });

  it("a feed does not change with the wall clock", async () => {
    const content = await folder(manyArticles(3));
    const time = clock();
    const site = appFor(new FolderStore(content.dir), { now: time.now });
    const first = await (await site.get("/atom.xml")).text();
    time.advance(86_400_000);
    site.local.invalidate();
    expect(await (await site.get("/atom.xml")).text()).toBe(first);
  });
});

describe("bad input in the store", () => {
  it("serves the good articles and logs each bad file once with its reason", async () => {
    const content = await folder({
      ...manyArticles(2),
      ...HARD_CASES,
      "bad/yaml.md": "---\ntitle: [unclosed\ndate: 2025-01-01\n---\n\nBody\n",
      "bad/empty.md": "",
      "bad/no-date.md": md({ title: "No date" }),
    });
    await content.write("bad/binary.txt", "\u0000\u0001\u0002");
    await writeFile(
      join(content.dir, "bad/latin1.md"),
      Buffer.from("---\ntitle: Caf\xe9\ndate: 2025-01-01\n---\n\nBody\n", "latin1"),
    );
    const site = appFor(new FolderStore(content.dir));
    const feed = (await (await site.get("/feed.json?limit=100")).json()) as { items: unknown[] };
    expect(feed.items).toHaveLength(2 + 6);
    for (let i = 0; i < 3; i++) {
      site.local.invalidate();
      expect((await site.get("/feed.xml")).status).toBe(200);
    }
    const skipped = site.log.entries.filter((e) => e.message === "article skipped");
    const files = skipped.map((e) => e.fields?.file).sort();
    expect(files).toEqual([
      "bad/binary.txt",
      "bad/empty.md",
      "bad/latin1.md",
      "bad/no-date.md",
      "bad/yaml.md",
      "hard/broken.md",
    ]);
    for (const e of skipped) expect(String(e.fields?.reason).length).toBeGreaterThan(5);
    expect(skipped.find((e) => e.fields?.file === "bad/latin1.md")?.fields?.reason).toMatch(
      /UTF-8/,
    );
    expect(skipped.find((e) => e.fields?.file === "hard/broken.md")?.fields?.reason).toMatch(
      /date/,
    );
  });

  it("with the store down at cold start: 503, Retry-After, a short message, no stack; then recovers", async () => {
    const root = await folder({});
    const dir = join(root.dir, "not-there-yet");
    const time = clock();
    const site = appFor(new FolderStore(dir), { now: time.now });
    for (const path of ["/", "/feed.xml", "/atom.xml", "/feed.json", "/articles/a-01", "/tags/x"]) {
      const res = await site.get(path);
      expect(res.status, path).toBe(503);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(res.headers.get("cache-control")).toBe("no-store");
      const body = await res.text();
      expect(body).toBe("Service temporarily unavailable\n");
      expect(body).not.toContain(dir);
    }
    expect(
      site.log.entries.some((e) => e.level === "error" && String(e.fields?.reason).includes(dir)),
    ).toBe(true);

    await mkdir(dir);
    await root.write(
      "not-there-yet/a.md",
      md({ title: "Back", date: "2025-01-01", author: "Desk" }),
    );
    time.advance(60_000);
    const res = await site.get("/feed.xml");
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("<title>Back</title>");
  });

  it("an empty folder serves empty feeds, not errors", async () => {
    const content = await folder({});
    const site = appFor(new FolderStore(content.dir));
    for (const f of FORMATS) expect((await site.get(`/${f}`)).status).toBe(200);
    const doc = (await (await site.get("/feed.json")).json()) as { items: unknown[] };
    expect(doc.items).toEqual([]);
    expect(await (await site.get("/")).text()).toContain("No articles yet.");
  });
});
