import { describe, expect, it } from "vitest";
import { renderArticleHtml, sanitizeHtml } from "../../functions/articles/html.ts";
import { absoluteUrl, resolveFragments } from "../../functions/articles/urls.ts";
import { xmllintErrors } from "../fixtures/index.ts";

const SITE = "https://news.example.com";

function markdown(body: string): string {
  return renderArticleHtml({ format: "markdown", body }, SITE);
}

/** Every href and src value in `html`, entity-decoded as a browser would see it. */
function urls(html: string): string[] {
  return [...html.matchAll(/\b(?:href|src)\s*=\s*"([^"]*)"/gi)].map((m) =>
    (m[1] ?? "").replace(/&amp;/g, "&").replace(/&quot;/g, '"'),
  );
}

describe("Markdown rendering", () => {
  it("renders Markdown to HTML", () => {
    const html = markdown(
      "## Heading\n\nSome *emphasis*, **strong** and `code`.\n\n- one\n- two\n",
    );
    expect(html).toContain("<h2");
    expect(html).toContain("<em>emphasis</em>");
    expect(html).toContain("<strong>strong</strong>");
    expect(html).toContain("<code>code</code>");
    expect(html).toMatch(/<ul>\s*<li>one<\/li>\s*<li>two<\/li>\s*<\/ul>/);
  });

  it("keeps a fenced code block's text escaped", () => {
    const html = markdown("```html\n<script>alert(1)</script>\n```\n");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).not.toContain("<script");
  });

  it("renders wire paragraphs escaped, with the dateline first", () => {
    const html = renderArticleHtml(
      { format: "wire", body: "A <b> & B.\n\nSecond.", dateline: "SEOUL (AP & CO)" },
      SITE,
    );
    expect(html).toBe(
      "<p><strong>SEOUL (AP &amp; CO)</strong> – A &lt;b&gt; &amp; B.</p>\n<p>Second.</p>",
    );
  });
});

describe("raw HTML is sanitized", () => {
  it.each(["script", "style", "iframe", "object", "embed", "noscript", "template", "svg", "form"])(
    "removes <%s> with its content",
    (tag) => {
      const html = markdown(`Before\n\n<${tag}>SECRET alert(1)</${tag}>\n\nAfter\n`);
      expect(html).not.toMatch(new RegExp(`<${tag}`, "i"));
      expect(html).not.toContain("SECRET");
      expect(html).toContain("Before");
      expect(html).toContain("After");
    },
  );

  it("removes script even when inline, upper-case or unclosed", () => {
    for (const raw of [
      "Text <SCRIPT>alert(1)</SCRIPT> more",
      "Text <script src=//evil.example/x.js></script> more",
      '<p>Text <script type="text/javascript">alert(1)</script></p>',
    ]) {
      const html = markdown(raw);
      expect(html.toLowerCase()).not.toContain("<script");
      expect(html).not.toContain("alert(1)");
    }
  });

  it("removes on* event handlers", () => {
    const html = markdown(
      '<p onclick="alert(1)">x</p>\n\n<img src="/a.png" onerror="alert(2)" ONLOAD=alert(3)>\n\n<a href="/x" onmouseover="alert(4)">y</a>',
    );
    expect(html).not.toMatch(/\bon[a-z]+\s*=/i);
    expect(html).not.toContain("alert(");
    expect(html).toContain(`src="${SITE}/a.png"`);
    expect(html).toContain(`href="${SITE}/x"`);
  });

  it.each([
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="\tjavascript:alert(1)">x</a>',
    '<a href="java\nscript:alert(1)">x</a>',
    '<a href="jav&#x61;script:alert(1)">x</a>',
    '<a href="jav&#97;script:alert(1)">x</a>',
    '<a href="jav&#x61script:alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=">',
    '<img src="javascript:alert(1)">',
    '<a HREF="javascript:alert(1)">x</a>',
    "<a href=javascript:alert(1)>x</a>",
    "<a href='javascript:alert(1)'>x</a>",
    '<a href="&#0000106avascript:alert(1)">x</a>',
    '<a href="javas&#x09;cript:alert(1)">x</a>',
    '<a href="&#x20;javascript:alert(1)">x</a>',
    '<a href="javascript&#x3A;alert(1)">x</a>',
    "<javascript:alert(1)>",
    '[x](javascript:alert(1) "title")',
    "[x](javascript:alert(1))",
    "[x](jav&#x61;script:alert(1))",
    "![x](data:image/png;base64,AAAA)",
  ])("drops the unsafe URL in %s", (raw) => {
    const html = markdown(raw);
    for (const url of urls(html)) {
      expect(url).toMatch(/^(https?:|mailto:|#)/);
    }
    // No attribute keeps such a URL (the link text may still show it, harmlessly).
    expect(html).not.toMatch(/=\s*["']?[^"'>]*(javascript|vbscript|data):/i);
  });

  it("removes an unsafe href or src attribute entirely (a bare one would point at the page)", () => {
    expect(markdown('<a href="javascript:alert(1)">x</a>')).toBe("<p><a>x</a></p>");
    expect(markdown('<img src="data:image/png;base64,AAAA" alt="a">')).toBe('<img alt="a">');
  });

  it("treats video poster and blockquote cite as URLs too", () => {
    const html = markdown(
      '<video src="/v.mp4" poster="/p.png"></video>\n\n<blockquote cite="/src">q</blockquote>\n\n<video poster="javascript:alert(1)"></video>',
    );
    expect(html).toContain(`poster="${SITE}/p.png"`);
    expect(html).toContain(`cite="${SITE}/src"`);
    expect(html).not.toContain("javascript");
  });

  it("removes base, meta, link and form elements that could redirect or restyle the page", () => {
    const html = markdown(
      '<base href="https://evil.example/"><meta http-equiv="refresh" content="0;url=https://evil.example"><link rel="stylesheet" href="/x.css"><form action="https://evil.example"><input name="q"></form>\n\nText',
    );
    expect(html).not.toMatch(/<(base|meta|link|form|input)\b/i);
    expect(html).not.toContain("evil.example");
    expect(html).toContain("Text");
  });

  it("keeps safe absolute URLs and mailto links", () => {
    const html = markdown(
      '[a](https://other.example/p?q=1&r=2) [m](mailto:desk@news.example.com) <img src="http://cdn.example/i.png" alt="A &amp; B">',
    );
    expect(urls(html)).toEqual([
      "https://other.example/p?q=1&r=2",
      "mailto:desk@news.example.com",
      "http://cdn.example/i.png",
    ]);
  });

  it("drops attributes outside the allow-list (style, class on links, id)", () => {
    const html = markdown('<a href="/x" style="color:red" class="c" id="i" target="_blank">x</a>');
    expect(html).toBe(`<p><a href="${SITE}/x">x</a></p>`);
  });
});

describe("relative URLs become absolute", () => {
  it.each([
    ["/x", `${SITE}/x`],
    ["x/y.png", `${SITE}/x/y.png`],
    ["../z", `${SITE}/z`],
    ["./a/../b", `${SITE}/b`],
    ["//cdn.example/x", "https://cdn.example/x"],
    ["/search?q=a&b=c#top", `${SITE}/search?q=a&b=c#top`],
    ["/path with space", `${SITE}/path%20with%20space`],
  ])("resolves %s", (relative, absolute) => {
    expect(urls(markdown(`<a href="${relative}">a</a> <img src="${relative}">`))).toEqual([
      absolute,
      absolute,
    ]);
    expect(urls(markdown(`[a](<${relative}>)`))).toEqual([absolute]);
  });

  it("keeps fragment-only links as fragments", () => {
    expect(urls(markdown('[jump](#section-2) <a href="#top">top</a>'))).toEqual([
      "#section-2",
      "#top",
    ]);
  });

  it("resolveFragments points fragment-only links at the article, for feeds", () => {
    const html = markdown('[jump](#notes) [x](/x#y) text href="#z"');
    expect(resolveFragments(html, `${SITE}/articles/a`)).toBe(
      `<p><a href="${SITE}/articles/a#notes">jump</a> <a href="${SITE}/x#y">x</a> text href=&quot;#z&quot;</p>`,
    );
  });

  it("resolves against a site URL with a path", () => {
    const html = renderArticleHtml(
      { format: "markdown", body: "[a](x/y) [b](/root) ![c](img.png)" },
      "https://example.com/news",
    );
    expect(urls(html)).toEqual([
      "https://example.com/news/x/y",
      "https://example.com/root",
      "https://example.com/news/img.png",
    ]);
  });

  it("absoluteUrl refuses unsafe schemes and keeps http(s)", () => {
    expect(absoluteUrl("javascript:alert(1)", SITE)).toBeUndefined();
    expect(absoluteUrl("mailto:a@example.com", SITE, "source")).toBeUndefined();
    expect(absoluteUrl("mailto:a@example.com", SITE, "link")).toBe("mailto:a@example.com");
    expect(absoluteUrl("  ", SITE)).toBeUndefined();
    expect(absoluteUrl("img/a.jpg", SITE, "source")).toBe(`${SITE}/img/a.jpg`);
  });
});

describe("well-formed output", () => {
  it("escapes stray ampersands but keeps real entities", () => {
    const html = sanitizeHtml("<p>AT&T &amp; R&D &copy; &#169; &#xA9; &copy &</p>", SITE);
    expect(html).toBe("<p>AT&amp;T &amp; R&amp;D &copy; &#169; &#xA9; &amp;copy &amp;</p>");
  });

  it("produces HTML that parses as XML once wrapped (no stray & or <)", () => {
    const html = markdown(
      'AT&T <b>bold & <i>x</i></b> a < b > c\n\n<a href="/x?a=1&b=2" title="&quot;q&quot; & \'s\'">l</a> <img src="/i.png" alt="a<b">',
    );
    const named = html.replace(/&(copy|nbsp);/g, "");
    expect(xmllintErrors(`<div>${named.replace(/<img([^>]*[^/])>/g, "<img$1/>")}</div>`)).toBe("");
    expect(html).not.toMatch(/&(?!(?:#\d+|#x[0-9a-f]+|[a-z][a-z0-9]*);)/i);
  });
});
