/**
 * Which cached paths a change makes stale (functions/websub/paths.ts), checked against the routes
 * the feed app serves: every exact path names a document the app answers, and a change too
 * large for one invalidation widens into wildcards without going past CloudFront's limits.
 */
import { describe, expect, it } from "vitest";
import { scopePathOf } from "../../functions/websub/changes.ts";
import {
  articlePathOf,
  changedPaths,
  invalidationPaths,
  MAX_EXACT_PATHS,
  MAX_WILDCARD_PATHS,
} from "../../functions/websub/paths.ts";

const SITE = [
  "/",
  "/feed.xml",
  "/atom.xml",
  "/feed.json",
  "/opml.xml",
  "/sitemap.xml",
  "/news-sitemap.xml",
  "/sitemaps/*",
];
const scope = (path: string) => [path, `${path}/feed.xml`, `${path}/atom.xml`, `${path}/feed.json`];

describe("changedPaths", () => {
  it("names the site's documents, each scope's list page and feeds, and the changed article pages", () => {
    const change = {
      scopes: ["/tags/ports", "", "/authors/mara", "/tags/ports"],
      pages: ["night-ferry", "harbour-closes", "night-ferry"],
    };
    expect(changedPaths(change)).toEqual([
      ...SITE,
      ...scope("/authors/mara"),
      ...scope("/tags/ports"),
      "/articles/harbour-closes",
      "/articles/night-ferry",
    ]);
  });

  it("encodes non-ASCII slugs and tags as their links do (UTF-8, percent-encoded)", () => {
    expect(articlePathOf("축제")).toBe("/articles/%EC%B6%95%EC%A0%9C");
    const tag = scopePathOf("tag#café");
    expect(changedPaths({ scopes: [tag], pages: [] })).toEqual(scope("/tags/caf%C3%A9"));
  });

  it("is empty for an empty change, and leaves the site's documents out when the site did not change", () => {
    expect(changedPaths({ scopes: [], pages: [] })).toEqual([]);
    expect(changedPaths({ scopes: ["/tags/x"], pages: [] })).toEqual(scope("/tags/x"));
  });
});

describe("invalidationPaths", () => {
  it("keeps exact paths while they fit one invalidation", () => {
    const pages = Array.from({ length: 100 }, (_, i) => `article-${i}`);
    const change = { scopes: ["", "/tags/a", "/tags/b"], pages };
    expect(invalidationPaths(change)).toEqual(changedPaths(change));
  });

  it("widens the largest group first, then the next, until the rest fits", () => {
    const change = {
      scopes: [
        "",
        ...Array.from({ length: 30 }, (_, i) => `/tags/t${i}`),
        ...Array.from({ length: 5 }, (_, i) => `/authors/a${i}`),
      ],
      pages: Array.from({ length: 200 }, (_, i) => `p${i}`),
    };
    // 8 site paths (one a wildcard) + 120 tag + 20 author + 200 article paths.
    expect(invalidationPaths(change, 400)).toEqual(changedPaths(change));
    const articlesWide = invalidationPaths(change, 200);
    expect(articlesWide).toEqual([
      ...changedPaths(change).filter((p) => !p.startsWith("/articles/")),
      "/articles/*",
    ]);
    const tagsWide = invalidationPaths(change, 100);
    expect(tagsWide.filter((p) => p.endsWith("*"))).toEqual([
      "/sitemaps/*",
      "/articles/*",
      "/tags/*",
    ]);
    expect(tagsWide.filter((p) => p.startsWith("/authors/"))).toHaveLength(20);
    expect(invalidationPaths(change, 5)).toEqual([...SITE, "/articles/*", "/tags/*", "/authors/*"]);
  });

  it("stays within CloudFront's limits for a rebuild that touched every article", () => {
    const change = {
      scopes: [
        "",
        ...Array.from({ length: 5_000 }, (_, i) => `/tags/t${i}`),
        ...Array.from({ length: 400 }, (_, i) => `/authors/a${i}`),
      ],
      pages: Array.from({ length: 100_000 }, (_, i) => `article-${i}`),
    };
    const paths = invalidationPaths(change);
    const wildcards = paths.filter((p) => p.endsWith("*"));
    expect(paths.length - wildcards.length).toBeLessThanOrEqual(MAX_EXACT_PATHS);
    expect(wildcards.length).toBeLessThanOrEqual(MAX_WILDCARD_PATHS);
    // 400 authors x 4 paths (1,600) are past the limit on their own as well.
    expect(wildcards).toEqual(["/sitemaps/*", "/articles/*", "/tags/*", "/authors/*"]);
    // Two publishers at once never hold more than CloudFront allows in progress.
    expect(2 * MAX_EXACT_PATHS).toBeLessThanOrEqual(3_000);
    expect(2 * MAX_WILDCARD_PATHS).toBeLessThanOrEqual(15);
  });
});
