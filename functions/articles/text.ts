import { ArticleError } from "../errors.ts";

const BOM = "\uFEFF";
/** Characters XML 1.0 forbids (biome.json allows control characters in this file's patterns): (C0 controls except tab/LF/CR, lone surrogates, U+FFFE/U+FFFF). */
const XML_ILLEGAL =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Removes characters that are illegal in XML so no feed can ever be malformed by them. */
export function stripXmlIllegal(value: string): string {
  return value.replace(XML_ILLEGAL, "");
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes stored bytes as UTF-8 (BOM dropped, CRLF/CR turned into LF, XML-illegal characters
 * removed). Throws ArticleError for bytes that are not UTF-8.
 */
export function decodeArticle(file: string, bytes: Uint8Array): string {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new ArticleError(file, ["not valid UTF-8 text"]);
  }
  if (text.startsWith(BOM)) text = text.slice(1);
  return stripXmlIllegal(text.replace(/\r\n?/g, "\n"));
}

/** Collapses whitespace runs and trims. */
export function squash(value: string): string {
  return value.replace(/\s+/g, " ").trim();
}

/**
 * Shortens plain text to at most `max` characters at a word boundary, adding an ellipsis
 * when something was cut.
 */
export function truncateWords(value: string, max: number): string {
  const text = squash(value);
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const boundary = cut.lastIndexOf(" ");
  const head = boundary > max / 2 ? cut.slice(0, boundary) : cut;
  return `${head.replace(/[\s,;:.\-–—]+$/u, "")}…`;
}

/**
 * Lower-case ASCII slug from any text: accents folded, anything else becomes a hyphen.
 * Non-Latin text (e.g. Korean) is kept as Unicode letters so a tag like 축제 still has a slug.
 */
export function slugify(value: string): string {
  return (
    value
      .normalize("NFKD")
      // Accents are folded (é → e), then NFC composes what NFKD split apart: Hangul syllables
      // (축제 stays 축제, as typed in a URL) and voiced kana (ガ is not カ). Other marks go.
      .replace(/[\u0300-\u036f]+/g, "")
      .normalize("NFC")
      .replace(/\p{M}+/gu, "")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 80)
      .replace(/[\uD800-\uDBFF]$/, "") // a cut surrogate pair would break encodeURIComponent
      .replace(/-+$/g, "")
  );
}
