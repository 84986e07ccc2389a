import type { Config } from "../config.ts";
import type { Scope, Scopes } from "./scopes.ts";
import { xmlEscape } from "./xml-safe.ts";

/** The three documents every scope has, in the order readers list them. */
const FORMATS = [
  { file: "feed.xml", label: "RSS", version: "RSS2" },
  { file: "atom.xml", label: "Atom" },
  { file: "feed.json", label: "JSON Feed" },
] as const;

/**
 * The OPML 2.0 subscription list of the site (http://opml.org/spec2.opml): one folder outline
 * per scope (the site, then each tag and each author, sorted by slug) holding its RSS, Atom and
 * JSON Feed documents. OPML 2.0 names every subscription outline `type="rss"` whatever the
 * format; `version="RSS2"` marks the RSS one. Deterministic: the same scopes give the same bytes.
 */
export function renderOpml(config: Config, scopes: Scopes, modified: Date): string {
  const site = config.siteUrl;
  const title = config.site.title;
  const lines = [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<opml version="2.0">',
    "  <head>",
    `    <title>${xmlEscape(`${title}: all feeds`)}</title>`,
    `    <dateModified>${modified.toUTCString()}</dateModified>`,
    `    <ownerName>${xmlEscape(config.site.author.name)}</ownerName>`,
    ...(config.site.author.email
      ? [`    <ownerEmail>${xmlEscape(config.site.author.email)}</ownerEmail>`]
      : []),
    `    <ownerId>${xmlEscape(`${site}/`)}</ownerId>`,
    "    <docs>http://opml.org/spec2.opml</docs>",
    "  </head>",
    "  <body>",
    ...scopeOutline(site, title, scopes.site, "    "),
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
      lines.push(...scopeOutline(site, group.name(scope), scope, "      "));
    }
    lines.push("    </outline>");
  }
  lines.push("  </body>", "</opml>", "");
  return lines.join("\n");
}

function scopeOutline(site: string, name: string, scope: Scope, indent: string): string[] {
  const base = `${site}${scope.path}`;
  const html = xmlEscape(scope.path ? base : `${site}/`);
  const folder = xmlEscape(name);
  return [
    `${indent}<outline text="${folder}" title="${folder}">`,
    ...FORMATS.map((format) => {
      const text = xmlEscape(`${name} (${format.label})`);
      const version = "version" in format ? ` version="${format.version}"` : "";
      return `${indent}  <outline type="rss" text="${text}" title="${text}" xmlUrl="${xmlEscape(`${base}/${format.file}`)}" htmlUrl="${html}"${version}/>`;
    }),
    `${indent}</outline>`,
  ];
}
