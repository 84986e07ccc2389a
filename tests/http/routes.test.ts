import { describe, expect, it } from "vitest";
import { FolderStore } from "../../functions/storage/folder.ts";
import {
  appFor,
  CONTENT_TYPES,
  contentDir,
  FORMATS,
  md,
  SITE,
  useHardCaseSite,
} from "../support/server.ts";

const hard = useHardCaseSite();

const HTML = "text/html; charset=utf-8";

/** Every GET route the sample content plus hard cases has, with its content type. */
function routes(): [string, string][] {
  const scopes = [
    "",
    "/tags/culture",
    "/tags/%E3%82%B3%E3%83%BC%E3%83%92%E3%83%BC",
    "/authors/ana-muller",
  ];
  return [
    ["/", HTML],
    ["/articles/tidewater-2-0-released", HTML],
    ["/articles/markup", HTML],
    ["/articles/%E3%82%B3%E3%83%BC%E3%83%92%E3%83%BC", HTML],
    ...scopes.slice(1).map((s): [string, string] => [s, HTML]),
    ...scopes.flatMap((s) => FORMATS.map((f): [string, string] => [`${s}/${f}`, CONTENT_TYPES[f]])),
  ];
}

describe("routes", () => {
  it.each(routes())("GET %s answers 200 with its content type", async (path, type) => {
    const res = await hard.site.get(path);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(type);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect((await res.text()).length).toBeGreaterThan(100);
  });

  it.each(routes())("HEAD %s has GET's headers and no body", async (path) => {
    const get = await hard.site.get(path);
    const head = await hard.site.request(path, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    for (const name of ["content-type", "etag", "last-modified", "cache-control", "vary"]) {
      expect(head.headers.get(name), name).toBe(get.headers.get(name));
    }
    expect(head.headers.get("content-length")).toBe(
      String(Buffer.byteLength(await get.text(), "utf8")),
    );
  });

  it.each(["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])(
    "%s on a known route is 405 with Allow: GET, HEAD",
    async (method) => {
      for (const path of [
        "/",
        "/feed.xml",
        "/atom.xml",
        "/feed.json",
        "/articles/markup",
        "/tags/culture/feed.json",
        "/authors/ana-muller",
      ]) {
        const res = await hard.site.request(path, { method });
        expect(res.status, `${method} ${path}`).toBe(405);
        expect(res.headers.get("allow")).toBe("GET, HEAD");
        expect(await res.text()).toMatch(/^Method not allowed\n$/);
      }
    },
  );

  it.each([
    "/nope",
    "/feed.rss",
    "/feed.xml/",
    "/FEED.XML",
    "/articles",
    "/articles/",
    "/articles/no-such-article",
    "/tags/no-such-tag",
    "/tags/no-such-tag/feed.xml",
    "/authors/nobody/atom.xml",
    "/tags/culture/feed.xml/extra",
    "//feed.xml",
  ])("GET %s is 404 with a short plain-text reason", async (path) => {
    const res = await hard.site.get(path);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    const body = await res.text();
    expect(body.length).toBeLessThan(60);
    expect(body).not.toMatch(/at |Error|stack/);
  });
});

describe("feeds opened in a browser", () => {
  it.each([
    ["/feed.xml", { "sec-fetch-dest": "document", accept: "text/html,application/xml;q=0.9" }],
    [
      "/atom.xml",
      { "sec-fetch-dest": "document", accept: "text/html,application/xhtml+xml,*/*;q=0.8" },
    ],
  ])(
    "%s is labelled application/xml (so its XSLT applies), same bytes, its own ETag",
    async (path, headers) => {
      const reader = await hard.site.get(path, {
        accept: "application/rss+xml, application/atom+xml, */*;q=0.1",
      });
      const browser = await hard.site.get(path, headers);
      expect(browser.headers.get("content-type")).toBe("application/xml; charset=utf-8");
      expect(browser.headers.get("etag")).not.toBe(reader.headers.get("etag"));
      expect(browser.headers.get("vary")).toBe("Accept-Encoding, Sec-Fetch-Dest");
      expect(reader.headers.get("vary")).toBe("Accept-Encoding, Sec-Fetch-Dest");
      expect(await browser.text()).toBe(await reader.text());
      const again = await hard.site.get(path, {
        ...headers,
        "if-none-match": browser.headers.get("etag") ?? "",
      });
      expect(again.status).toBe(304);
    },
  );

  it("readers, scripts and JSON Feed keep the registered types", async () => {
    for (const accept of ["*/*", "application/rss+xml", "text/html,application/xml;q=0.9", ""]) {
      expect((await hard.site.get("/feed.xml", { accept })).headers.get("content-type")).toBe(
        CONTENT_TYPES["feed.xml"],
      );
    }
    const json = await hard.site.get("/feed.json", {
      "sec-fetch-dest": "document",
      accept: "text/html",
    });
    expect(json.headers.get("content-type")).toBe(CONTENT_TYPES["feed.json"]);
  });
});

describe("hostile paths", () => {
  const hostile = [
    "/articles/../../etc/passwd",
    "/articles/..%2f..%2fetc%2fpasswd",
    "/articles/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/articles/%2e%2e/%2e%2e/etc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/articles/..%5c..%5cetc%5cpasswd",
    "/articles/..\\..\\etc\\passwd",
    "/articles/%252e%252e%252fetc%252fpasswd",
    "/articles/%c0%ae%c0%ae%2fetc",
    "/articles/markup%00",
    "/articles/%00",
    "/articles/markup%00.md",
    "/articles/2024%2fnight-bus-network-expands.md",
    "/articles/%",
    "/articles/%E0%A4%A",
    "/articles/%ff%fe",
    "/tags/%",
    "/tags/..%2f..%2f/feed.xml",
    "/tags/%00/feed.json",
    "/articles/😀",
    "/articles/ünïcødé",
    `/articles/${"é".repeat(400)}`,
    `/articles/${"a".repeat(10 * 1024)}`,
    `/${"x/".repeat(6000)}`,
    `/feed.xml?limit=${"9".repeat(10_000)}`,
  ];

  it.each(hostile.map((p) => [p.length > 80 ? `${p.slice(0, 60)}… (${p.length} chars)` : p, p]))(
    "%s is a 4xx and reads nothing outside the store",
    async (_label, path) => {
      const res = await hard.site.get(path);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      const body = await res.text();
      expect(body).not.toContain("root:");
      expect(body.length).toBeLessThan(120);
    },
  );

  it("never logs a server error for them", () => {
    expect(hard.site.log.entries.filter((e) => e.message === "request failed")).toEqual([]);
  });
});

describe("HTML pages", () => {
  const pages = [
    "/",
    "/articles/tidewater-2-0-released",
    "/articles/markup",
    "/tags/culture",
    "/authors/ana-muller",
  ];

  it.each(pages)("%s links all three feeds for autodiscovery, with SITE_URL", async (path) => {
    const html = await (await hard.site.get(path)).text();
    const alternates = [
      ...html.matchAll(/<link rel="alternate" type="([^"]+)" title="[^"]*" href="([^"]+)">/g),
    ];
    const types = alternates.map((m) => m[1]);
    expect(types).toEqual(
      expect.arrayContaining([
        "application/rss+xml",
        "application/atom+xml",
        "application/feed+json",
      ]),
    );
    for (const m of alternates) expect(m[2]).toMatch(new RegExp(`^${SITE}/`));
  });

  it("the home page and article pages discover the site feeds", async () => {
    for (const path of ["/", "/articles/markup"]) {
      const html = await (await hard.site.get(path)).text();
      for (const f of FORMATS) expect(html).toContain(`href="${SITE}/${f}"`);
    }
  });

  it("a tag page discovers the tag's own feeds", async () => {
    const html = await (await hard.site.get("/tags/culture")).text();
    for (const f of FORMATS) expect(html).toContain(`href="${SITE}/tags/culture/${f}"`);
  });

  it.each(pages)("%s loads no external script or stylesheet", async (path) => {
    const res = await hard.site.get(path);
    const html = await res.text();
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/rel="?stylesheet/i);
    expect(html).not.toMatch(/@import/i);
    expect(html).not.toMatch(/<iframe|<object|<embed/i);
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
  });

  it("escapes hostile titles, names and tags and strips unsafe markup from the body", async () => {
    const html = await (await hard.site.get("/articles/markup")).text();
    expect(html).toContain(
      "<title>Q&amp;A: &lt;Tags&gt; &amp; &quot;quotes&quot; in &#39;titles&#39; ]]&gt; done – Dateline</title>",
    );
    expect(html).toContain("Zoë &lt;Z&gt; O&#39;Brien &amp; Co");
    expect(html).toContain(">#R&amp;D</a>");
    expect(html).not.toContain("alert(");
    expect(html).not.toContain("onerror");
    expect(html).not.toContain("javascript:");
    expect(html).not.toContain("evil.example");
    expect(html).not.toContain("display:none");
    // Relative links in the body point at the site.
    expect(html).toContain(`href="${SITE}/articles/coffee"`);
    expect(html).toContain(`src="${SITE}/img/a.png"`);
  });

  it("the home page lists articles newest first and links each with SITE_URL", async () => {
    const html = await (await hard.site.get("/")).text();
    const links = [...html.matchAll(/<li><a href="([^"]+)"/g)].map((m) => m[1]);
    expect(links.length).toBe(17); // 11 sample articles and 6 published hard cases
    expect(links[0]).toBe(`${SITE}/articles/solar-car-challenge-finish`);
    expect(links[1]).toBe(`${SITE}/articles/markup`);
    for (const link of links) expect(link).toMatch(new RegExp(`^${SITE}/articles/`));
  });

  it("an article page shows the article's own language and its tags as links", async () => {
    const html = await (
      await hard.site.get("/articles/%E3%82%B3%E3%83%BC%E3%83%92%E3%83%BC")
    ).text();
    expect(html).toContain('<html lang="ja">');
    expect(html).toContain("<h1>コーヒーの話</h1>");
    expect(html).toContain(`href="${SITE}/tags/culture">#Culture</a>`);
  });
});

describe("tags and authors", () => {
  it("a tag feed holds exactly the articles with that tag, whatever its spelling", async () => {
    const feed = (await (await hard.site.get("/tags/culture/feed.json")).json()) as {
      title: string;
      items: { url: string; tags: string[] }[];
    };
    expect(feed.title).toBe("Dateline: Culture");
    expect(feed.items.map((i) => i.url)).toEqual([
      `${SITE}/articles/%E3%82%B3%E3%83%BC%E3%83%92%E3%83%BC`,
      `${SITE}/articles/suyeong-lantern-festival-2022`,
      `${SITE}/articles/besancon-freiburg-bike-relay`,
    ]);
    for (const item of feed.items)
      expect(item.tags.map((t) => t.toLowerCase())).toContain("culture");
    // A differently spelled request reaches the same tag.
    expect(await (await hard.site.get("/tags/CULTURE/feed.json")).text()).toBe(
      await (await hard.site.get("/tags/culture/feed.json")).text(),
    );
  });

  it("non-Latin tags have pages and feeds (composed or decomposed in the URL)", async () => {
    expect((await hard.site.get("/tags/%EC%B6%95%EC%A0%9C")).status).toBe(200); // 축제, composed
    const feed = (await (await hard.site.get("/tags/%EC%B6%95%EC%A0%9C/feed.json")).json()) as {
      items: { url: string }[];
    };
    expect(feed.items.map((i) => i.url)).toEqual([
      `${SITE}/articles/suyeong-lantern-festival-2022`,
    ]);
  });

  it("an author with several articles has feeds listing only their articles", async () => {
    const feed = (await (await hard.site.get("/authors/ana-muller/feed.json")).json()) as {
      title: string;
      items: { url: string; authors: { name: string }[] }[];
    };
    expect(feed.title).toBe("Dateline: articles by Ana Müller");
    expect(feed.items.map((i) => i.url)).toEqual([
      `${SITE}/articles/markup`,
      `${SITE}/articles/same-second-a`,
      `${SITE}/articles/same-second-b`,
    ]);
  });

  it("author routes exist only when more than one author writes", async () => {
    const solo = await contentDir({
      sample: false,
      files: {
        "a.md": md({ title: "One", date: "2025-01-01", author: "Only Writer" }),
        "b.md": md({ title: "Two", date: "2025-01-02", author: "Only Writer" }),
      },
    });
    try {
      const one = appFor(new FolderStore(solo.dir));
      expect((await one.get("/feed.xml")).status).toBe(200);
      for (const path of ["/authors/only-writer", "/authors/only-writer/feed.xml"]) {
        expect((await one.get(path)).status).toBe(404);
      }
    } finally {
      await solo.dispose();
    }
  });
});
