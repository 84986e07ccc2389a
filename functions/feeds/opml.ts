import type { Config } from "../config.ts";
import type { Scope, Scopes } from "./scopes.ts";
import { xmlEscape } from "./xml-safe.ts";

/**
 * The subscription lists, one per feed format: `rss` (the default, /opml.xml) is what every
 * reader reads; the others are for readers that prefer them (/opml.xml?format=atom|json).
 * One list never offers a scope twice: a reader importing it subscribes to each feed once.
 */
export const OPML_FORMATS = {
  rss: { file: "feed.xml", label: "RSS", type: "rss", version: "RSS2" },
  atom: { file: "atom.xml", label: "Atom", type: "rss" },
  // Not "rss": readers treat type="rss" outlines as feeds they can read, and most cannot read
  // JSON Feed (newsboat 2.21, rss2email). Only readers that look for JSON Feeds subscribe.
  json: { file: "feed.json", label: "JSON Feed", type: "json" },
} as const;
export type OpmlFormat = keyof typeof OPML_FORMATS;

/**
 * An OPML 2.0 subscription list of the site (http://opml.org/spec2.opml) in one feed format:
 * the site's feed, then a Tags folder and an Authors folder with each scope's feed (sorted by
 * slug). Deterministic: the same scopes give the same bytes.
 */
export function renderOpml(
  config: Config,
  scopes: Scopes,
  modified: Date,
  format: OpmlFormat = "rss",
): string {
  const site = config.siteUrl;
  const title = config.site.title;
  const kind = OPML_FORMATS[format];
  const listTitle =
    format === "rss" ? `${title}: all feeds` : `${title}: all feeds (${kind.label})`;
  const lines = [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<opml version="2.0">',
    "  <head>",
    `    <title>${xmlEscape(listTitle)}</title>`,
    `    <dateModified>${modified.toUTCString()}</dateModified>`,
    `    <ownerName>${xmlEscape(config.site.author.name)}</ownerName>`,
    ...(config.site.author.email
      ? [`    <ownerEmail>${xmlEscape(config.site.author.email)}</ownerEmail>`]
      : []),
    `    <ownerId>${xmlEscape(`${site}/`)}</ownerId>`,
    "    <docs>http://opml.org/spec2.opml</docs>",
    "  </head>",
    "  <body>",
    scopeOutline(site, title, scopes.site, format, "    "),
  ];
  const groups = [
    { label: "Tags", scopes: scopes.tags, name: (s: Scope) => `${title}: ${s.name}` },
    {
      label: "Authors",
      scopes: scopes.authors,
      name: (s: Scope) => `${title}: articles by ${s.name}`,
    },
  ];
  for (const group of groups) {
    if (group.scopes.size === 0) continue;
    lines.push(`    <outline text="${group.label}" title="${group.label}">`);
    for (const scope of group.scopes.values()) {
      lines.push(scopeOutline(site, group.name(scope), scope, format, "      "));
    }
    lines.push("    </outline>");
  }
  lines.push("  </body>", "</opml>", "");
  return lines.join("\n");
}

function scopeOutline(
  site: string,
  name: string,
  scope: Scope,
  format: OpmlFormat,
  indent: string,
): string {
  const base = `${site}${scope.path}`;
  const html = xmlEscape(scope.path ? base : `${site}/`);
  const text = xmlEscape(name);
  const kind = OPML_FORMATS[format];
  const version = "version" in kind ? ` version="${kind.version}"` : "";
  return `${indent}<outline type="${kind.type}" text="${text}" title="${text}" xmlUrl="${xmlEscape(`${base}/${kind.file}`)}" htmlUrl="${html}"${version}/>`;
}
