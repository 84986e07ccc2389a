/**
 * Edits without `updated:` reach readers as updates, and nothing else does: not a restart, not a
 * re-upload of the same bytes (a re-deploy), not a touch.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Catalog } from "../../functions/articles/catalog.ts";
import { revise, updatedOf } from "../../functions/articles/revisions.ts";
import { memoryLogger } from "../../functions/log.ts";
import { StateFile } from "../../functions/storage/state-file.ts";
import { articleFile, meta } from "../fixtures/articles.ts";
import { memoryStore } from "../fixtures/store.ts";

const T0 = new Date("2024-03-05T00:00:00Z");
const T1 = new Date("2024-03-07T10:00:00Z");
const T2 = new Date("2024-03-09T10:00:00Z");

describe("revise", () => {
  const m = meta({ updated: T0, modified: T1 });

  it("marks nothing revised the first time content is seen", () => {
    expect(revise(m, "h1").revised).toBeUndefined();
    expect(revise(m, "h1").hash).toBe("h1");
  });

  it("keeps the recorded revision for the same bytes", () => {
    expect(revise(m, "h1", { hash: "h1", updated: T0.getTime() }).revised).toBeUndefined();
    const kept = revise(meta({ updated: T0, modified: T2 }), "h1", {
      hash: "h1",
      updated: T0.getTime(),
      revised: T1.getTime(),
    });
    expect(kept.revised).toEqual(T1);
  });

  it("dates changed bytes with the file's modification time when `updated` did not move", () => {
    const edited = revise(m, "h2", { hash: "h1", updated: T0.getTime() });
    expect(edited.revised).toEqual(T1);
    expect(updatedOf(edited)).toEqual(T1);
  });

  it("never goes backwards: a second edit is at least a second after the first", () => {
    const second = revise(meta({ updated: T0, modified: T1 }), "h3", {
      hash: "h2",
      updated: T0.getTime(),
      revised: T1.getTime(),
    });
    expect(second.revised?.getTime()).toBe(T1.getTime() + 1000);
  });

  it("lets a newer front-matter `updated` speak for itself", () => {
    const dated = revise(meta({ updated: T2, modified: T1 }), "h2", {
      hash: "h1",
      updated: T0.getTime(),
    });
    expect(dated.revised).toBeUndefined();
    expect(updatedOf(dated)).toEqual(T2);
  });
});

describe("a catalog with a state file", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  async function setup() {
    const dir = await mkdtemp(join(tmpdir(), "dateline-revisions-"));
    dirs.push(dir);
    const path = join(dir, "state.json");
    const store = memoryStore();
    const log = memoryLogger();
    const open = () => {
      const state = new StateFile(path, log);
      const catalog = new Catalog(store, {
        siteUrl: "https://news.example.com",
        revalidateMs: 0,
        log,
        revisions: state.revisions,
      });
      return { state, catalog };
    };
    return { path, store, open };
  }

  const updatedOfOnly = async (catalog: Catalog) => {
    const [only] = (await catalog.snapshot()).articles;
    if (!only) throw new Error("no article");
    return updatedOf(only).toISOString();
  };

  it("dates an edit, and a restart changes nothing", async () => {
    const { path, store, open } = await setup();
    store.put("a.md", articleFile({ updated: undefined }), T0);
    let run = open();
    const published = await updatedOfOnly(run.catalog);
    expect(published).toBe("2024-03-05T00:30:00.000Z");

    store.put("a.md", articleFile({ updated: undefined }, "Corrected text.\n"), T1);
    expect(await updatedOfOnly(run.catalog)).toBe(T1.toISOString());
    run.state.flush();
    expect(JSON.parse(await readFile(path, "utf8")).articles["a.md"]).toEqual([
      expect.any(String),
      Date.parse(published),
      T1.getTime(),
    ]);

    // Restart: same bytes re-uploaded later (a re-deploy gives a new modification time).
    store.put("a.md", articleFile({ updated: undefined }, "Corrected text.\n"), T2);
    run = open();
    expect(await updatedOfOnly(run.catalog)).toBe(T1.toISOString());
  });

  it("marks nothing on a first start, and a missing or corrupt state file is started afresh", async () => {
    const { path, store, open } = await setup();
    store.put("a.md", articleFile({ updated: undefined }), T2);
    await writeFile(path, "{not json");
    const run = open();
    expect(await updatedOfOnly(run.catalog)).toBe("2024-03-05T00:30:00.000Z");
  });
});
