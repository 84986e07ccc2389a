/**
 * Site identity (SITE_ICON, SITE_LOGO) and item images as readers look for them: RSS <image>
 * and Media RSS, Atom <icon>/<logo>, JSON Feed icon/favicon/image/banner_image, the HTML icon.
 * Read back with feedsmith and python3-feedparser; xmllint checks well-formedness.
 */
import { spawnSync } from "node:child_process";
import { parseAtomFeed, parseJsonFeed, parseRssFeed } from "feedsmith";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config.ts";
import { renderAtom } from "../../functions/feeds/atom.ts";
import { firstImage } from "../../functions/feeds/build.ts";
import { renderJson } from "../../functions/feeds/json.ts";
import { renderRss } from "../../functions/feeds/rss.ts";
import { feedDoc, feedEntry, SITE } from "../fixtures/feeds.ts";
import { memoryStore } from "../fixtures/store.ts";
import { xmllintErrors } from "../fixtures/xml.ts";
import { appFor, md } from "../support/server.ts";

const ICON = `${SITE}/icon.png`;
const LOGO = "https://cdn.example.com/logo wide.png?v=1&x=2";
const IMAGE = `${SITE}/img/pier.jpg?w=1&h=2`;

function feedparser(xml: string): {
  image: { href?: string } | null;
  icon: string | null;
  logo: string | null;
  media_thumbnail: { url: string }[];
  media_content: { url: string; medium?: string; type?: string }[];
  bozo: boolean | number;
} {
  const script = `
import json, sys, feedparser
d = feedparser.parse(sys.stdin.read())
e = d.entries[0]
print(json.dumps({"bozo": d.bozo, "image": d.feed.get("image"), "icon": d.feed.get("icon"),
  "logo": d.feed.get("logo"), "media_thumbnail": e.get("media_thumbnail", []),
  "media_content": e.get("media_content", [])}))`;
  const run = spawnSync("/usr/bin/python3", ["-c", script], { input: xml, encoding: "utf8" });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout);
}

describe("configuration", () => {
  it("resolves SITE_ICON and SITE_LOGO paths against SITE_URL and keeps absolute URLs", () => {
    const config = loadConfig({ SITE_URL: SITE, SITE_ICON: "/icon.png", SITE_LOGO: LOGO });
    expect(config.site.icon).toBe(ICON);
    expect(config.site.logo).toBe(LOGO);
  });

  it("names the variable and the expected form for a bad value", () => {
    for (const [name, value] of [
      ["SITE_ICON", "icon.png"],
      ["SITE_LOGO", "javascript:alert(1)"],
      ["SITE_ICON", "//cdn.example.com/x.png"],
    ] as const) {
      expect(() => loadConfig({ [name]: value })).toThrow(
        `${name} must be an absolute http(s) URL or a path from the site root such as /icon.png`,
      );
    }
  });

  it("listens on loopback unless HOST opens it", () => {
    expect(loadConfig({}).host).toBe("127.0.0.1");
    expect(loadConfig({ HOST: "0.0.0.0" }).host).toBe("0.0.0.0");
    expect(loadConfig({ HOST: "::" }).host).toBe("::");
    expect(() => loadConfig({ HOST: "a b" })).toThrow("HOST must be an interface address");
  });
});

describe("feeds", () => {
  const doc = feedDoc({ icon: ICON, logo: LOGO, entries: [feedEntry({ image: IMAGE })] });

  it("RSS: the logo as the channel <image>, the item image as Media RSS content and thumbnail", () => {
    const xml = renderRss(doc);
    expect(xmllintErrors(xml)).toBe("");
    expect(xml).toContain('xmlns:media="http://search.yahoo.com/mrss/"');
    const feed = parseRssFeed(xml);
    expect(feed.image).toEqual({ url: LOGO, title: doc.title, link: doc.links.alternate });
    const parsed = feedparser(xml);
    expect(parsed.bozo).toBeFalsy();
    expect(parsed.image?.href).toBe(LOGO);
    expect(parsed.media_content).toEqual([{ url: IMAGE, medium: "image", type: "image/jpeg" }]);
    expect(parsed.media_thumbnail).toEqual([{ url: IMAGE }]);
  });

  it("RSS falls back to the icon when there is no logo, and writes no <image> with neither", () => {
    const iconOnly = parseRssFeed(renderRss(feedDoc({ icon: ICON })));
    expect(iconOnly.image?.url).toBe(ICON);
    const bare = renderRss(feedDoc({ entries: [feedEntry()] }));
    expect(bare).not.toContain("<image>");
    expect(bare).not.toContain("<media:");
  });

  it("Atom: <icon> and <logo>", () => {
    const xml = renderAtom(doc);
    expect(xmllintErrors(xml)).toBe("");
    const feed = parseAtomFeed(xml);
    expect(feed.icon).toBe(ICON);
    expect(feed.logo).toBe(LOGO);
    const parsed = feedparser(xml);
    expect(parsed.icon).toBe(ICON);
    expect(parsed.logo).toBe(LOGO);
  });

  it("JSON Feed: icon and favicon (both square: the icon), image and banner_image per item", () => {
    const json = parseJsonFeed(JSON.parse(renderJson(doc)));
    expect(json.icon).toBe(ICON);
    expect(json.favicon).toBe(ICON);
    expect(json.items?.[0]?.image).toBe(IMAGE);
    expect(json.items?.[0]?.banner_image).toBe(IMAGE);
  });
});

describe("item images", () => {
  it("takes the body's first image when the front matter names none", () => {
    expect(
      firstImage(
        '<p>x</p><img alt="a" src="https://news.example.com/a.png?x=1&amp;y=2"><img src="https://b/">',
      ),
    ).toBe("https://news.example.com/a.png?x=1&y=2");
    expect(firstImage('<img src="data:image/png;base64,AAAA">')).toBeUndefined();
    expect(firstImage("<p>no image</p>")).toBeUndefined();
  });

  it("gives every format the body image of an article without `image:`, and the site icon to pages", async () => {
    const store = memoryStore({
      "a.md": md(
        { title: "Pier", date: "2026-01-02T00:00:00Z" },
        "Text.\n\n![Pier](/img/pier.jpg)\n",
      ),
    });
    const site = appFor(store, { env: { SITE_ICON: "/icon.png" } });
    const rss = await (await site.get("/feed.xml")).text();
    expect(rss).toContain(`<media:thumbnail url="${SITE}/img/pier.jpg"/>`);
    const json = (await (await site.get("/feed.json")).json()) as { items: { image?: string }[] };
    expect(json.items[0]?.image).toBe(`${SITE}/img/pier.jpg`);
    const html = await (await site.get("/")).text();
    expect(html).toContain(`<link rel="icon" href="${ICON}">`);
  });
});
