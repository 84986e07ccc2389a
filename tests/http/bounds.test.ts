/**
 * Bounded memory and latency per request kind: the response cache is bounded by bytes (not by
 * entries), and compressing a large body never stalls the event loop (other requests go on).
 */
import { randomBytes } from "node:crypto";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { stalled } from "../../bench/compression.ts";
import { compress } from "../../functions/http/encoding.ts";
import {
  represent,
  representationBytes,
  VersionedCache,
} from "../../functions/http/representation.ts";

/** 4 MB of feed-like text that does not compress to nothing (random words). */
function feedLikeBody(bytes: number): Buffer {
  const words =
    randomBytes(bytes / 2)
      .toString("base64")
      .match(/.{1,7}/g) ?? [];
  return Buffer.from(`<rss>${words.map((w) => `<p>${w}</p>`).join(" ")}`.slice(0, bytes));
}

describe("compression off the event loop", () => {
  it.each(["br", "gzip"] as const)(
    "%s of a 4 MB body: the event loop is never stalled by more than a blow-up bound",
    async (encoding) => {
      const body = feedLikeBody(4 * 1024 * 1024);
      let value: Buffer = Buffer.alloc(0);
      const { worst: stallMs } = await stalled(async () => {
        value = await compress(body, encoding);
        return value;
      });
      const decoded = encoding === "br" ? brotliDecompressSync(value) : gunzipSync(value);
      expect(decoded.equals(body)).toBe(true);
      // Brotli 11 in front of the loop took 12.7 s for a 4 MB page; this only catches that.
      expect(stallMs).toBeLessThan(250);
    },
  );
});

describe("VersionedCache: bounded by bytes", () => {
  it("keeps at most maxBytes of representations, whatever the number of keys", async () => {
    const cache = new VersionedCache(representationBytes, 10 * 1024 * 1024);
    const text = "x".repeat(1024 * 1024);
    for (let i = 0; i < 100; i++)
      await cache.get("v1", `key-${i}`, async () =>
        represent(text, "text/plain", new Date(0), "no-store"),
      );
    expect(cache.bytes).toBeLessThanOrEqual(10 * 1024 * 1024);
    expect(cache.size).toBe(3); // 3 × (body + both variants' worst case) fit in 10 MB
  });

  it("drops the least recently used first, and a failed render leaves no entry", async () => {
    const cache = new VersionedCache((n: number) => n, 3);
    let renders = 0;
    const get = (key: string) =>
      cache.get("v1", key, async () => {
        renders++;
        return 1;
      });
    await get("a");
    await get("b");
    await get("c");
    await get("a"); // a is now the most recent
    await get("d"); // evicts b
    expect(renders).toBe(4);
    await get("a");
    expect(renders).toBe(4);
    await get("b");
    expect(renders).toBe(5);
    await expect(cache.get("v1", "bad", () => Promise.reject(new Error("x")))).rejects.toThrow();
    expect(cache.size).toBe(3);
  });
});
