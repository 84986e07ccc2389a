/**
 * Draft preview (PREVIEW_DRAFTS=1, `npm start` only): drafts and future-dated articles are
 * served, each marked in its title on its page and in its feed items; without the switch they
 * stay hidden; the Lambda handler refuses to start with it and no stack sets it.
 */
import { Template } from "aws-cdk-lib/assertions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/config.ts";
import { ConfigError } from "../../functions/errors.ts";
import { buildDatelineStack } from "../../infra/stack.ts";
import { makeApp } from "../infra/support.ts";
import { article, type FolderSite, folderSite, NOW } from "../support/folder-site.ts";

const DAY = 86_400_000;
const FILES = {
  "live.md": article({ title: "Live story", date: new Date(NOW - DAY).toISOString() }),
  "draft.md": article({
    title: "Half written",
    date: new Date(NOW - DAY).toISOString(),
    draft: true,
  }),
  "soon.md": article({ title: "Embargoed", date: "2026-06-03T09:00:00Z" }),
};

const titlesOf = async (site: FolderSite, path: string) =>
  (JSON.parse(await (await site.get(path)).text()) as { items: { title: string }[] }).items.map(
    (item) => item.title,
  );

describe("PREVIEW_DRAFTS", () => {
  it("is off by default, on with 1 or true, and anything else is refused by name", () => {
    expect(loadConfig({}).previewDrafts).toBe(false);
    expect(loadConfig({ PREVIEW_DRAFTS: "1" }).previewDrafts).toBe(true);
    expect(loadConfig({ PREVIEW_DRAFTS: "true" }).previewDrafts).toBe(true);
    expect(loadConfig({ PREVIEW_DRAFTS: "0" }).previewDrafts).toBe(false);
    expect(() => loadConfig({ PREVIEW_DRAFTS: "yes" })).toThrow(ConfigError);
    expect(() => loadConfig({ PREVIEW_DRAFTS: "yes" })).toThrow(/PREVIEW_DRAFTS must be 1 or 0/);
  });
});

describe("local preview", () => {
  let clock = NOW;
  let preview: FolderSite;
  let normal: FolderSite;
  beforeAll(async () => {
    preview = await folderSite({ files: FILES, env: { PREVIEW_DRAFTS: "1" }, now: () => clock });
    normal = await folderSite({ files: FILES, now: () => clock });
  });
  afterAll(async () => {
    await preview.dispose();
    await normal.dispose();
  });

  it("lists drafts and future-dated articles in the feeds, marked in each item title", async () => {
    expect(await titlesOf(preview, "/feed.json")).toEqual([
      "[Scheduled for 2026-06-03T09:00Z] Embargoed",
      "[Draft] Half written",
      "Live story",
    ]);
    const rss = await (await preview.get("/feed.xml")).text();
    expect(rss).toContain("<title>[Draft] Half written</title>");
    expect(rss).toContain("<title>[Scheduled for 2026-06-03T09:00Z] Embargoed</title>");
  });

  it("serves each one's page with the mark in its heading and title", async () => {
    const page = await (await preview.get("/articles/draft")).text();
    expect(page).toContain("<h1>[Draft] Half written</h1>");
    expect(page).toContain("<title>[Draft] Half written – Dateline</title>");
    const soon = await (await preview.get("/articles/soon")).text();
    expect(soon).toContain("<h1>[Scheduled for 2026-06-03T09:00Z] Embargoed</h1>");
  });

  it("without the switch, the same folder serves only the published article", async () => {
    expect(await titlesOf(normal, "/feed.json")).toEqual(["Live story"]);
    expect((await normal.get("/articles/draft")).status).toBe(404);
    expect((await normal.get("/articles/soon")).status).toBe(404);
  });

  it("drops the mark when a scheduled article's time comes (new ETag, no stale title)", async () => {
    const before = await preview.get("/feed.json");
    clock = Date.parse("2026-06-03T09:00:01Z");
    const after = await preview.get("/feed.json");
    expect(after.headers.get("etag")).not.toBe(before.headers.get("etag"));
    const titles = (JSON.parse(await after.text()) as { items: { title: string }[] }).items.map(
      (i) => i.title,
    );
    expect(titles).toEqual(["Embargoed", "[Draft] Half written", "Live story"]);
    expect(await titlesOf(normal, "/feed.json")).toEqual(["Embargoed", "Live story"]);
    clock = NOW;
  });
});

describe("never on AWS", () => {
  // The feed handler's refusal of PREVIEW_DRAFTS: tests/lambda/handler.test.ts.
  it("no function in the synthesized template sets PREVIEW_DRAFTS, even with it in the context", () => {
    for (const context of [{}, { "dateline:previewDrafts": "1", PREVIEW_DRAFTS: "1" }]) {
      const stack = buildDatelineStack(makeApp(context, { bundle: false }));
      const functions = Template.fromStack(stack).findResources("AWS::Lambda::Function");
      expect(Object.keys(functions).length).toBeGreaterThan(0);
      for (const [id, fn] of Object.entries(functions)) {
        const env = (fn.Properties.Environment?.Variables ?? {}) as Record<string, unknown>;
        expect(Object.keys(env), id).not.toContain("PREVIEW_DRAFTS");
        expect(JSON.stringify(env), id).not.toMatch(/preview/i);
      }
    }
  });
});
