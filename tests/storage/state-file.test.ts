/**
 * The local server's state file: when each representation was first served survives a restart;
 * a missing, corrupt or foreign file is started afresh (logged), never a crash.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { memoryLogger } from "../../functions/log.ts";
import { StateFile } from "../../functions/storage/state-file.ts";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function statePath(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "dateline-state-"));
  dirs.push(dir);
  return join(dir, "nested", "state.json");
}

const record = { etag: 'W/"abc"', lastModified: Date.parse("2024-03-05T00:00:00Z") };

describe("StateFile", () => {
  it("keeps what was served across a restart", async () => {
    const path = await statePath();
    const first = new StateFile(path, memoryLogger());
    expect(first.served.get("/feed.xml")).toBeUndefined();
    first.served.set("/feed.xml", record);
    first.flush();
    const log = memoryLogger();
    expect(new StateFile(path, log).served.get("/feed.xml")).toEqual(record);
    expect(log.entries).toEqual([]);
  });

  it("reads a file written with the articles part older versions kept, and drops that part", async () => {
    const path = await statePath();
    new StateFile(path, memoryLogger()).flush();
    const doc = JSON.parse(await readFile(path, "utf8"));
    doc.served["/feed.xml"] = [record.etag, record.lastModified];
    doc.articles = { "a.md": ["hash", 0, null] };
    await writeFile(path, JSON.stringify(doc));
    const state = new StateFile(path, memoryLogger());
    expect(state.served.get("/feed.xml")).toEqual(record);
    state.flush();
    expect(JSON.parse(await readFile(path, "utf8")).articles).toBeUndefined();
  });

  it("starts afresh from a corrupt or foreign file, with one warning", async () => {
    const path = await statePath();
    new StateFile(path, memoryLogger()).flush();
    for (const text of ["{not json", JSON.stringify({ format: "other", version: 1 })]) {
      await writeFile(path, text);
      const log = memoryLogger();
      const state = new StateFile(path, log);
      expect(state.served.get("/feed.xml")).toBeUndefined();
      expect(log.entries.map((e) => e.message)).toEqual(["state file unreadable; starting afresh"]);
    }
  });
});
