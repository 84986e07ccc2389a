/**
 * The index built from a folder (reconcile + compileArticle, in memory, as `npm start` will use
 * it) holds what the catalog serves today for content/ plus the hard cases: the same articles in
 * the same order on every scope, the same resolved slugs and ids, the same HTML.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Catalog, type Snapshot } from "../../functions/articles/catalog.ts";
import { compileArticle } from "../../functions/articles/compile.ts";
import { scopesOf } from "../../functions/feeds/scopes.ts";
import type { ArticleIndex, ScopeKey } from "../../functions/index/index.ts";
import { Indexing } from "../../functions/index/indexing.ts";
import { createMemoryIndex } from "../../functions/index/memory.ts";
import { memoryLogger } from "../../functions/log.ts";
import { FolderStore } from "../../functions/storage/folder.ts";
import { type ContentDir, contentDir, HARD_CASES, SITE } from "../support/server.ts";

const NOW = Date.parse("2026-06-01T00:00:00Z");
let content: ContentDir;
let catalog: Catalog;
let snapshot: Snapshot;
let index: ArticleIndex;

beforeAll(async () => {
  content = await contentDir({ files: HARD_CASES });
  const store = new FolderStore(content.dir);
  catalog = new Catalog(store, {
    siteUrl: SITE,
    revalidateMs: 60_000,
    log: memoryLogger(),
    now: () => NOW,
  });
  snapshot = await catalog.snapshot();
  index = createMemoryIndex({ now: () => NOW });
  const indexing = new Indexing({
    index,
    compile: compileArticle,
    compileOptions: { siteUrl: SITE },
    log: memoryLogger(),
    now: () => NOW,
  });
  await indexing.reconcile(store);
});
afterAll(() => content.dispose());

const ids = (metas: { key: string; slug: string; id: string }[]) =>
  metas.map((m) => `${m.key} ${m.slug} ${m.id}`);
const all = async (scope: ScopeKey) => (await index.page(scope, 10_000)).items.map((i) => i.meta);

describe("index built from a folder", () => {
  it("lists the site's articles in the catalog's order, with its slugs and ids", async () => {
    expect(snapshot.articles.length).toBeGreaterThan(10);
    expect(ids(await all("site"))).toEqual(ids(snapshot.articles));
  });

  it("has every tag and author scope of the catalog, each in the same order", async () => {
    const scopes = scopesOf(snapshot);
    for (const [slug, scope] of scopes.tags)
      expect(ids(await all(`tag#${slug}`))).toEqual(ids(scope.articles));
    for (const [slug, scope] of scopes.authors)
      expect(ids(await all(`author#${slug}`))).toEqual(ids(scope.articles));
    const listed = (await index.scopes()).map((s) => s.key).filter((k) => k.startsWith("tag#"));
    expect(listed.sort()).toEqual([...scopes.tags.keys()].map((s) => `tag#${s}`).sort());
  });

  it("pages with before cursors exactly as the catalog's list splits", async () => {
    const expected = ids(snapshot.articles);
    const seen: string[] = [];
    let before: { seconds: number; slug: string } | undefined;
    for (;;) {
      const page = await index.page("site", 3, before);
      seen.push(...ids(page.items.map((i) => i.meta)));
      const last = page.items.at(-1)?.meta;
      if (!page.more || !last) break;
      before = { seconds: Math.floor(last.date.getTime() / 1000), slug: last.slug };
    }
    expect(seen).toEqual(expected);
  });

  it("serves each article's HTML as the catalog compiles it", async () => {
    for (const meta of snapshot.articles.slice(0, 8)) {
      const fromIndex = await index.article(meta.slug);
      const fromCatalog = await catalog.article(meta);
      expect(fromIndex?.html).toMatch(/<p>|<\/p>/);
      expect(fromIndex?.html).toBe(fromCatalog?.html);
    }
  });
});
