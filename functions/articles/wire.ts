import { squash, truncateWords } from "./text.ts";

/** Headlines derived from a first sentence are cut at a word boundary to about this length. */
export const HEADLINE_MAX = 110;

/**
 * `date 2019-04-16 SEOUL (BLOOMBERG)- Body…`: the date marker, then a dateline of a place and
 * a source in parentheses, then a hyphen or dash (or `--`, with or without spaces) before the body.
 */
const WIRE = /^\s*date[ \t]+(\d{4}-\d{2}-\d{2})(?:[ \t]+|[ \t]*\n\s*)/i;
const DATELINE = /^([^\n()]{1,80}?)[ \t]*\(([^\n()]{1,80})\)[ \t]*[-‐‑‒–—―]{1,2}[ \t]*/;

export interface WireArticle {
  date: string;
  place?: string;
  source?: string;
  paragraphs: string[];
}

/** True when the text starts with the wire format's `date YYYY-MM-DD` marker. */
export function looksLikeWire(text: string): boolean {
  return WIRE.test(text);
}

/** Parses the plain-text wire format. Returns an error string for text that is not wire. */
export function parseWire(text: string): WireArticle | { error: string } {
  const marker = WIRE.exec(text);
  if (!marker?.[1]) return { error: "missing the leading `date YYYY-MM-DD` line" };
  let rest = text.slice(marker[0].length);
  const dateline = DATELINE.exec(rest);
  let place: string | undefined;
  let source: string | undefined;
  if (dateline?.[1] && dateline[2]) {
    place = squash(dateline[1]);
    source = squash(dateline[2]);
    rest = rest.slice(dateline[0].length);
  }
  // Blank lines separate paragraphs; copy with no blank line at all has one paragraph a line.
  const separator = /\n[ \t]*\n/.test(rest.trim()) ? /\n[ \t]*\n/ : /\n/;
  const paragraphs = rest
    .split(separator)
    .map(squash)
    .filter((p) => p !== "");
  if (paragraphs.length === 0) return { error: "the article has no text after its date" };
  return {
    date: marker[1],
    ...(place ? { place } : {}),
    ...(source ? { source } : {}),
    paragraphs,
  };
}

const segmenter = new Intl.Segmenter("en", { granularity: "sentence" });
/** Abbreviations after which a full stop does not end a sentence in wire copy (case matters: "no." ends one). */
const ABBREVIATION =
  /\b(?:Mr|Mrs|Ms|Dr|Prof|Sen|Rep|Gov|Gen|Lt|Col|St|Jr|Sr|No|U\.S|U\.K|U\.N|Inc|Corp|Ltd|Co|vs|e\.g|i\.e)\.\s*$/;

/** The first sentence of a paragraph, not fooled by `Mr.` or `U.S.`. */
export function firstSentence(paragraph: string): string {
  let sentence = "";
  for (const { segment } of segmenter.segment(paragraph)) {
    sentence += segment;
    if (!ABBREVIATION.test(sentence) && !/\b[A-Z]\.\s*$/.test(sentence)) break;
  }
  return sentence.trim();
}

/** A headline from the body's first sentence: at most about 110 characters, no final stop. */
export function deriveHeadline(paragraph: string): string {
  const sentence = firstSentence(paragraph).replace(/[.。]+$/u, "");
  return truncateWords(sentence, HEADLINE_MAX);
}

/** Wire sources are often upper case (BLOOMBERG); credit them as a name (Bloomberg), keep acronyms. */
export function creditSource(source: string): string {
  return source
    .split(/(\s+)/)
    .map((word) =>
      word.length > 3 && word === word.toUpperCase()
        ? word.charAt(0) + word.slice(1).toLowerCase()
        : word,
    )
    .join("");
}
