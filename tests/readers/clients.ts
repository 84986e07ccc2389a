/**
 * Real feed readers, run headless and isolated (own HOME and XDG folders in a temp folder),
 * against `npm start` through a logging proxy on 127.0.0.1 that records what each client asked
 * (conditional headers) and what it got (status):
 *
 *   newsboat 2.21  `-x reload`, its cache database read back with python3's sqlite3
 *   rss2email 3.13 maildir delivery, `r2e run`, `r2e opmlimport`; mails read with python3's email
 *   python3-feedparser 6, with the ETag / Last-Modified a poller keeps
 *   rss-parser 3.13 (Node)
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createServer, request as httpRequest, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Parser from "rss-parser";

export const PYTHON = "/usr/bin/python3";

/** Every client's binaries, or what is missing (the suite then fails, saying so). */
export async function missingClients(): Promise<string[]> {
  const checks: [string, string[]][] = [
    ["newsboat", ["-v"]],
    ["r2e", ["--version"]],
    [PYTHON, ["-c", "import feedparser, sqlite3"]],
  ];
  const missing: string[] = [];
  for (const [bin, args] of checks) {
    try {
      await run(bin, args, {});
    } catch {
      missing.push(bin);
    }
  }
  return missing;
}

function run(
  bin: string,
  args: string[],
  env: Record<string, string>,
  { cwd, input }: { cwd?: string; input?: string } = {},
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      bin,
      args,
      {
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8", ...env },
        timeout: 60_000,
        maxBuffer: 16 * 1024 * 1024,
        ...(cwd ? { cwd } : {}),
      },
      (error, stdout, stderr) => {
        if (error)
          reject(new Error(`${bin} ${args.join(" ")} failed: ${error.message}\n${stderr}`));
        else resolve({ stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** A temp folder used as HOME and XDG base for one client. */
async function home(name: string): Promise<{ dir: string; env: Record<string, string> }> {
  const dir = await mkdtemp(join(tmpdir(), `dateline-${name}-`));
  for (const sub of ["config", "data", "cache"]) await mkdir(join(dir, sub));
  return {
    dir,
    env: {
      HOME: dir,
      XDG_CONFIG_HOME: join(dir, "config"),
      XDG_DATA_HOME: join(dir, "data"),
      XDG_CACHE_HOME: join(dir, "cache"),
    },
  };
}

export interface ProxiedRequest {
  method: string;
  path: string;
  agent: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  status: number;
}

/** A reverse proxy on 127.0.0.1 in front of the server; the server behind it may change. */
export interface LoggingProxy {
  readonly url: string;
  upstream: string;
  /** Requests answered since the last `clear()`. */
  requests(agent?: string): ProxiedRequest[];
  clear(): void;
  close(): Promise<void>;
}

export async function loggingProxy(upstream: string): Promise<LoggingProxy> {
  let log: ProxiedRequest[] = [];
  const state = { upstream };
  const server: Server = createServer((req, res) => {
    const target = new URL(req.url ?? "/", state.upstream);
    const forward = httpRequest(
      target,
      { method: req.method, headers: { ...req.headers, host: target.host } },
      (answer) => {
        const header = (name: string) => req.headers[name] as string | undefined;
        log.push({
          method: req.method ?? "",
          path: req.url ?? "",
          agent: header("user-agent") ?? "",
          ...(header("if-none-match") ? { ifNoneMatch: header("if-none-match") } : {}),
          ...(header("if-modified-since") ? { ifModifiedSince: header("if-modified-since") } : {}),
          status: answer.statusCode ?? 0,
        });
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on("error", () => {
      res.writeHead(502).end();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    get upstream() {
      return state.upstream;
    },
    set upstream(value: string) {
      state.upstream = value;
    },
    requests: (agent) => log.filter((r) => agent === undefined || r.agent.includes(agent)),
    clear: () => {
      log = [];
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface NewsboatItem {
  feedurl: string;
  title: string;
  author: string;
  guid: string;
  url: string;
  unread: number;
  pubDate: number;
}

/** newsboat with its own cache database, urls file and config. */
export async function newsboat(urls: string[] = [], agent = "dateline-test-newsboat") {
  const { dir, env } = await home("newsboat");
  const paths = {
    urls: join(dir, "urls"),
    cache: join(dir, "cache.db"),
    config: join(dir, "config.txt"),
  };
  const configure = async (feeds: string[]) => {
    await writeFile(paths.urls, feeds.map((u) => `${u}\n`).join(""));
    // reset-unread-on-update: an article whose content changed is shown as unread again.
    await writeFile(
      paths.config,
      [
        `user-agent "${agent}"`,
        "download-retries 1",
        "download-timeout 20",
        ...feeds.map((u) => `reset-unread-on-update "${u}"`),
        "",
      ].join("\n"),
    );
  };
  await configure(urls);
  const sql = async (query: string): Promise<unknown[]> => {
    const script = `import json, sqlite3, sys
c = sqlite3.connect(sys.argv[1]); c.row_factory = sqlite3.Row
rows = c.execute(sys.argv[2]).fetchall(); c.commit()
print(json.dumps([dict(r) for r in rows]))`;
    const { stdout } = await run(PYTHON, ["-c", script, paths.cache, query], env);
    return JSON.parse(stdout);
  };
  return {
    dir,
    agent,
    configure,
    /** `newsboat -x reload`: fetches every feed of the urls file. */
    reload: () =>
      run(
        "newsboat",
        ["-u", paths.urls, "-c", paths.cache, "-C", paths.config, "-x", "reload"],
        env,
      ),
    /** `newsboat -i file.opml`: imports subscriptions into the urls file; returns its URLs. */
    importOpml: async (opml: string): Promise<string[]> => {
      const file = join(dir, "import.opml");
      await writeFile(file, opml);
      await writeFile(paths.urls, "");
      await run(
        "newsboat",
        ["-u", paths.urls, "-c", paths.cache, "-C", paths.config, "-i", file],
        env,
      );
      const { readFile } = await import("node:fs/promises");
      const text = await readFile(paths.urls, "utf8");
      return text
        .split("\n")
        .map((line) => line.split(" ")[0] ?? "")
        .filter(Boolean);
    },
    items: async () =>
      (await sql(
        "select feedurl, title, author, guid, url, unread, pubDate from rss_item order by pubDate desc",
      )) as NewsboatItem[],
    feeds: async () =>
      (await sql("select rssurl, title, url from rss_feed")) as { rssurl: string; title: string }[],
    /** What a person reading everything does: every item marked read. */
    markAllRead: () => sql("update rss_item set unread = 0"),
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface Mail {
  file: string;
  from: string;
  subject: string;
  messageId: string;
  inReplyTo: string | null;
  feed: string;
  rssId: string;
  url: string;
  body: string;
}

/** rss2email with a maildir target and reply-changes (an edited post arrives as a reply). */
export async function rss2email() {
  // rss2email 3.13 fetches through feedparser with its default User-Agent (its own
  // `user-agent` setting only goes into the mails' headers).
  const agent = "feedparser/";
  const { dir, env } = await home("r2e");
  const maildir = join(dir, "Maildir");
  for (const sub of ["new", "cur", "tmp"])
    await mkdir(join(maildir, "INBOX", sub), { recursive: true });
  const config = join(dir, "r2e.cfg");
  const data = join(dir, "r2e.json");
  await writeFile(
    config,
    [
      "[DEFAULT]",
      "to = reader@example.com",
      "email-protocol = maildir",
      `maildir-path = ${maildir}`,
      "maildir-mailbox = INBOX",
      "reply-changes = True",
      "html-mail = False",
      "",
    ].join("\n"),
  );
  const r2e = (...args: string[]) => run("r2e", ["-c", config, "-d", data, ...args], env);
  const seen = new Set<string>();
  const read = async (): Promise<Mail[]> => {
    const folder = join(maildir, "INBOX", "new");
    let files: string[] = [];
    try {
      files = (await readdir(folder)).sort();
    } catch {
      return [];
    }
    const script = `import json, sys, email
from email.header import decode_header, make_header
out = []
for path in sys.argv[1:]:
    m = email.message_from_binary_file(open(path, 'rb'))
    h = lambda k: str(make_header(decode_header(m[k]))) if m[k] else None
    part = m.get_payload(decode=True) if not m.is_multipart() else m.get_payload(0).get_payload(decode=True)
    out.append({"file": path, "from": h("From"), "subject": h("Subject"), "messageId": h("Message-ID"),
      "inReplyTo": h("In-Reply-To"), "feed": h("X-RSS-Feed"), "rssId": h("X-RSS-ID"), "url": h("X-RSS-URL"),
      "body": (part or b"").decode("utf-8", "replace")})
print(json.dumps(out))`;
    if (files.length === 0) return [];
    const { stdout } = await run(PYTHON, ["-c", script, ...files.map((f) => join(folder, f))], env);
    return JSON.parse(stdout);
  };
  return {
    dir,
    agent,
    add: (name: string, url: string) => r2e("add", name, url),
    opmlImport: async (opml: string) => {
      const file = join(dir, "import.opml");
      await writeFile(file, opml);
      return r2e("opmlimport", file);
    },
    list: async () => (await r2e("list")).stdout,
    /** `r2e run`: fetches every feed, delivering new (and changed) entries to the maildir. */
    run: () => r2e("run"),
    /** Mails delivered since the last call. */
    newMail: async () => {
      const all = await read();
      const fresh = all.filter((m) => !seen.has(m.file));
      for (const m of fresh) seen.add(m.file);
      return fresh;
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface FeedparserResult {
  status: number | null;
  bozo: boolean;
  etag: string | null;
  modified: string | null;
  feed: {
    title: string | null;
    image: string | null;
    icon: string | null;
    logo: string | null;
  };
  entries: {
    id: string;
    title: string;
    titleType: string | null;
    link: string;
    author: string | null;
    authors: string[];
    updated: string | null;
    published: string | null;
    mediaContent: string[];
    mediaThumbnail: string[];
  }[];
}

/**
 * python3-feedparser fetching `url` itself, as aggregators built on it do, sending the validators
 * it was given (`etag` and/or `modified`): a 304 comes back as status 304 with no entries.
 */
export async function feedparser(
  url: string,
  validators: { etag?: string | null; modified?: string | null } = {},
  agent = "dateline-test-feedparser",
): Promise<FeedparserResult> {
  const script = `import json, sys, time, calendar, feedparser
url, etag, modified, agent = sys.argv[1:5]
d = feedparser.parse(url, etag=etag or None, modified=modified or None, agent=agent)
iso = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(calendar.timegm(t))) if t else None
f = d.get("feed", {})
print(json.dumps({"status": d.get("status"), "bozo": bool(d.get("bozo")), "etag": d.get("etag"),
  "modified": d.get("modified"),
  "feed": {"title": f.get("title"), "image": (f.get("image") or {}).get("href"),
           "icon": f.get("icon"), "logo": f.get("logo")},
  "entries": [{"id": e.get("id"), "title": e.get("title"),
    "titleType": (e.get("title_detail") or {}).get("type"), "link": e.get("link"),
    "author": e.get("author"), "authors": [a.get("name") for a in e.get("authors", [])],
    "updated": iso(e.get("updated_parsed")), "published": iso(e.get("published_parsed")),
    "mediaContent": [m.get("url") for m in e.get("media_content", [])],
    "mediaThumbnail": [m.get("url") for m in e.get("media_thumbnail", [])]} for e in d.entries]}))`;
  const { stdout } = await run(
    PYTHON,
    ["-c", script, url, validators.etag ?? "", validators.modified ?? "", agent],
    {},
  );
  return JSON.parse(stdout);
}

/** rss-parser (Node) on a document fetched through the proxy. */
export async function rssParser(url: string) {
  const response = await fetch(url, { headers: { "user-agent": "dateline-test-rss-parser" } });
  return new Parser().parseString(await response.text());
}
