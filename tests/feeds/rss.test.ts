import { describe, expect, it } from "vitest";
import { renderRss } from "../../functions/feeds/rss.ts";
import {
  elements,
  feedDoc,
  feedEntry,
  parseRssFeed,
  SITE,
  tags,
  xmllintErrors,
} from "../fixtures/index.ts";

/** The XML of the first `<item>`. */
function firstItem(xml: string): string {
  return elements(xml, "item")[0] ?? "";
}

describe("RSS 2.0", () => {
  it("is well-formed, declares its namespaces and describes the channel", () => {
    const xml = renderRss(feedDoc());
    expect(xmllintErrors(xml)).toBe("");
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="utf-8"\?>/);
    const root = tags(xml, "rss")[0];
    expect(root).toMatchObject({
      version: "2.0",
      "xmlns:atom": "http://www.w3.org/2005/Atom",
      "xmlns:content": "http://purl.org/rss/1.0/modules/content/",
      "xmlns:dc": "http://purl.org/dc/elements/1.1/",
    });
    const feed = parseRssFeed(xml);
    expect(feed.title).toBe("Dateline");
    expect(feed.link).toBe(`${SITE}/`);
    expect(feed.description).toBe("News from Dateline");
    expect(feed.language).toBe("en");
    expect(feed.ttl).toBe(5);
    expect(feed.lastBuildDate).toBe("Wed, 06 Mar 2024 08:00:00 GMT");
  });

  it("has a self atom:link matching the document URL, and first/next/hub links when given", () => {
    const plain = parseRssFeed(renderRss(feedDoc()));
    expect(plain.atom?.links).toEqual([
      expect.objectContaining({
        rel: "self",
        href: `${SITE}/feed.xml`,
        type: "application/rss+xml",
      }),
    ]);
    const paged = feedDoc({
      links: {
        ...feedDoc().links,
        self: `${SITE}/feed.xml?before=1709600000-b`,
        first: `${SITE}/feed.xml`,
        next: `${SITE}/feed.xml?before=1709500000-c`,
        hub: "https://hub.example/",
      },
    });
    const links = parseRssFeed(renderRss(paged)).atom?.links ?? [];
    expect(links.map((l) => [l.rel, l.href])).toEqual([
      ["self", `${SITE}/feed.xml?before=1709600000-b`],
      ["first", `${SITE}/feed.xml`],
      ["next", `${SITE}/feed.xml?before=1709500000-c`],
      ["hub", "https://hub.example/"],
    ]);
  });

  it("credits every author in one dc:creator (readers show one) and never writes <author>", () => {
    const xml = renderRss(
      feedDoc({
        entries: [
          feedEntry({
            authors: [
              { name: "Kim Seo-yeon", email: "kim@example.com" },
              { name: "Ana Lima", url: "https://ana.example" },
            ],
          }),
        ],
      }),
    );
    expect(xml).not.toMatch(/<author\b/);
    expect(xml).not.toContain("kim@example.com");
    const item = parseRssFeed(xml).items?.[0];
    expect(item?.dc?.creators).toEqual(["Kim Seo-yeon, Ana Lima"]);
    expect(item?.authors).toBeUndefined();
  });

  it("credits the site author on the channel with dc:creator", () => {
    expect(parseRssFeed(renderRss(feedDoc())).dc?.creators).toEqual(["Dateline Desk"]);
  });

  it("writes title, link, guid (isPermaLink=false), pubDate, description before content:encoded", () => {
    const xml = renderRss(feedDoc());
    const item = firstItem(xml);
    const order = ["title", "link", "guid", "pubDate", "description", "content:encoded"].map(
      (name) => item.indexOf(`<${name}`),
    );
    expect(order.every((at) => at >= 0)).toBe(true);
    expect(item.indexOf("<description")).toBeLessThan(item.indexOf("<content:encoded"));
    expect(tags(item, "guid")[0]).toEqual({ isPermaLink: "false" });
    const parsed = parseRssFeed(xml).items?.[0];
    expect(parsed?.guid).toEqual({
      value: "urn:uuid:00000000-0000-5000-8000-000000000001",
      isPermaLink: false,
    });
    expect(parsed?.link).toBe(`${SITE}/articles/harbour`);
    expect(parsed?.pubDate).toBe("Tue, 05 Mar 2024 00:30:00 GMT");
    expect(parsed?.title).toBe("Harbour ferry terminal opens");
  });

  it("writes the plain-text summary as description, HTML-escaped, and the body as content:encoded", () => {
    const xml = renderRss(
      feedDoc({
        entries: [feedEntry({ summary: "Fish & <chips>", contentHtml: "<p>Fish &amp; chips</p>" })],
      }),
    );
    const item = parseRssFeed(xml).items?.[0];
    expect(item?.description).toBe("Fish &amp; &lt;chips&gt;");
    expect(item?.content?.encoded).toBe("<p>Fish &amp; chips</p>");
  });

  it("writes title text with numeric references for & and < (as the W3C validator asks)", () => {
    const xml = renderRss(feedDoc({ entries: [feedEntry({ title: "Fish & <chips>" })] }));
    expect(elements(firstItem(xml), "title")[0]).toBe("Fish &#x26; &#x3C;chips&#x3E;");
  });

  it("writes one category per tag", () => {
    const xml = renderRss(
      feedDoc({ entries: [feedEntry({ tags: ["Transport", "부산", "K&R"] })] }),
    );
    expect(parseRssFeed(xml).items?.[0]?.categories?.map((c) => c.name)).toEqual([
      "Transport",
      "부산",
      "K&R",
    ]);
  });

  it("writes one enclosure: the first attachment, with its type and length", () => {
    const xml = renderRss(
      feedDoc({
        entries: [
          feedEntry({
            image: `${SITE}/img/ferry.jpg`,
            attachments: [
              {
                url: `${SITE}/ep1.mp3`,
                type: "audio/mpeg",
                size: 1234567,
                title: "Ep 1",
                durationSeconds: 60,
              },
              { url: `${SITE}/report.pdf`, type: "application/pdf", size: 10 },
            ],
          }),
        ],
      }),
    );
    const enclosures = tags(firstItem(xml), "enclosure");
    expect(enclosures).toEqual([{ url: `${SITE}/ep1.mp3`, type: "audio/mpeg", length: "1234567" }]);
  });

  it.each([
    ["ferry.jpg", "image/jpeg"],
    ["ferry.JPG", "image/jpeg"],
    ["ferry.jpeg", "image/jpeg"],
    ["ferry.png", "image/png"],
    ["ferry.webp", "image/webp"],
    ["ferry.gif?v=2", "image/gif"],
  ])("makes the image %s an enclosure of type %s with a length", (file, type) => {
    const xml = renderRss(feedDoc({ entries: [feedEntry({ image: `${SITE}/img/${file}` })] }));
    const [enclosure] = tags(firstItem(xml), "enclosure");
    expect(enclosure).toEqual({ url: `${SITE}/img/${file}`, type, length: "0" });
  });

  it("writes no enclosure for an image of unknown type, and never image/jpg", () => {
    const xml = renderRss(feedDoc({ entries: [feedEntry({ image: `${SITE}/img/photo` })] }));
    expect(tags(firstItem(xml), "enclosure")).toEqual([]);
    const jpg = renderRss(
      feedDoc({
        entries: [feedEntry({ attachments: [{ url: `${SITE}/p.jpg`, type: "image/jpg" }] })],
      }),
    );
    expect(jpg).not.toContain("image/jpg");
  });

  it("is byte-identical across renders of the same document", () => {
    const doc = feedDoc({ entries: [feedEntry(), feedEntry({ id: "urn:uuid:2", title: "Two" })] });
    const again = structuredClone(doc);
    expect(renderRss(again)).toBe(renderRss(doc));
  });

  it("renders an empty feed (no entries) that is still well-formed", () => {
    const xml = renderRss(feedDoc({ entries: [] }));
    expect(xmllintErrors(xml)).toBe("");
    expect(parseRssFeed(xml).items ?? []).toEqual([]);
  });
});
