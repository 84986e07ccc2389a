import { stripXmlIllegal } from "../articles/text.ts";
import type { FeedDocument } from "./model.ts";

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

/**
 * HTML inside CDATA. Every `]]>` (the only sequence that can end a section) is split across two
 * sections, so a reader gets back exactly the HTML that was written.
 */
function cdata(html: string): string {
  return `<![CDATA[${stripXmlIllegal(html).replace(/]]>/g, "]]]]><![CDATA[>")}]]>`;
}

type Kind = "text" | "rss-text" | "html" | "text-as-html" | "url";

const OPEN = "\uE000";
const CLOSE = "\uE001";
/** URL tokens must themselves be URLs that `new URL(token).toString()` leaves unchanged. */
const URL_TOKEN = "x-dateline-url:";
const TOKEN = new RegExp(
  `<!\\[CDATA\\[${OPEN}(\\d+)${CLOSE}\\]\\]>|${OPEN}(\\d+)${CLOSE}|${URL_TOKEN}(\\d+)`,
  "g",
);

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

  /**
   * A URL or URI (link, id, enclosure) that `feed` would otherwise parse and normalize
   * (`https://A.example` → `https://a.example/`), so one entry's id differed between formats.
   */
  url(value: string): string {
    this.#values.push({ value, kind: "url" });
    return `${URL_TOKEN}${this.#values.length - 1}`;
  }

  /** Replaces every token in `xml` by its escaped value. */
  resolve(xml: string): string {
    return xml.replace(TOKEN, (_match, inCdata?: string, bare?: string, url?: string) => {
      const entry = this.#values[Number(inCdata ?? bare ?? url)];
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

/** Unregistered MIME types people write, and the registered type each means. */
const MEDIA_TYPE_ALIASES: Record<string, string> = {
  "image/jpg": "image/jpeg",
  "image/pjpeg": "image/jpeg",
  "audio/mp3": "audio/mpeg",
  "audio/x-mp3": "audio/mpeg",
};

/** A MIME type as feeds should carry it: lower case, registered (`image/jpeg`, not `image/jpg`). */
export function mediaType(type: string): string {
  const lower = type.trim().toLowerCase();
  return MEDIA_TYPE_ALIASES[lower] ?? lower;
}

/** MIME type of an image URL from its extension (registered types only; `image/jpg` is not one). */
export function imageType(url: string): string | undefined {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return undefined;
  }
  const ext = path.includes(".") ? path.split(".").pop()?.toLowerCase() : undefined;
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

/** `url` made absolute against `base` when it is relative; undefined when it cannot be. */
function absoluteAgainst(url: string, base: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) return url;
  try {
    return new URL(url, base).href;
  } catch {
    return undefined;
  }
}

/**
 * The document with every entry URL (link, image, attachments, author pages) absolute against the
 * site page. buildFeed already resolves them; a renderer must still never emit a relative URL
 * (readers resolve it against the feed, `feed` throws on it) whoever built the document.
 */
export function withAbsoluteUrls(doc: FeedDocument): FeedDocument {
  const base = doc.links.alternate;
  return {
    ...doc,
    entries: doc.entries.map((entry) => {
      const image = entry.image ? absoluteAgainst(entry.image, base) : undefined;
      const { image: _image, ...rest } = entry;
      return {
        ...rest,
        url: absoluteAgainst(entry.url, base) ?? entry.url,
        ...(image ? { image } : {}),
        attachments: entry.attachments.flatMap((a) => {
          const url = absoluteAgainst(a.url, base);
          return url ? [{ ...a, url }] : [];
        }),
        authors: entry.authors.map((p) => {
          const url = p.url ? absoluteAgainst(p.url, base) : undefined;
          const { url: _url, ...person } = p;
          return url ? { ...person, url } : person;
        }),
      };
    }),
  };
}
