/**
 * Dateline for tests, three ways:
 *
 *   const content = await contentDir({ files: HARD_CASES });      // temp copy of content/ (+ extras)
 *   const site = appFor(memoryStore({...}), { env: { FEED_LIMIT: "5" }, now: () => t });
 *   await site.get("/feed.xml", { "if-none-match": etag });       // in process, app.request()
 *   const server = await startServer({ contentDir: content.dir }); // `npm start` as a child process
 *   await server.dispose(); await content.dispose();
 */
import { type ChildProcess, spawn } from "node:child_process";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll } from "vitest";
import type { CompileSteps } from "../../functions/articles/compile.ts";
import { type Config, loadConfig } from "../../functions/config.ts";
import type { App } from "../../functions/http/app.ts";
import { createApp } from "../../functions/http/app.ts";
import type { IndexView } from "../../functions/index/index.ts";
import { LocalIndex } from "../../functions/index/local.ts";
import { memoryLogger } from "../../functions/log.ts";
import { FolderStore } from "../../functions/storage/folder.ts";
import type { ArticleStore } from "../../functions/storage/store.ts";

export const SITE = "https://news.example.com";
export const REPO = fileURLToPath(new URL("../../", import.meta.url));
export const SAMPLE_CONTENT = join(REPO, "content");

/** The feed routes of a scope path ("" for the site, `/tags/x`). */
export const FORMATS = ["feed.xml", "atom.xml", "feed.json"] as const;
export const CONTENT_TYPES = {
  "feed.xml": "application/rss+xml; charset=utf-8",
  "atom.xml": "application/atom+xml; charset=utf-8",
  "feed.json": "application/feed+json; charset=utf-8",
} as const;

/**
 * Articles that break naive generators: markup and entities in every text field, a hostile
 * body, a katakana slug with a modifier letter, two articles in the same second, several
 * authors, a wire story, an attachment, a draft, a future article and a broken file.
 */
export const HARD_CASES: Record<string, string> = {
  "hard/markup.md": `---
title: "Q&A: <Tags> & \\"quotes\\" in 'titles' ]]> done"
date: 2026-01-15T08:00:00+01:00
updated: 2026-01-16T09:30:00Z
authors:
  - name: "Zoë <Z> O'Brien & Co"
    email: zoe@example.com
  - Ana Müller
tags: ["C++", "R&D", "Q&A"]
summary: "Less < more & ]]> \\"quoted\\" summary"
---

Intro with <script>alert(1)</script> and a [bad link](javascript:alert(1)) and a
[relative link](/articles/coffee) and <img src="/img/a.png" onerror="alert(2)"> ]]> end &amp; more.

<iframe src="https://evil.example"></iframe><style>body{display:none}</style>
`,
  "hard/katakana.md": `---
title: コーヒーの話
date: 2026-01-10T12:00:00Z
slug: コーヒー
author: 田中 花子
tags: [コーヒー, Culture]
lang: ja
---

コーヒーについての記事です。
`,
  "hard/same-second-a.md": `---
title: Same second A
date: 2026-01-05T10:00:00Z
author: Ana Müller
tags: [Ties]
---

Tie A.
`,
  "hard/same-second-b.md": `---
title: Same second B
date: 2026-01-05T10:00:00.400Z
author: Ana Müller
tags: [Ties]
---

Tie B.
`,
  "hard/podcast.md": `---
title: "Episode 12: harbour sounds"
date: 2026-01-02T06:00:00Z
author:
  name: Priya Raman
  url: /staff/priya
tags: [Podcast]
image: /images/episode-12.png
attachments:
  - url: /audio/episode-12.mp3
    type: audio/mpeg
    size: 1234567
    title: Episode 12
    duration: 1800
---

Listen to the harbour at dawn.
`,
  "hard/wire-2026-01-03.txt":
    "date 2026-01-03 BUSAN (DATELINE NEWS)- Busan opened a new ferry pier on Saturday, officials said.\n\nThe pier serves three routes.\n",
  "hard/draft.md": "---\ntitle: Not yet\ndate: 2026-01-01\ndraft: true\n---\n\nSecret.\n",
  "hard/future.md": "---\ntitle: From the future\ndate: 2099-01-01\n---\n\nLater.\n",
  "hard/broken.md": "---\ntitle: Broken\ndate: 2024-02-30\n---\n\nNo such day.\n",
};

/** Slugs of HARD_CASES that are published (not the draft, future or broken ones). */
export const HARD_SLUGS = [
  "markup",
  "コーヒー",
  "same-second-a",
  "same-second-b",
  "podcast",
  "wire-2026-01-03",
];

/** Front matter plus body, JSON-quoted so any value is written exactly (JSON is YAML). */
export function md(fields: Record<string, unknown>, body = "Body text.\n"): string {
  const yaml = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}: ${JSON.stringify(value)}\n`)
    .join("");
  return `---\n${yaml}---\n\n${body}`;
}

/** `count` articles a day apart from 2025-01-01 (`a-01.md`, the oldest, to `a-<count>.md`). */
export function manyArticles(
  count: number,
  extra: Record<string, unknown> = {},
): Record<string, string> {
  return Object.fromEntries(
    Array.from({ length: count }, (_, i) => {
      const n = String(i + 1).padStart(2, "0");
      const date = new Date(Date.UTC(2025, 0, 1 + i, 12)).toISOString();
      return [`a-${n}.md`, md({ title: `Article ${n}`, date, author: "Desk", ...extra })];
    }),
  );
}

export interface ContentDir {
  readonly dir: string;
  /** Writes (creating folders) a file below the content folder. */
  write(path: string, text: string): Promise<void>;
  remove(path: string): Promise<void>;
  dispose(): Promise<void>;
}

/** A temp content folder: a copy of the repository's content/ (unless `sample: false`) plus `files`. */
export async function contentDir({
  sample = true,
  files = {},
}: {
  sample?: boolean;
  files?: Record<string, string>;
} = {}): Promise<ContentDir> {
  const root = await mkdtemp(join(tmpdir(), "dateline-content-"));
  const dir = join(root, "content");
  if (sample) await cp(SAMPLE_CONTENT, dir, { recursive: true });
  else await mkdir(dir);
  const write = async (path: string, text: string) => {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  };
  for (const [path, text] of Object.entries(files)) await write(path, text);
  return {
    dir,
    write,
    remove: (path) => rm(join(dir, path), { force: true }),
    dispose: () => rm(root, { recursive: true, force: true }),
  };
}

/** Config from a test environment; SITE_URL defaults to SITE. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ SITE_URL: SITE, ...env });
}

/**
 * An index view that counts the feed entries' bodies the app reads (one per entry rendered);
 * article pages read their one item per request (from memory locally), not counted.
 */
export function countingIndex(view: IndexView): IndexView & { bodies: number } {
  const counted = {
    bodies: 0,
    page: async (...args: Parameters<IndexView["page"]>) => {
      const page = await view.page(...args);
      counted.bodies += page.items.length;
      return page;
    },
    metas: (...args: Parameters<IndexView["metas"]>) => view.metas(...args),
    above: (...args: Parameters<IndexView["above"]>) => view.above(...args),
    article: (slug: string) => view.article(slug),
    summary: (...args: Parameters<IndexView["summary"]>) => view.summary(...args),
    scopes: () => view.scopes(),
  };
  return counted;
}

export interface AppSite {
  readonly config: Config;
  readonly app: App;
  readonly local: LocalIndex;
  /** The index as the app reads it, counting bodies read. */
  readonly index: ReturnType<typeof countingIndex>;
  readonly log: ReturnType<typeof memoryLogger>;
  /** `app.request()` with a path (and query) and request headers. */
  request(
    path: string,
    init?: { method?: string; headers?: Record<string, string> },
  ): Promise<Response>;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
}

/**
 * The app over a temporary copy of content/ plus HARD_CASES, created before the calling file's
 * tests and removed after them. Read `.site` inside tests (it exists once beforeAll has run).
 */
export function useHardCaseSite(): { readonly site: AppSite } {
  const holder = {} as { site: AppSite; content?: ContentDir };
  beforeAll(async () => {
    holder.content = await contentDir({ files: HARD_CASES });
    holder.site = appFor(new FolderStore(holder.content.dir));
  });
  afterAll(() => holder.content?.dispose());
  return holder;
}

/** The app over `store`, in process, as runtime.ts wires it, with a counting index. */
export function appFor(
  store: ArticleStore,
  {
    env = {},
    now = Date.now,
    steps,
  }: { env?: Record<string, string>; now?: () => number; steps?: CompileSteps } = {},
): AppSite {
  const config = testConfig(env);
  const log = memoryLogger();
  const local = new LocalIndex(store, {
    siteUrl: config.siteUrl,
    revalidateMs: config.revalidateSeconds * 1000,
    log,
    now,
    preview: config.previewDrafts,
    ...(steps ? { steps } : {}),
  });
  const index = countingIndex(local.index);
  const app = createApp({ config, index, log, now, sync: () => local.sync() });
  const request: AppSite["request"] = async (path, init = {}) =>
    app.request(path, { method: init.method ?? "GET", headers: init.headers ?? {} });
  const get: AppSite["get"] = (path, headers) => request(path, { headers });
  return { config, app, local, index, log, request, get };
}

/** A port that was free a moment ago (PORT must be 1–65535, so 0 cannot be passed). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export interface RunningServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Every line the server wrote so far (stdout and stderr). */
  lines(): string[];
  /** The JSON log records written so far. */
  records(): { level: string; message: string; [field: string]: unknown }[];
  dispose(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;

/**
 * `npm start` as a child process (`node --import tsx functions/server.ts`) on a free port of
 * 127.0.0.1, resolved once it logs "Dateline is serving".
 */
export async function startServer({
  contentDir,
  env = {},
  unprivileged = false,
}: {
  contentDir: string;
  env?: Record<string, string>;
  /**
   * Run as `nobody` when the tests run as root (file permissions do not bind root); the caller
   * checks that nobody can read the checkout.
   */
  unprivileged?: boolean;
}): Promise<RunningServer> {
  const port = await freePort();
  const asNobody = unprivileged && process.getuid?.() === 0;
  const command = [process.execPath, "--import", "tsx", "functions/server.ts"];
  const [file, ...args] = asNobody
    ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", ...command]
    : command;
  const child: ChildProcess = spawn(file as string, args, {
    cwd: REPO,
    env: {
      ...process.env,
      PORT: String(port),
      CONTENT_DIR: contentDir,
      SITE_URL: SITE,
      CONTENT_BUCKET: "",
      // Beside the content folder (each test has its own): pass STATE_FILE to keep one across
      // restarts on purpose.
      STATE_FILE: join(dirname(contentDir), ".dateline-state.json"),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  let exited = false;
  const collect = (stream: NodeJS.ReadableStream | null) => {
    let rest = "";
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop() ?? "";
      lines.push(...parts);
    });
  };
  collect(child.stdout);
  collect(child.stderr);
  const exit = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  void exit.then(() => {
    exited = true;
  });
  const stop = async () => {
    if (exited) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exit;
    clearTimeout(timer);
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!lines.some((l) => l.includes("Dateline is serving"))) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`server did not start:\n${lines.join("\n")}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    lines: () => [...lines],
    records: () =>
      lines.flatMap((line) => {
        try {
          return [JSON.parse(line)];
        } catch {
          return [];
        }
      }),
    dispose: stop,
  };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  { timeoutMs = 15_000, what = "condition" }: { timeoutMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
