/**
 * npm start's first check over a large folder compiles on worker threads (compilePool): the
 * index it builds is the one a single thread builds, and no article is lost when a worker is.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { CompileResult } from "../../functions/articles/compiled.ts";
import { compilePool } from "../../functions/index/compile-pool.ts";
import type { ParallelCompile } from "../../functions/index/indexing.ts";
import { LocalIndex, type LocalIndexOptions } from "../../functions/index/local.ts";
import { memoryLogger } from "../../functions/log.ts";
import { type MemoryStore, memoryStore, SITE, wireFile } from "../fixtures/index.ts";
import { article, MINUTE, T0 } from "./local-setup.ts";

/** A mixed folder: Markdown with tags and authors, wire copy, a draft, a future date, a broken file. */
function folder(): MemoryStore {
  const files: Record<string, string> = {
    "broken.md": "---\ntitle: [unclosed\n---\nBody.\n",
    "draft.md": article("Draft", "2024-05-02", { draft: true }),
    "soon.md": article("Soon", "2024-06-01T10:00:00Z"),
    "wire/lagos.txt": wireFile({ date: "2024-03-01" }),
  };
  for (let i = 0; i < 40; i++) {
    const day = String((i % 28) + 1).padStart(2, "0");
    files[`2024/story-${i}.md`] = article(`Story ${i}`, `2024-04-${day}T0${i % 10}:00:00Z`, {
      tags: [`tag-${i % 3}`],
      author: i % 2 ? "Ada Obi" : "Kofi Mensah",
    });
  }
  return memoryStore(files);
}

function localIndex(store: MemoryStore, options: Partial<LocalIndexOptions> = {}) {
  const log = memoryLogger();
  const local = new LocalIndex(store, {
    siteUrl: SITE,
    revalidateMs: MINUTE,
    now: () => T0,
    log,
    ...options,
  });
  return { local, log };
}

/** Everything the index serves: records, live articles and each article's compiled body. */
async function contents(local: LocalIndex) {
  await local.sync();
  const articles = await local.articles();
  const bodies = await Promise.all(articles.map((a) => local.index.article(a.slug)));
  const records = await local.index.records();
  return { articles, bodies, records };
}

/** A pool that counts what it was asked to do. */
function counting(open: () => ParallelCompile) {
  const counts = { opened: 0, compiled: 0, closed: 0 };
  return {
    counts,
    parallel: {
      minFiles: 10,
      open: () => {
        counts.opened++;
        const pool = open();
        return {
          compile: (...args: Parameters<ParallelCompile["compile"]>) => {
            counts.compiled++;
            return pool.compile(...args);
          },
          close: () => {
            counts.closed++;
            return pool.close();
          },
        };
      },
    },
  };
}

const pools: ParallelCompile[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});
const realPool = () => {
  const pool = compilePool(2);
  pools.push(pool);
  return pool;
};

describe("LocalIndex: the first check on worker threads", () => {
  it("indexes exactly what one thread indexes, then stops its workers", async () => {
    const { counts, parallel } = counting(realPool);
    const pooled = localIndex(folder(), { parallel });
    const single = localIndex(folder());
    const [a, b] = [await contents(pooled.local), await contents(single.local)];
    expect(a.articles.length).toBe(41);
    expect(a).toEqual(b);
    // The broken file is recorded and logged the same way from a worker.
    expect(a.records.find((r) => r.key === "broken.md")?.state).toBe("failed");
    expect(pooled.log.entries.filter((e) => e.message === "article skipped")).toHaveLength(1);
    expect(counts).toEqual({ opened: 1, compiled: 44, closed: 1 });
  });

  it("compiles a few changed files on this thread: the pool is for checks of many", async () => {
    const store = folder();
    const { counts, parallel } = counting(realPool);
    const { local } = localIndex(store, { parallel });
    await local.sync();
    store.put("2024/story-1.md", article("Story one, corrected", "2024-04-02T01:00:00Z"));
    local.invalidate();
    await local.sync();
    expect((await local.index.article("story-1"))?.meta.title).toBe("Story one, corrected");
    expect(counts.opened).toBe(1);
  });

  it("loses no article when the workers fail: this thread compiles what they held", async () => {
    let calls = 0;
    const dying: ParallelCompile = {
      compile: async () => {
        // Every other file: a worker thread that died with the task.
        if (calls++ % 2) throw new Error("worker thread exited (code 1)");
        throw new Error("worker pool closed");
      },
      close: async () => {},
    };
    const { counts, parallel } = counting(() => dying);
    const pooled = localIndex(folder(), { parallel });
    const single = localIndex(folder());
    expect(await contents(pooled.local)).toEqual(await contents(single.local));
    expect(counts.closed).toBe(1);
  });

  it("marks future-dated titles in preview whichever thread compiled them", async () => {
    const { parallel } = counting(realPool);
    const { local } = localIndex(folder(), { parallel, preview: true });
    await local.sync();
    const soon = (await local.articles()).find((a) => a.slug === "soon");
    expect(soon?.title).toMatch(/^\[Scheduled for .+\] Soon$/);
  });

  it("is not used with injected compile steps, which cannot cross to a worker", async () => {
    const { counts, parallel } = counting(realPool);
    const steps = (await import("../../functions/articles/compile.ts")).DEFAULT_STEPS;
    const { local } = localIndex(folder(), { parallel, steps });
    await local.sync();
    expect((await local.articles()).length).toBe(41);
    expect(counts.opened).toBe(0);
  });
});

describe("compilePool", () => {
  it("gives the result compileArticle gives, failures included", async () => {
    const { compileArticle } = await import("../../functions/articles/compile.ts");
    const store = folder();
    const pool = realPool();
    for (const file of await store.list()) {
      const bytes = await store.read(file.key);
      const options = { siteUrl: SITE };
      const result: CompileResult = await pool.compile(file, bytes, options);
      expect(result).toEqual(compileArticle(file, bytes, options));
    }
  });
});
