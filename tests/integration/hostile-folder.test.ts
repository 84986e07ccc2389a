/**
 * Acceptance: a hostile content folder served by `npm start`. Every attack from issue 9 at once
 * (legacy HTML, deep nesting, super-linear Markdown, an unreadable file and folder, a 3 GB sparse
 * file, a FIFO, a name that is not UTF-8, a symlink loop, a javascript: id, bytes that are not
 * UTF-8) beside 100 healthy articles. Every healthy article is in every feed; each bad file is
 * rendered safely or skipped with one log line naming it and the reason; no route answers 5xx;
 * the first /feed.xml arrives within 5 s. The server runs as `nobody` when the tests run as
 * root (and nobody can read the checkout), so the permission attacks bind.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ContentDir,
  contentDir,
  md,
  REPO,
  type RunningServer,
  startServer,
} from "../support/server.ts";

const HEALTHY = 100;
const old = (day: number) => `2023-01-${String(day).padStart(2, "0")}T00:00:00Z`;

/** File → how it must end up: rendered (its slug serves) or skipped with a reason. */
const BAD: Record<string, { rendered: string } | { reason: RegExp }> = {
  "font.md": { rendered: "font" },
  "center.md": { rendered: "center" },
  "slow-links.md": { rendered: "slow-links" },
  "slow-brackets.md": { rendered: "slow-brackets" },
  "slow-angles.md": { rendered: "slow-angles" },
  "deep-quote.md": { reason: /nested \d+ levels deep/ },
  "deep-list.md": { reason: /nested \d+ levels deep/ },
  "js-id.md": { reason: /^id: must be a URI/ },
  "not-utf8.md": { reason: /not valid UTF-8/ },
  "huge.md": { reason: /larger than 256 KB/ },
  "fifo.md": { reason: /not a regular file/ },
  "loop.md": { reason: /symbolic links are not followed/ },
};

let content: ContentDir;
let server: RunningServer;
let firstFeedMs = 0;
let firstFeed = "";
/**
 * As root, the server runs as `nobody` so file permissions bind; that needs the checkout to be
 * readable by nobody (a clone under /root is not): otherwise the permission attacks are left out.
 */
function nobodyCanRun(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = `require("node:fs").accessSync(${JSON.stringify(join(REPO, "functions", "server.ts"))})`;
  const args = ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "-e", probe];
  return spawnSync("setpriv", args).status === 0;
}
const unprivileged = nobodyCanRun();

beforeAll(async () => {
  content = await contentDir({ sample: false });
  const dir = content.dir;
  chmodSync(dirname(dir), 0o755);
  for (let i = 0; i < HEALTHY; i++)
    await content.write(
      `healthy/h${String(i).padStart(3, "0")}.md`,
      md(
        {
          title: `Healthy ${i}`,
          date: `2024-05-${String((i % 28) + 1).padStart(2, "0")}T${String(i % 24).padStart(2, "0")}:00:00Z`,
          tags: ["Healthy"],
        },
        `Healthy article number ${i}, with a [link](/about) and *emphasis*.\n`,
      ),
    );
  const write = (name: string, text: string | Buffer) => writeFileSync(join(dir, name), text);
  write("font.md", md({ title: "Font", date: old(1) }, 'A <font color="red">red</font> word.\n'));
  write("center.md", md({ title: "Center", date: old(2) }, "<center align=x>Centred</center>\n"));
  write("slow-links.md", md({ title: "Slow links", date: old(3) }, "]([\n".repeat(16_000)));
  write(
    "slow-brackets.md",
    md({ title: "Slow brackets", date: old(4) }, `${"[".repeat(30_000)}${"]".repeat(30_000)}`),
  );
  write("slow-angles.md", md({ title: "Slow angles", date: old(5) }, "<".repeat(64_000)));
  write("deep-quote.md", md({ title: "Deep quote", date: old(6) }, `${">".repeat(2_000)} x\n`));
  write("deep-list.md", md({ title: "Deep list", date: old(7) }, `${"- ".repeat(1_200)}x\n`));
  write("js-id.md", md({ title: "JS id", date: old(8), id: "javascript:alert(1)" }));
  write(
    "not-utf8.md",
    Buffer.concat([
      Buffer.from(md({ title: "Bytes", date: old(9) })),
      Buffer.from([0xff, 0xfe, 0xc0]),
    ]),
  );
  write("huge.md", "");
  truncateSync(join(dir, "huge.md"), 3 * 1024 ** 3);
  execFileSync("mkfifo", [join(dir, "fifo.md")]);
  symlinkSync("loop.md", join(dir, "loop.md"));
  writeFileSync(
    Buffer.from(`${dir}/caf\xe9.md`, "latin1"),
    md({ title: "Latin-1 name", date: old(10) }),
  );
  if (unprivileged) {
    write("unreadable.md", md({ title: "Unreadable", date: old(11) }));
    chmodSync(join(dir, "unreadable.md"), 0o000);
    mkdirSync(join(dir, "locked"));
    writeFileSync(join(dir, "locked", "inside.md"), md({ title: "Inside", date: old(12) }));
    chmodSync(join(dir, "locked"), 0o000);
    BAD["unreadable.md"] = { reason: /cannot be read \(EACCES\)/ };
  }
  const started = performance.now();
  server = await startServer({
    contentDir: dir,
    env: { REVALIDATE_SECONDS: "3600" },
    unprivileged,
  });
  const res = await fetch(`${server.url}/feed.xml`);
  firstFeed = await res.text();
  firstFeedMs = performance.now() - started;
  expect(res.status).toBe(200);
}, 120_000);

afterAll(async () => {
  await server?.dispose();
  if (content) {
    chmodSync(join(content.dir, "locked"), 0o755);
    await content.dispose();
  }
});

describe("a hostile folder served by npm start", () => {
  it("answers the first /feed.xml within 5 s of starting the server", () => {
    expect(firstFeed).toContain("<rss ");
    expect(firstFeedMs).toBeLessThan(5_000 + 3_000); // + tsx start-up on a loaded machine
  });

  it.each([
    "/feed.xml",
    "/atom.xml",
    "/feed.json",
    "/tags/healthy/feed.xml",
    "/tags/healthy/atom.xml",
    "/tags/healthy/feed.json",
  ])("every healthy article is in %s", async (path) => {
    const res = await fetch(`${server.url}${path}?limit=100`);
    expect(res.status).toBe(200);
    const text = await res.text();
    for (let i = 0; i < HEALTHY; i++)
      expect(text, `h${i}`).toContain(`/articles/h${String(i).padStart(3, "0")}`);
  });

  it("each bad file is rendered safely or skipped with one log line naming it and the reason", async () => {
    const records = server.records();
    for (const [file, outcome] of Object.entries(BAD)) {
      const lines = records.filter((r) => r.file === file);
      if ("rendered" in outcome) {
        expect(
          lines.filter((r) => r.level === "error"),
          file,
        ).toEqual([]);
        const page = await fetch(`${server.url}/articles/${outcome.rendered}`);
        expect(page.status, file).toBe(200);
        expect(await page.text()).not.toMatch(/<font|<center|<script/);
      } else {
        expect(lines, file).toHaveLength(1);
        expect(String(lines[0]?.reason), file).toMatch(outcome.reason);
      }
    }
    const badName = records.filter(
      (r) => r.message === "file skipped: its name is not valid UTF-8",
    );
    expect(badName).toHaveLength(1);
    expect(badName[0]?.bytes).toBe(Buffer.from("caf\xe9.md", "latin1").toString("hex"));
    if (unprivileged) {
      const locked = records.filter((r) => r.folder === "locked");
      expect(locked).toHaveLength(1);
      expect(String(locked[0]?.reason)).toBe("EACCES");
    }
  });

  it("no route answers 5xx", async () => {
    const routes = [
      "/",
      "/feed.xml",
      "/atom.xml",
      "/feed.json",
      "/opml.xml",
      "/feed.xsl",
      "/tags/healthy",
      "/feed.xml?limit=100&before=1-zzz",
      "/articles/font",
      "/articles/deep-quote",
      "/articles/huge",
      "/articles/fifo",
      "/articles/unreadable",
      "/articles/h000",
    ];
    for (const route of routes) {
      for (const encoding of ["identity", "br", "gzip"]) {
        const res = await fetch(`${server.url}${route}`, {
          headers: { "accept-encoding": encoding },
          redirect: "manual",
        });
        expect(res.status, `${route} (${encoding})`).toBeLessThan(500);
        await res.arrayBuffer();
      }
    }
  });
});
