/**
 * The feeds' browser view: real headless Chromium opens /feed.xml and /atom.xml from the app on
 * 127.0.0.1 and renders them through /feed.xsl. Needs the Debian package `chromium`
 * (/usr/bin/chromium); without it the suite is skipped, saying so, except under CI (CI=true, as
 * .ci/run sets it), where a missing Chromium fails the run.
 */
import { existsSync, readFileSync } from "node:fs";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type ServerType, serve } from "@hono/node-server";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ArticleMeta } from "../../functions/articles/article.ts";
import { loadConfig } from "../../functions/config.ts";
import type { App } from "../../functions/http/app.ts";
import { memoryLogger } from "../../functions/log.ts";
import { createRuntime } from "../../functions/runtime.ts";
import { FolderStore } from "../../functions/storage/folder.ts";

const CHROMIUM = "/usr/bin/chromium";
const available = existsSync(CHROMIUM);
const IN_CI = /^(1|true)$/i.test(process.env.CI ?? "");
const SAMPLE = fileURLToPath(new URL("../../content", import.meta.url));
const LIMIT = 4;
const PAGE_SIZE = 3;
/** The app's clock: the sample articles and HOSTILE are all published by then. */
const NOW = Date.parse("2026-11-30T00:00:00Z");
/** Markup characters and entity look-alikes must come out as the same text, never as markup. */
const HOSTILE = {
  title: `Q&A: <b>bold</b> & "quotes" 'apostrophes' &amp; 5 < 6`,
  summary: "Less <i>is</i> more & ]]> &lt;kept&gt;",
  date: "2026-11-01T00:00:00Z",
  authors: ["Desk", "Ana Müller"],
};

let tmp: string | undefined;
let server: ServerType | undefined;
let base: string;
let browser: Browser | undefined;
let articles: ArticleMeta[];

beforeAll(async () => {
  if (!available) return;
  tmp = await mkdtemp(join(tmpdir(), "dateline-feed-view-"));
  const content = join(tmp, "content");
  await cp(SAMPLE, content, { recursive: true });
  const yaml = Object.entries(HOSTILE).map(([k, v]) => `${k}: ${JSON.stringify(v)}\n`);
  await writeFile(join(content, "hostile.md"), `---\n${yaml.join("")}---\n\nBody.\n`);
  await mkdir(join(tmp, "screenshots"));

  // The stylesheet must come from the feed's own origin, so SITE_URL is the server's address:
  // listen first (port 0), then build the app for that address.
  let app: App | undefined;
  const listening = serve({
    fetch: (request) => (app ? app.fetch(request) : new Response("starting", { status: 503 })),
    hostname: "127.0.0.1",
    port: 0,
  });
  server = listening;
  await new Promise<void>((resolve) => listening.once("listening", () => resolve()));
  base = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
  const config = loadConfig({
    SITE_URL: base,
    CONTENT_DIR: content,
    FEED_LIMIT: String(LIMIT),
    PAGE_SIZE: String(PAGE_SIZE),
  });
  const runtime = createRuntime(config, new FolderStore(content), memoryLogger(), () => NOW);
  app = runtime.app;
  await runtime.local.sync();
  articles = await runtime.local.articles();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  if (!tmp) return;
  // KEEP_SCREENSHOTS=1 keeps the PNGs for a look by hand (the folder is printed).
  if (process.env.KEEP_SCREENSHOTS) console.info(`feed view screenshots: ${tmp}/screenshots`);
  else await rm(tmp, { recursive: true, force: true });
});

async function open(path: string): Promise<Page> {
  if (!browser) throw new Error("no browser");
  const page = await browser.newPage({ viewport: { width: 900, height: 1200 } });
  const response = await page.goto(`${base}${path}`);
  expect(response?.status()).toBe(200);
  return page;
}

/** The little of the DOM read below (the project compiles without the DOM library). */
interface Node {
  textContent: string | null;
  getAttribute(name: string): string | null;
  querySelector(selector: string): Node | null;
  querySelectorAll(selector: string): Iterable<Node> & { length: number };
}

/** What the stylesheet produced, read from the rendered DOM. */
async function rendered(page: Page) {
  return page.evaluate(() => {
    const document = (globalThis as unknown as { document: Node & { contentType: string } })
      .document;
    return {
      contentType: document.contentType,
      heading: document.querySelector("h1")?.textContent?.trim() ?? "",
      about: document.querySelector("section.about")?.textContent?.replace(/\s+/g, " ") ?? "",
      address: document.querySelector("section.about .address")?.textContent?.trim() ?? "",
      items: [...document.querySelectorAll("ol.items > li")].map((li) => ({
        title: li.querySelector("h2 a")?.textContent?.trim() ?? "",
        href: li.querySelector("h2 a")?.getAttribute("href") ?? "",
        date: li.querySelector("time")?.getAttribute("datetime") ?? "",
        summary: li.querySelector(".summary")?.textContent?.trim() ?? "",
        meta: li.querySelector(".meta")?.textContent?.replace(/\s+/g, " ").trim() ?? "",
        markup: li.querySelectorAll("b, i").length,
      })),
      older: document.querySelector("a[rel=next]")?.getAttribute("href") ?? "",
    };
  });
}

describe.runIf(!available && IN_CI)("under CI", () => {
  it(`has Chromium at ${CHROMIUM} (.ci/run installs the Debian package "chromium")`, () => {
    expect.fail(`${CHROMIUM} is missing: under CI the browser view must be tested, not skipped`);
  });
});

describe.skipIf(!available)(
  `feeds in a browser${available ? "" : ` (skipped: ${CHROMIUM} is missing; install the Debian package "chromium")`}`,
  () => {
    it.each([
      ["RSS", "/feed.xml"],
      ["Atom", "/atom.xml"],
    ])("renders %s %s as a readable page through /feed.xsl", async (format, path) => {
      const page = await open(path);
      try {
        const view = await rendered(page);
        // Transformed to HTML: without the stylesheet Chromium shows the XML as text.
        expect(view.contentType).toBe("text/html");
        expect(view.heading).toBe("Dateline");
        expect(view.about).toContain(`This is a web feed, also called an ${format} feed.`);
        expect(view.about).toContain("copy this address into your reader");
        expect(view.address).toBe(`${base}${path}`);

        const newest = articles.slice(0, LIMIT);
        expect(newest[0]?.title).toBe(HOSTILE.title);
        expect(view.items).toEqual(
          newest.map((a) => ({
            title: a.title,
            href: `${base}/articles/${encodeURIComponent(a.slug)}`,
            date: a.date.toISOString().slice(0, 10),
            summary: a.summary,
            // The byline lists every author after the date.
            meta: expect.stringMatching(
              new RegExp(
                `· ${a.authors.map((p) => p.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(", ")}$`,
              ),
            ),
            markup: 0,
          })),
        );
        for (const article of newest) {
          const link = page.getByRole("link", { name: article.title, exact: true });
          expect(await link.isVisible(), article.title).toBe(true);
        }

        const file = join(tmp as string, "screenshots", `${format.toLowerCase()}.png`);
        await page.screenshot({ path: file, fullPage: true });
        const png = readFileSync(file);
        expect(png.subarray(0, 8)).toEqual(
          Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
        );
        expect(png.byteLength).toBeGreaterThan(10_000);
      } finally {
        await page.close();
      }
    });

    it("follows the Older articles link to a rendered archive page of PAGE_SIZE items", async () => {
      const page = await open("/atom.xml");
      try {
        expect((await rendered(page)).older).toMatch(/\/atom\.xml\?before=/);
        await page.getByRole("link", { name: "Older articles" }).click();
        await page.waitForURL(/before=/);
        const archive = await rendered(page);
        expect(archive.heading).toBe("Dateline");
        expect(archive.items.map((i) => i.title)).toEqual(
          articles.slice(LIMIT, LIMIT + PAGE_SIZE).map((a) => a.title),
        );
      } finally {
        await page.close();
      }
    });
  },
);
