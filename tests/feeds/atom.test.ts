import { describe, expect, it } from "vitest";
import { renderAtom } from "../../functions/feeds/atom.ts";
import {
  elements,
  feedDoc,
  feedEntry,
  parseAtomFeed,
  SITE,
  tags,
  xmllintErrors,
} from "../fixtures/index.ts";

describe("Atom 1.0", () => {
  it("is well-formed, with xml:lang, id, title, subtitle, updated and the feed author", () => {
    const xml = renderAtom(feedDoc({ language: "ko" }));
    expect(xmllintErrors(xml)).toBe("");
    expect(tags(xml, "feed")[0]).toEqual({
      xmlns: "http://www.w3.org/2005/Atom",
      "xml:lang": "ko",
    });
    const feed = parseAtomFeed(xml);
    expect(feed.id).toBe("urn:uuid:00000000-0000-5000-8000-0000000000f0");
    expect(feed.title?.value).toBe("Dateline");
    expect(feed.subtitle?.value).toBe("News from Dateline");
    expect(feed.updated).toBe("2024-03-06T08:00:00.000Z");
    expect(feed.authors).toEqual([
      { name: "Dateline Desk", email: "desk@news.example.com", uri: `${SITE}/about` },
    ]);
  });

  it("has a typed self link, an alternate link, and first/next/hub links when given", () => {
    const selfOnly = parseAtomFeed(
      renderAtom(feedDoc({ links: { ...feedDoc().links, self: `${SITE}/atom.xml` } })),
    );
    expect(selfOnly.links).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          rel: "self",
          href: `${SITE}/atom.xml`,
          type: "application/atom+xml",
        }),
        expect.objectContaining({ rel: "alternate", href: `${SITE}/` }),
      ]),
    );
    expect(selfOnly.links?.map((l) => l.rel).sort()).toEqual(["alternate", "self"]);

    const paged = feedDoc({
      links: {
        ...feedDoc().links,
        self: `${SITE}/atom.xml?limit=2&before=1709600000-b`,
        first: `${SITE}/atom.xml?limit=2`,
        next: `${SITE}/atom.xml?limit=2&before=1709500000-c`,
        hub: "https://hub.example/",
      },
    });
    const links = parseAtomFeed(renderAtom(paged)).links ?? [];
    const byRel = Object.fromEntries(links.map((l) => [l.rel, l.href]));
    expect(byRel).toEqual({
      alternate: `${SITE}/`,
      self: paged.links.self,
      first: paged.links.first,
      next: paged.links.next,
      hub: "https://hub.example/",
    });
  });

  it("writes each entry with id, alternate link, published, updated, author and categories", () => {
    const xml = renderAtom(
      feedDoc({
        entries: [
          feedEntry({
            authors: [
              { name: "Kim Seo-yeon", email: "kim@example.com", url: "https://kim.example/" },
            ],
            tags: ["Transport", "부산"],
          }),
        ],
      }),
    );
    const entry = parseAtomFeed(xml).entries?.[0];
    expect(entry?.id).toBe("urn:uuid:00000000-0000-5000-8000-000000000001");
    expect(entry?.links).toEqual([
      expect.objectContaining({
        rel: "alternate",
        href: `${SITE}/articles/harbour`,
        type: "text/html",
      }),
    ]);
    expect(entry?.published).toBe("2024-03-05T00:30:00.000Z");
    expect(entry?.updated).toBe("2024-03-06T08:00:00.000Z");
    expect(entry?.authors).toEqual([
      { name: "Kim Seo-yeon", email: "kim@example.com", uri: "https://kim.example/" },
    ]);
    expect(entry?.categories?.map((c) => c.term)).toEqual(["Transport", "부산"]);
  });

  it("writes titles as type=text character data that parse back to exactly the original text", () => {
    const title = `Fish & <chips> "quoted" 'single' ]]> 🐟 부산`;
    const xml = renderAtom(feedDoc({ entries: [feedEntry({ title })] }));
    expect(xml).toContain(
      "<title type=\"text\">Fish &amp; &lt;chips&gt; &quot;quoted&quot; 'single' ]]&gt; 🐟 부산</title>",
    );
    const entry = parseAtomFeed(xml).entries?.[0];
    expect(entry?.title).toEqual({ type: "text", value: title });
  });

  it("writes the summary as plain text and the content as HTML", () => {
    const xml = renderAtom(
      feedDoc({ entries: [feedEntry({ summary: "a < b", contentHtml: "<p>a &lt; b</p>" })] }),
    );
    const entry = parseAtomFeed(xml).entries?.[0];
    expect(xml).toContain('<summary type="text">a &lt; b</summary>');
    expect(entry?.summary).toEqual({ type: "text", value: "a < b" });
    expect(entry?.content).toEqual({ value: "<p>a &lt; b</p>", type: "html" });
  });

  it("leaves out a blank summary or content instead of writing empty elements", () => {
    const noSummary = renderAtom(feedDoc({ entries: [feedEntry({ summary: " " })] }));
    expect(xmllintErrors(noSummary)).toBe("");
    expect(parseAtomFeed(noSummary).entries?.[0]?.summary).toBeUndefined();
    const noContent = parseAtomFeed(
      renderAtom(feedDoc({ entries: [feedEntry({ contentHtml: "" })] })),
    );
    expect(noContent.entries?.[0]?.content).toBeUndefined();
    expect(noContent.entries?.[0]?.summary?.value).toBe("The new terminal opened on Tuesday.");
  });

  it("gives a title-only entry its title as summary, so it has some text", () => {
    const xml = renderAtom(
      feedDoc({ entries: [feedEntry({ title: "Ferry & bus", summary: "", contentHtml: "" })] }),
    );
    const entry = parseAtomFeed(xml).entries?.[0];
    expect(entry?.content).toBeUndefined();
    expect(entry?.summary).toEqual({ type: "text", value: "Ferry & bus" });
  });

  it("writes an entry without authors validly: the feed author covers it", () => {
    const xml = renderAtom(feedDoc({ entries: [feedEntry({ authors: [] })] }));
    expect(xmllintErrors(xml)).toBe("");
    expect(parseAtomFeed(xml).authors?.[0]?.name).toBe("Dateline Desk");
  });

  it("writes the image and every attachment as typed enclosure links with lengths", () => {
    const xml = renderAtom(
      feedDoc({
        entries: [
          feedEntry({
            image: `${SITE}/img/ferry.JPG`,
            attachments: [
              { url: `${SITE}/ep1.mp3`, type: "audio/mpeg", size: 1234, title: "Episode 1" },
              { url: `${SITE}/report.pdf`, type: "application/pdf" },
            ],
          }),
        ],
      }),
    );
    const entryXml = elements(xml, "entry")[0] ?? "";
    const enclosures = tags(entryXml, "link").filter((l) => l.rel === "enclosure");
    expect(enclosures).toEqual([
      { rel: "enclosure", href: `${SITE}/img/ferry.JPG`, type: "image/jpeg" },
      {
        rel: "enclosure",
        href: `${SITE}/ep1.mp3`,
        type: "audio/mpeg",
        length: "1234",
        title: "Episode 1",
      },
      { rel: "enclosure", href: `${SITE}/report.pdf`, type: "application/pdf" },
    ]);
    expect(xml).not.toContain('image/jpg"');
  });

  it("keeps entry ids exactly as given (no URL normalization)", () => {
    for (const id of [
      "https://News.Example.com",
      "tag:news.example.com,2024:Post/1",
      "urn:uuid:ABC",
    ]) {
      const entry = parseAtomFeed(renderAtom(feedDoc({ entries: [feedEntry({ id })] })))
        .entries?.[0];
      expect(entry?.id).toBe(id);
    }
  });

  it("is byte-identical across renders of the same document", () => {
    const doc = feedDoc({ entries: [feedEntry(), feedEntry({ id: "urn:uuid:2", title: "Two" })] });
    expect(renderAtom(structuredClone(doc))).toBe(renderAtom(doc));
  });

  it("renders an empty feed that is still well-formed", () => {
    const xml = renderAtom(feedDoc({ entries: [] }));
    expect(xmllintErrors(xml)).toBe("");
    expect(parseAtomFeed(xml).entries ?? []).toEqual([]);
  });
});
