/**
 * The article manifest's codec (functions/storage/manifest.ts), which S3Store.index still reads
 * for the pre-index feed entry (functions/lambda.ts): exact round trips, stable bytes, and
 * refusal of anything cut short or foreign. It goes with that entry.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import type { ArticleMeta } from "../../functions/articles/article.ts";
import { decodeManifest, encodeManifest, ManifestError } from "../../functions/storage/manifest.ts";

describe("manifest format", () => {
  const meta = (overrides: Partial<ArticleMeta>): ArticleMeta => ({
    key: "2024/a.md",
    version: '"etag-a"',
    modified: new Date("2024-03-05T10:00:00Z"),
    id: "urn:uuid:00000000-0000-5000-8000-000000000001",
    slug: "a",
    title: "Zoë’s “festival” 축제 🎉 & <friends>",
    date: new Date("2024-03-05T00:30:00.123Z"),
    updated: new Date("2024-03-06T00:00:00Z"),
    authors: [
      { name: "김서연" },
      { name: "Ana", email: "ana@example.com", url: "https://ana.example" },
    ],
    tags: ["축제", "Culture"],
    summary: "First paragraph… with an ellipsis",
    attachments: [
      {
        url: "https://x.example/a.mp3",
        type: "audio/mpeg",
        size: 12,
        title: "Ep",
        durationSeconds: 1.5,
      },
    ],
    draft: true,
    format: "wire",
    image: "/img/a.jpg",
    lang: "ko",
    ...overrides,
  });

  it("round-trips every field exactly, and broken entries with their reason", async () => {
    const full = meta({});
    const plain = meta({
      key: "b.md",
      slug: "b",
      attachments: [],
      draft: false,
      format: "markdown",
    });
    delete plain.image;
    delete plain.lang;
    const broken = {
      key: "c.md",
      version: "v3",
      modified: new Date(1_000),
      error: "date: missing",
    };
    const revised = meta({ key: "d.md", slug: "d", hash: "abc", revised: new Date(5_000) });
    const entries = [
      { key: full.key, version: full.version, meta: full },
      { key: plain.key, version: plain.version, meta: plain },
      broken,
      { key: revised.key, version: revised.version, meta: revised },
    ];
    const decoded = await decodeManifest(await encodeManifest(entries));
    expect(decoded).toEqual([entries[0], entries[1], broken, entries[3]]);
    expect(
      Object.keys((decoded.find((e) => e.key === "b.md") as { meta: object }).meta),
    ).not.toContain("image");
  });

  it("is plain ASCII JSON lines, the same bytes for the same entries in any order", async () => {
    const a = { key: "a.md", version: "1", meta: meta({ key: "a.md" }) };
    const b = { key: "b.md", version: "2", meta: meta({ key: "b.md", slug: "b" }) };
    const one = await encodeManifest([a, b]);
    expect(one.equals(await encodeManifest([b, a]))).toBe(true);
    const text = gunzipSync(one).toString("latin1");
    expect([...text].every((c) => c === "\n" || (c >= " " && c <= "~"))).toBe(true);
    expect(text.trim().split("\n")).toHaveLength(3);
  });

  it("refuses a manifest cut short, another format, or garbage", async () => {
    const lines = gunzipSync(
      await encodeManifest([
        { key: "a.md", version: "1", meta: meta({ key: "a.md" }) },
        { key: "b.md", version: "2", meta: meta({ key: "b.md", slug: "b" }) },
      ]),
    )
      .toString()
      .trim()
      .split("\n");
    const cut = gzipSync(`${lines.slice(0, 2).join("\n")}\n`);
    await expect(decodeManifest(cut)).rejects.toThrow(/holds 1 entries, its header says 2/);
    await expect(decodeManifest((await encodeManifest([])).subarray(0, 12))).rejects.toBeInstanceOf(
      ManifestError,
    );
    await expect(decodeManifest(gzipSync('{"format":"other","version":1}\n'))).rejects.toThrow(
      /not a dateline-manifest/,
    );
    await expect(decodeManifest(gzipSync(`${lines[0]}\n["a.md", 1]\n`))).rejects.toThrow(/line 2/);
    await expect(decodeManifest(Buffer.from("not gzip"))).rejects.toBeInstanceOf(ManifestError);
  });
});
