/**
 * Images and attachments from front matter to the three formats: RSS gets one enclosure (the
 * first attachment, else the image), Atom one rel="enclosure" link per file, JSON Feed `image`
 * and `attachments`. Each file is written as an author would, indexed by the local index, built
 * and rendered, then read back by real parsers (feedsmith, python3-feedparser, xmllint).
 */
import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseAtomFeed, parseJsonFeed, parseRssFeed } from "feedsmith";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config.ts";
import { renderAtom } from "../../functions/feeds/atom.ts";
import { renderJson } from "../../functions/feeds/json.ts";
import { renderRss } from "../../functions/feeds/rss.ts";
import { memoryLogger } from "../../functions/log.ts";
import { FolderStore } from "../../functions/storage/folder.ts";
import { feedOf, loadedIndex } from "../support/index-feed.ts";

const SITE = "https://news.example.com";
const BASE = { title: "Episode 12", date: "2026-01-02T06:00:00Z", author: "Priya Raman" };
const AUDIO = {
  url: "/audio/episode 12.mp3?part=1&lang=en",
  type: "audio/mpeg",
  size: 1234567,
  title: `Episode 12 & "friends"`,
  duration: 1800,
};
const AUDIO_URL = `${SITE}/audio/episode%2012.mp3?part=1&lang=en`;
const PDF = { url: "https://cdn.example.org/transcript.pdf", type: "application/pdf" };

const folders: string[] = [];
afterEach(async () => {
  for (const dir of folders.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** One article (BASE plus `fields`) through catalog, buildFeed and the three renderers. */
async function feedsOf(fields: Record<string, unknown>) {
  const dir = await mkdtemp(join(tmpdir(), "dateline-enclosures-"));
  folders.push(dir);
  const yaml = Object.entries({ ...BASE, ...fields })
    .map(([key, value]) => `${key}: ${JSON.stringify(value)}\n`)
    .join("");
  const file = join(dir, "2026/episode-12.md");
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `---\n${yaml}---\n\nListen to the harbour at dawn.\n`);
  const config = loadConfig({ SITE_URL: SITE });
  const log = memoryLogger();
  const index = await loadedIndex(new FolderStore(dir), { siteUrl: SITE, log });
  const doc = await feedOf(index, config, { limit: 10 });
  expect(doc.entries, JSON.stringify(log.entries)).toHaveLength(1);
  const rss = renderRss(doc);
  const atom = renderAtom(doc);
  for (const xml of [rss, atom]) expect(xmllint(xml)).toBe("");
  return { rss, atom, json: renderJson(doc) };
}

function xmllint(xml: string): string {
  const run = spawnSync("xmllint", ["--noout", "--nonet", "-"], { input: xml, encoding: "utf8" });
  if (run.error) throw new Error(`xmllint could not run: ${run.error.message}`);
  return run.status === 0 ? "" : run.stderr;
}

/** Enclosures as python3-feedparser (the parser many aggregators build on) reports them. */
function feedparserEnclosures(xml: string): { href: string; type?: string; length?: string }[] {
  const script = `
import sys, json, feedparser
d = feedparser.parse(sys.stdin.buffer.read())
if d.bozo: raise SystemExit("not well-formed: %s" % d.bozo_exception)
print(json.dumps([[dict(e) for e in entry.enclosures] for entry in d.entries]))`;
  const run = spawnSync("/usr/bin/python3", ["-c", script], { input: xml, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`feedparser failed: ${run.stderr || run.error}`);
  return (JSON.parse(run.stdout) as { href: string }[][])[0] ?? [];
}

function rssEnclosures(xml: string) {
  const item = parseRssFeed(xml).items?.[0];
  return item?.enclosures ?? [];
}

function atomEnclosures(xml: string) {
  const links = parseAtomFeed(xml).entries?.[0]?.links ?? [];
  return links.filter((l) => l.rel === "enclosure");
}

function jsonItem(json: string) {
  return parseJsonFeed(JSON.parse(json)).items?.[0];
}

describe("attachments and images", () => {
  it("RSS carries the first attachment as its one enclosure, with absolute URL, type and length", async () => {
    const { rss } = await feedsOf({ image: "/images/cover.jpg", attachments: [AUDIO, PDF] });
    expect(rss.match(/<enclosure /g)).toHaveLength(1);
    expect(rssEnclosures(rss)).toEqual([{ url: AUDIO_URL, type: "audio/mpeg", length: 1234567 }]);
    // RSS allows url, length and type only: no title or duration attributes.
    expect(rss).not.toMatch(/<enclosure[^>]*(title|duration)=/);
    expect(feedparserEnclosures(rss)).toEqual([
      { href: AUDIO_URL, type: "audio/mpeg", length: "1234567" },
    ]);
  });

  it("RSS falls back to the image, typed from its extension, with length 0 (unknown)", async () => {
    const { rss } = await feedsOf({ image: "/images/cover.JPG" });
    expect(rssEnclosures(rss)).toEqual([
      { url: `${SITE}/images/cover.JPG`, type: "image/jpeg", length: 0 },
    ]);
  });

  it("writes no enclosure when there is neither attachment nor a typed image", async () => {
    const { rss, atom } = await feedsOf({ image: "https://img.example.org/render?id=7" });
    expect(rss).not.toContain("<enclosure");
    expect(atomEnclosures(atom)).toEqual([]);
  });

  it("Atom links the image and every attachment as rel=enclosure, with type, length and title", async () => {
    const { atom } = await feedsOf({ image: "/images/cover.png", attachments: [AUDIO, PDF] });
    expect(atomEnclosures(atom)).toEqual([
      { href: `${SITE}/images/cover.png`, rel: "enclosure", type: "image/png" },
      {
        href: AUDIO_URL,
        rel: "enclosure",
        type: "audio/mpeg",
        length: 1234567,
        title: `Episode 12 & "friends"`,
      },
      { href: PDF.url, rel: "enclosure", type: "application/pdf" },
    ]);
    expect(feedparserEnclosures(atom).map((e) => e.href)).toEqual([
      `${SITE}/images/cover.png`,
      AUDIO_URL,
      PDF.url,
    ]);
  });

  it("Atom lists an image that is also an attachment once, with the attachment's details", async () => {
    const photo = { url: "/images/photo.jpg", type: "image/jpeg", size: 2048, title: "Photo" };
    const { atom } = await feedsOf({ image: photo.url, attachments: [photo] });
    expect(atomEnclosures(atom)).toEqual([
      {
        href: `${SITE}/images/photo.jpg`,
        rel: "enclosure",
        type: "image/jpeg",
        length: 2048,
        title: "Photo",
      },
    ]);
  });

  it("JSON Feed has the image and every attachment with its details", async () => {
    const { json } = await feedsOf({ image: "images/cover.png", attachments: [AUDIO, PDF] });
    const item = jsonItem(json);
    expect(item?.image).toBe(`${SITE}/images/cover.png`);
    expect(item?.attachments).toEqual([
      {
        url: AUDIO_URL,
        mime_type: "audio/mpeg",
        title: `Episode 12 & "friends"`,
        size_in_bytes: 1234567,
        duration_in_seconds: 1800,
      },
      { url: PDF.url, mime_type: "application/pdf" },
    ]);
  });

  it("writes registered MIME types for the unregistered ones authors use", async () => {
    const { rss, atom, json } = await feedsOf({
      attachments: [
        { url: "/audio/a.mp3", type: "audio/mp3" },
        { url: "/media/b.jpg", type: "IMAGE/JPG" },
      ],
    });
    expect(rssEnclosures(rss).map((e) => e.type)).toEqual(["audio/mpeg"]);
    expect(atomEnclosures(atom).map((e) => e.type)).toEqual(["audio/mpeg", "image/jpeg"]);
    expect(jsonItem(json)?.attachments?.map((a) => a.mime_type)).toEqual([
      "audio/mpeg",
      "image/jpeg",
    ]);
  });
});
