import { stripXmlIllegal } from "../articles/text.ts";

/** Escapes text for XML element content and attribute values. */
export function xmlEscape(value: string): string {
  return stripXmlIllegal(value)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

/** Plain text for an RSS title: `&`, `<` and `>` as numeric references, as the W3C validator wants. */
function rssText(value: string): string {
  return stripXmlIllegal(value)
    .replace(/&/g, "&#x26;")
    .replace(/</g, "&#x3C;")
    .replace(/>/g, "&#x3E;");
}

/** HTML inside CDATA: the only sequence that can end a CDATA section is made harmless. */
function cdata(html: string): string {
  return `<![CDATA[${stripXmlIllegal(html).replace(/]]>/g, "]]&gt;")}]]>`;
}

type Kind = "text" | "rss-text" | "html" | "text-as-html";

const OPEN = "\uE000";
const CLOSE = "\uE001";
const TOKEN = new RegExp(`<!\\[CDATA\\[${OPEN}(\\d+)${CLOSE}\\]\\]>|${OPEN}(\\d+)${CLOSE}`, "g");

/**
 * The safety layer around the `feed` package. Every user-supplied string is handed to `feed` as
 * an opaque token and written back afterwards with the escaping its context needs, so nothing
 * `feed` or xml-js does (one-shot `]]>` splitting, `"`-only attribute escaping, raw control
 * characters, `&amp;` un-escaping) can reach the output.
 */
export class SafeStrings {
  readonly #values: { value: string; kind: Kind }[] = [];

  /** Plain text written as escaped character data (element content or attribute value). */
  text(value: string): string {
    return this.#token(value, "text");
  }

  /** Plain text for an RSS title or channel text: numeric character references for `&` `<` `>`. */
  rssText(value: string): string {
    return this.#token(value, "rss-text");
  }

  /** Sanitized HTML, written as CDATA. */
  html(value: string): string {
    return this.#token(value, "html");
  }

  /** Plain text in an HTML-typed element (Atom `type="html"`): HTML-escaped, then CDATA. */
  textAsHtml(value: string): string {
    return this.#token(value, "text-as-html");
  }

  /** Replaces every token in `xml` by its escaped value. */
  resolve(xml: string): string {
    return xml.replace(TOKEN, (_match, inCdata: string | undefined, bare: string | undefined) => {
      const entry = this.#values[Number(inCdata ?? bare)];
      if (!entry) throw new Error("unknown feed token");
      const { value, kind } = entry;
      if (kind === "html") return inCdata ? cdata(value) : xmlEscape(value);
      if (kind === "text-as-html") {
        const escaped = value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
        return inCdata ? cdata(escaped) : xmlEscape(escaped);
      }
      return kind === "rss-text" ? rssText(value) : xmlEscape(value);
    });
  }

  #token(value: string, kind: Kind): string {
    this.#values.push({ value, kind });
    return `${OPEN}${this.#values.length - 1}${CLOSE}`;
  }
}

/** MIME type of an image URL from its extension (registered types only; `image/jpg` is not one). */
export function imageType(url: string): string | undefined {
  const ext = new URL(url).pathname.split(".").pop()?.toLowerCase();
  const types: Record<string, string> = {
    jpg: "image/jpeg",
    jpeg: "image/jpeg",
    png: "image/png",
    gif: "image/gif",
    webp: "image/webp",
    avif: "image/avif",
    svg: "image/svg+xml",
  };
  return ext ? types[ext] : undefined;
}
