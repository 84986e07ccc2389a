/**
 * Background revalidation (the local server's index): once loaded, a timed check of the store
 * runs behind the current index, so no request waits for a scan of a big folder; a check
 * forced by the watcher (invalidate()) and a cold load are still waited for.
 */
import { describe, expect, it } from "vitest";
import { LocalIndex } from "../../functions/index/local.ts";
import { memoryLogger } from "../../functions/log.ts";
import type { StoredFile } from "../../functions/storage/store.ts";
import { articleFile } from "../fixtures/articles.ts";
import { memoryStore } from "../fixtures/store.ts";

/** A memory store whose list() waits until the test opens the gate (a slow folder scan). */
function gatedStore() {
  const inner = memoryStore({ "a.md": articleFile({ title: "First", slug: "a" }) });
  let open: () => void = () => {};
  let gate: Promise<void> = Promise.resolve();
  let lists = 0;
  const store = {
    ...inner,
    location: "gated",
    read: inner.read,
    async list(): Promise<StoredFile[]> {
      lists++;
      await gate;
      return inner.list();
    },
  };
  return {
    store,
    inner,
    lists: () => lists,
    close: () => {
      gate = new Promise<void>((resolve) => {
        open = resolve;
      });
    },
    open: () => open(),
  };
}

function localOf(store: ConstructorParameters<typeof LocalIndex>[0], background: boolean) {
  const clock = { now: Date.parse("2025-01-01T00:00:00Z") };
  const log = memoryLogger();
  const local = new LocalIndex(store, {
    siteUrl: "https://news.example.com",
    revalidateMs: 60_000,
    now: () => clock.now,
    log,
    background,
  });
  return { local, clock, log };
}

/** What a request sees: sync (as the app does before answering), then the live articles. */
const titles = async (local: LocalIndex) => {
  await local.sync();
  return (await local.articles()).map((a) => a.title);
};

describe("local index revalidation in the background", () => {
  it("answers a timed check from the current index, and shows the change once it is done", async () => {
    const g = gatedStore();
    const { local, clock } = localOf(g.store, true);
    expect(await titles(local)).toEqual(["First"]);

    g.inner.put("b.md", articleFile({ title: "Second", slug: "b", date: "2024-03-06" }));
    g.close();
    clock.now += 60_000;
    // The scan is stuck, yet the request is answered at once with what was loaded.
    expect(await titles(local)).toEqual(["First"]);
    expect(await titles(local)).toEqual(["First"]);
    expect(g.lists()).toBe(2); // the load, and one check in flight (not one per request)

    g.open();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(await titles(local)).toEqual(["Second", "First"]);
  });

  it("still waits for a check forced by invalidate() (the watcher saw a change)", async () => {
    const g = gatedStore();
    const { local } = localOf(g.store, true);
    await local.sync();
    g.inner.put("b.md", articleFile({ title: "Second", slug: "b", date: "2024-03-06" }));
    local.invalidate();
    expect(await titles(local)).toEqual(["Second", "First"]);
  });

  it("with forcedWaitMs, a forced check that takes long is waited for only that long", async () => {
    const g = gatedStore();
    const log = memoryLogger();
    const local = new LocalIndex(g.store, {
      siteUrl: "https://news.example.com",
      revalidateMs: 60_000,
      log,
      background: true,
      forcedWaitMs: 20,
    });
    expect(await titles(local)).toEqual(["First"]);
    g.inner.put("b.md", articleFile({ title: "Second", slug: "b", date: "2024-03-06" }));
    g.close();
    local.invalidate();
    const started = performance.now();
    // The check is stuck (thousands of changed files): the request gets the current index.
    expect(await titles(local)).toEqual(["First"]);
    expect(performance.now() - started).toBeLessThan(1_000);
    g.open();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(await titles(local)).toEqual(["Second", "First"]);
  });

  it("waits for the cold load", async () => {
    const g = gatedStore();
    g.close();
    const { local } = localOf(g.store, true);
    let done = false;
    const pending = local.sync().then(() => {
      done = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(done).toBe(false);
    g.open();
    await pending;
    expect(await local.articles()).toHaveLength(1);
  });

  it("keeps serving, and logs, when a background check fails", async () => {
    const g = gatedStore();
    const { local, clock, log } = localOf(g.store, true);
    await local.sync();
    g.inner.fail(new Error("disk gone"));
    clock.now += 60_000;
    expect(await titles(local)).toEqual(["First"]);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(log.entries.map((e) => e.message)).toContain(
      "article store check failed; serving the last good articles",
    );
    expect(await titles(local)).toEqual(["First"]);
  });

  it("without the option, the request that triggers a check waits for it (the default)", async () => {
    const g = gatedStore();
    const { local, clock } = localOf(g.store, false);
    await local.sync();
    g.inner.put("b.md", articleFile({ title: "Second", slug: "b", date: "2024-03-06" }));
    clock.now += 60_000;
    expect(await titles(local)).toEqual(["Second", "First"]);
  });
});
