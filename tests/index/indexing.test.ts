/**
 * The indexer's core on real servers: articles in s3rver, the index in dynalite, compiled with
 * the one compile function. Events are applied as S3 would deliver them (duplicated, reordered,
 * to two indexers at once); a reconciliation repairs what no event told.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileArticle } from "../../functions/articles/compile.ts";
import { S3 } from "../../functions/aws/s3.ts";
import type { ArticleIndex } from "../../functions/index/index.ts";
import { Indexing, type ObjectEvent } from "../../functions/index/indexing.ts";
import { MemoryBlobs } from "../../functions/index/keys.ts";
import { Index } from "../../functions/index/write.ts";
import { memoryLogger } from "../../functions/log.ts";
import { BucketStore } from "../../functions/storage/bucket.ts";
import { articleFile } from "../fixtures/index.ts";
import { type Dynalite, startDynalite } from "../support/dynalite.ts";
import { S3RVER_CREDENTIALS, type S3rver, startS3rver } from "../support/s3rver.ts";

const SITE = "https://news.example.com";
const NOW = Date.parse("2026-01-01T00:00:00Z");
let s3: S3rver;
let db: Dynalite;
let tables = 0;

beforeAll(async () => {
  [s3, db] = await Promise.all([startS3rver(), startDynalite()]);
});
afterAll(async () => {
  await Promise.all([s3.dispose(), db.stop()]);
});

const bucket = (prefix: string) =>
  new BucketStore(
    new S3(
      { url: s3.endpoint, region: "us-east-1", service: "s3", credentials: S3RVER_CREDENTIALS },
      s3.bucket,
    ),
    s3.bucket,
    prefix,
  );

async function setup(prefix: string) {
  const table = await db.table(`indexing-${++tables}`);
  const make = () => {
    const index = new Index(table, new MemoryBlobs(), { now: () => NOW });
    return {
      index,
      indexing: new Indexing({
        index,
        compile: compileArticle,
        compileOptions: { siteUrl: SITE },
        log: memoryLogger(),
        now: () => NOW,
      }),
    };
  };
  return { make, store: bucket(prefix) };
}

let sequence = 0x1000;
const event = (key: string): ObjectEvent => ({
  key,
  sequencer: (sequence++).toString(16).toUpperCase(),
  time: NOW,
});

const view = async (index: ArticleIndex) => ({
  site: (await index.page("site", 50)).items.map((i) => [
    i.meta.key,
    i.meta.slug,
    i.meta.title,
    i.html,
  ]),
  scopes: (await index.scopes()).map((s) => [s.key, s.name]),
  failures: (await index.failures()).map((f) => [f.key, f.reasons]),
});

describe("Indexing", () => {
  it("compiles each stored article once, records broken ones with their reason", async () => {
    const prefix = "a1/";
    const { make, store } = await setup(prefix);
    const { index, indexing } = make();
    await s3.put(
      `${prefix}2024/ferry.md`,
      articleFile(
        { title: "Ferry", tags: ["Transport"] },
        "A [link](/x) and <script>alert(1)</script>.",
      ),
    );
    await s3.put(`${prefix}2024/broken.md`, articleFile({ date: "not a date" }));
    await indexing.events(store, [
      event("2024/ferry.md"),
      event("2024/broken.md"),
      event("2024/notes.png"),
    ]);
    const page = await index.page("site", 10);
    expect(page.items.map((i) => i.meta.title)).toEqual(["Ferry"]);
    expect(page.items[0]?.html).toContain(`href="${SITE}/x"`);
    expect(page.items[0]?.html).not.toContain("<script");
    const failures = await index.failures();
    expect(failures.map((f) => f.key)).toEqual(["2024/broken.md"]);
    expect(failures[0]?.reasons.join()).toMatch(/date/);
    await s3.remove(`${prefix}2024/ferry.md`);
    await indexing.events(store, [event("2024/ferry.md")]);
    expect((await index.page("site", 10)).items).toEqual([]);
  });

  it("two indexers fed overlapping, reordered and duplicated events converge", async () => {
    const prefix = "a2/";
    const { make, store } = await setup(prefix);
    const one = make();
    const two = make();
    const events: ObjectEvent[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 5; i++) {
        const key = `2025/story-${i}.md`;
        if (round === 2 && i === 4) await s3.remove(`${prefix}${key}`);
        else
          await s3.put(
            `${prefix}${key}`,
            articleFile({
              title: `Story ${i} v${round}`,
              slug: i % 2 ? "shared" : `story-${i}`,
              date: `2025-0${1 + i}-01T00:00:00Z`,
            }),
          );
        events.push(event(key));
      }
    }
    const shuffled = [...events].sort((a, b) =>
      a.key + a.sequencer < b.key + b.sequencer ? 1 : -1,
    );
    await Promise.all([
      one.indexing.events(store, events),
      two.indexing.events(store, [...shuffled, ...events.slice(0, 4)]),
    ]);
    const fresh = (await setup(prefix)).make();
    await fresh.indexing.reconcile(store);
    const expected = await view(fresh.index);
    expect(expected.site).toHaveLength(4);
    expect(await view(one.index)).toEqual(expected);
    expect(expected.site.map((s) => s[2])).toEqual([
      "Story 3 v2",
      "Story 2 v2",
      "Story 1 v2",
      "Story 0 v2",
    ]);
  });

  it("a reconciliation repairs missed events and changes nothing when the index is right", async () => {
    const prefix = "a3/";
    const { make, store } = await setup(prefix);
    const { index, indexing } = make();
    await s3.put(`${prefix}a.md`, articleFile({ title: "A", slug: "a" }));
    await s3.put(`${prefix}b.md`, articleFile({ title: "B", slug: "b" }));
    await indexing.events(store, [event("a.md"), event("b.md")]);
    // Missed: one new, one deleted, one edited without an event.
    await s3.put(`${prefix}c.md`, articleFile({ title: "C", slug: "c" }));
    await s3.remove(`${prefix}b.md`);
    await s3.put(`${prefix}a.md`, articleFile({ title: "A2", slug: "a" }));
    const repaired = await indexing.reconcile(store);
    expect(repaired.outcome).toBe("applied");
    expect((await index.page("site", 10)).items.map((i) => i.meta.title).sort()).toEqual([
      "A2",
      "C",
    ]);
    const revision = (await index.summary("site"))?.revision;
    expect((await indexing.reconcile(store)).outcome).toBe("unchanged");
    expect((await index.summary("site"))?.revision).toBe(revision);
  });
});
