import { describe, expect, it } from "vitest";
import { renderJson } from "../../functions/feeds/json.ts";
import { feedDoc, feedEntry, SITE } from "../fixtures/index.ts";

// biome-ignore lint/suspicious/noExplicitAny: parsed JSON is checked field by field below.
const parse = (text: string): any => JSON.parse(text);

describe("JSON Feed 1.1", () => {
  it("has the 1.1 version URL and the feed-level fields", () => {
    const json = parse(
      renderJson(
        feedDoc({
          language: "ko",
          links: { ...feedDoc().links, self: `${SITE}/feed.json`, hub: "https://hub.example/" },
        }),
      ),
    );
    expect(json.version).toBe("https://jsonfeed.org/version/1.1");
    expect(json.title).toBe("Dateline");
    expect(json.description).toBe("News from Dateline");
    expect(json.home_page_url).toBe(`${SITE}/`);
    expect(json.feed_url).toBe(`${SITE}/feed.json`);
    expect(json.language).toBe("ko");
    expect(json.authors).toEqual([{ name: "Dateline Desk", url: `${SITE}/about` }]);
    expect(json.author).toBeUndefined();
    expect(json.hubs).toEqual([{ type: "WebSub", url: "https://hub.example/" }]);
    expect(json.next_url).toBeUndefined();
  });

  it("writes next_url when there is an older page", () => {
    const next = `${SITE}/feed.json?before=1709500000-c`;
    expect(parse(renderJson(feedDoc({ links: { ...feedDoc().links, next } }))).next_url).toBe(next);
  });

  it("writes each item with id, url, title, content_html, plain summary, dates, authors, tags, image", () => {
    const json = parse(
      renderJson(
        feedDoc({
          entries: [
            feedEntry({
              summary: "Fish & <chips>",
              contentHtml: "<p>Fish &amp; chips</p>",
              image: `${SITE}/img/ferry.jpg`,
              tags: ["Transport", "부산"],
              lang: "ko",
              authors: [{ name: "Kim", email: "kim@example.com", url: "https://kim.example/" }],
            }),
          ],
        }),
      ),
    );
    expect(json.items).toEqual([
      {
        id: "urn:uuid:00000000-0000-5000-8000-000000000001",
        url: `${SITE}/articles/harbour`,
        title: "Harbour ferry terminal opens",
        content_html: "<p>Fish &amp; chips</p>",
        summary: "Fish & <chips>",
        date_published: "2024-03-05T00:30:00.000Z",
        date_modified: "2024-03-06T08:00:00.000Z",
        authors: [{ name: "Kim", url: "https://kim.example/" }],
        tags: ["Transport", "부산"],
        image: `${SITE}/img/ferry.jpg`,
        banner_image: `${SITE}/img/ferry.jpg`,
        language: "ko",
      },
    ]);
  });

  it("always writes content_html and id, even for an empty body", () => {
    const item = parse(renderJson(feedDoc({ entries: [feedEntry({ contentHtml: "" })] }))).items[0];
    expect(item.content_html).toBe("");
    expect(typeof item.id).toBe("string");
  });

  it("writes attachments with mime_type, size and duration (registered types only)", () => {
    const json = parse(
      renderJson(
        feedDoc({
          entries: [
            feedEntry({
              attachments: [
                {
                  url: `${SITE}/ep1.mp3`,
                  type: "audio/mpeg",
                  size: 1234,
                  title: "Ep 1",
                  durationSeconds: 61,
                },
                { url: `${SITE}/p.jpg`, type: "image/jpg" },
              ],
            }),
          ],
        }),
      ),
    );
    expect(json.items[0].attachments).toEqual([
      {
        url: `${SITE}/ep1.mp3`,
        mime_type: "audio/mpeg",
        title: "Ep 1",
        size_in_bytes: 1234,
        duration_in_seconds: 61,
      },
      { url: `${SITE}/p.jpg`, mime_type: "image/jpeg" },
    ]);
  });

  it("leaves out empty authors, tags and attachments rather than writing empty lists", () => {
    const item = parse(
      renderJson(feedDoc({ entries: [feedEntry({ authors: [], tags: [], attachments: [] })] })),
    ).items[0];
    expect(item).not.toHaveProperty("authors");
    expect(item).not.toHaveProperty("tags");
    expect(item).not.toHaveProperty("attachments");
  });

  it("is byte-identical across renders of the same document", () => {
    const doc = feedDoc({ entries: [feedEntry(), feedEntry({ id: "urn:uuid:2", title: "Two" })] });
    expect(renderJson(structuredClone(doc))).toBe(renderJson(doc));
  });
});
