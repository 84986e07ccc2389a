/**
 * One bad article never takes anything else down: whatever its content (legacy HTML, deep
 * nesting, super-linear Markdown, a file that breaks after listing) or whichever compile step
 * throws on it, every route answers below 500 and every other article is served.
 */
import { describe, expect, it } from "vitest";
import { type CompileSteps, DEFAULT_STEPS } from "../../functions/articles/compile.ts";
import { renderIsolated } from "../../functions/feeds/isolate.ts";
import { renderRss } from "../../functions/feeds/rss.ts";
import { memoryLogger } from "../../functions/log.ts";
import {
  articleFile,
  feedDoc,
  feedEntry,
  type MemoryStore,
  memoryStore,
} from "../fixtures/index.ts";
import { appFor } from "../support/server.ts";

const NOW = Date.parse("2024-07-01T00:00:00Z");
const ROUTES = [
  "/",
  "/feed.xml",
  "/atom.xml",
  "/feed.json",
  "/tags/transport/feed.xml",
  "/tags/transport/atom.xml",
  "/tags/transport/feed.json",
  "/tags/transport",
  "/opml.xml",
];

/** The app over `files` as runtime.ts wires it, with compile steps for the test. */
function appOver(files: MemoryStore, { steps }: { steps?: CompileSteps } = {}) {
  const { app, log, local } = appFor(files, { now: () => NOW, ...(steps ? { steps } : {}) });
  return { app, log, store: files, local };
}

/** Three healthy articles plus `bad.md` (the newest) holding `body`. */
function site(body: string, { steps, store }: { steps?: CompileSteps; store?: MemoryStore } = {}) {
  const files = store ?? memoryStore();
  for (const n of [1, 2, 3])
    files.put(`good-${n}.md`, articleFile({ title: `Good ${n}`, date: `2024-06-0${n}` }));
  files.put("bad.md", articleFile({ title: "Bad one", date: "2024-06-20" }, body));
  return appOver(files, steps ? { steps } : {});
}

async function expectAllServing(
  app: ReturnType<typeof site>["app"],
  goodSlugs = ["good-1", "good-2", "good-3"],
) {
  for (const route of ROUTES) {
    const res = await app.request(route);
    const text = await res.text();
    expect(res.status, `${route}: ${text.slice(0, 200)}`).toBe(200);
    if (route !== "/opml.xml")
      for (const slug of goodSlugs)
        expect(text, `${route} lists ${slug}`).toContain(`/articles/${slug}`);
  }
  for (const slug of goodSlugs) expect((await app.request(`/articles/${slug}`)).status).toBe(200);
}

describe("article content cannot fail a route", () => {
  it("legacy HTML (<font color>, <center align>) renders safely in every feed and the page", async () => {
    const { app } = site('A <font color="red">red</font> word.\n\n<center align=x>mid</center>\n');
    await expectAllServing(app, ["good-1", "good-2", "good-3", "bad"]);
    const page = await (await app.request("/articles/bad")).text();
    expect(page).toContain("A red word.");
    expect(page).not.toContain("<font");
  });

  it.each([
    ["2,000 × '>' then x", `${">".repeat(2_000)} x\n`],
    ["1,200 × '- ' then x", `${"- ".repeat(1_200)}x\n`],
  ])(
    "deep nesting (%s) skips that article with one log line; the rest serve",
    async (_name, body) => {
      const { app, log } = site(body);
      await expectAllServing(app);
      expect((await app.request("/articles/bad")).status).toBe(404);
      const lines = log.entries.filter((e) => e.fields?.file === "bad.md");
      expect(lines).toHaveLength(1);
      expect(lines[0]?.fields?.reason).toMatch(/nested \d+ levels deep/);
    },
  );

  it("super-linear Markdown families (64 KB paragraphs) render without a blow-up", async () => {
    // Each took marked 0.7–1.7 s at 64 KB on this machine (bench/markdown-engines.ts); one feed
    // held all of them. The bound only catches a return to super-linear time.
    const store = memoryStore();
    const patterns = ["]([\n", "[[[[]]]]", "<", "\\``", "[x]: /u\n[x] "];
    for (const [i, unit] of patterns.entries()) {
      const body = unit.repeat(65_536 / unit.length);
      store.put(`slow-${i}.md`, articleFile({ title: `Slow ${i}`, date: `2024-06-1${i}` }, body));
    }
    const { app } = site("fine", { store });
    const started = performance.now();
    const res = await app.request("/feed.xml");
    expect(res.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it("an article page whose file stops parsing after the listing answers below 500", async () => {
    const { app, store, log } = site("Fine text.");
    expect((await app.request("/feed.xml")).status).toBe(200);
    store.put("bad.md", "---\ndate: [broken\n---\n");
    const res = await app.request("/articles/bad");
    expect(res.status).toBeLessThan(500);
    expect(
      log.entries.filter((e) => e.level === "error" && e.message === "request failed"),
    ).toEqual([]);
  });

  it("an article whose file broke keeps its compiled page until the next check, then is a 404 logged once", async () => {
    const files = memoryStore();
    files.put("bad.md", articleFile({ title: "Bad one", date: "2024-06-20" }));
    const { app, log, local } = appOver(files);
    expect((await app.request("/feed.xml")).status).toBe(200);
    files.put("bad.md", "---\ndate: [broken\n---\n");
    expect((await app.request("/articles/bad")).status).toBe(200);
    local.invalidate();
    expect((await app.request("/articles/bad")).status).toBe(404);
    expect((await app.request("/articles/bad")).status).toBe(404);
    expect((await app.request("/feed.xml")).status).toBe(200);
    expect(log.entries.filter((e) => e.message === "article skipped")).toHaveLength(1);
  });
});

describe("a throwing step at each stage of the compile", () => {
  const STAGES = ["decode", "parse", "render", "sanitize", "sanitizeMarkdown"] as const;
  it.each(STAGES)(
    "%s: the article is skipped with one log line; every route serves",
    async (stage) => {
      const step = DEFAULT_STEPS[stage] as (...args: unknown[]) => unknown;
      const steps = {
        ...DEFAULT_STEPS,
        [stage]: (...args: unknown[]) => {
          const text = String(args[stage === "parse" ? 1 : 0] ?? "");
          const isBad =
            stage === "decode"
              ? args[0] === "bad.md"
              : stage === "parse"
                ? (args[0] as { key: string }).key === "bad.md"
                : text.includes("BAD-MARKER");
          if (isBad) throw new RangeError(`injected ${stage} failure`);
          return step(...args);
        },
      } as CompileSteps;
      // `<b>` takes the general sanitizer; without raw HTML the md4c-output one runs.
      const body = stage === "sanitize" ? "BAD-MARKER <b>text</b>" : "BAD-MARKER text";
      const { app, log } = site(body, { steps });
      await expectAllServing(app);
      expect((await app.request("/articles/bad")).status).toBe(404);
      const lines = log.entries.filter((e) => e.fields?.file === "bad.md");
      expect(lines).toHaveLength(1);
      expect(String(lines[0]?.fields?.reason)).toContain(`injected ${stage} failure`);
    },
  );

  it("read: a store read that throws skips the article; the rest serve", async () => {
    const store = memoryStore();
    const { app, log } = site("fine", { store });
    const read = store.read.bind(store);
    store.read = async (key) => {
      if (key === "bad.md") throw new Error("EIO: i/o error");
      return read(key);
    };
    await expectAllServing(app);
    expect(log.entries.filter((e) => e.fields?.file === "bad.md")).toHaveLength(1);
  });

  it("feed rendering: an entry the renderer throws on is dropped and logged; the rest render", () => {
    const doc = feedDoc({
      entries: [1, 2, 3].map((n) =>
        feedEntry({
          id: `urn:uuid:0000000${n}-0000-5000-8000-000000000000`,
          url: `https://news.example.com/articles/${n}`,
        }),
      ),
    });
    const bad = doc.entries[0];
    if (!bad) throw new Error("fixture has no entries");
    const log = memoryLogger();
    const xml = renderIsolated(
      doc,
      (d) => {
        if (d.entries.includes(bad)) throw new TypeError("injected render failure");
        return renderRss(d);
      },
      log,
    );
    for (const entry of doc.entries.slice(1)) expect(xml).toContain(entry.id);
    expect(xml).not.toContain(bad.id);
    expect(log.entries).toMatchObject([
      { message: "feed entry skipped", fields: { article: bad.url } },
    ]);
  });
});
