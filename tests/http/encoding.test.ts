import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { negotiateEncoding } from "../../functions/http/encoding.ts";
import { useHardCaseSite } from "../support/server.ts";

const hard = useHardCaseSite();

const ROUTES = [
  "/feed.xml",
  "/atom.xml",
  "/feed.json",
  "/tags/culture/feed.xml",
  "/",
  "/articles/markup",
];

async function bytes(res: Response): Promise<Buffer> {
  return Buffer.from(await res.arrayBuffer());
}

function decode(body: Buffer, encoding: string | null): Buffer {
  if (encoding === "br") return brotliDecompressSync(body);
  if (encoding === "gzip") return gunzipSync(body);
  return body;
}

describe("Accept-Encoding negotiation", () => {
  it.each([
    [undefined, "identity"],
    ["", "identity"],
    ["gzip", "gzip"],
    ["br", "br"],
    ["gzip, deflate, br", "br"],
    ["gzip, deflate, br, zstd", "br"],
    ["deflate", "identity"],
    ["zstd", "identity"],
    ["identity", "identity"],
    ["*", "br"],
    ["*;q=0", "identity"],
    ["*;q=0.5, br;q=0", "gzip"],
    ["gzip;q=1.0, br;q=0.9", "gzip"],
    ["br;q=0.5, gzip;q=0.5", "br"],
    ["gzip;q=0, br;q=0", "identity"],
    ["gzip;q=0.001", "gzip"],
    ["br;q=0.000, gzip", "gzip"],
    ["GZIP", "gzip"],
    ["Br;Q=0.8", "br"],
    ["x-gzip", "gzip"],
    ["gzip ; q=0.7 , br ; q=0.3", "gzip"],
    ["identity;q=0, gzip", "gzip"],
    ["identity;q=0", "identity"],
    ["gzip;q=0.5, identity;q=1", "identity"],
    ["br;q=0.4, identity;q=0.5, gzip;q=0.6", "gzip"],
    ["gzip;q=abc", "identity"],
    ["gzip;q=1.5", "identity"],
    ["gzip;q=-1, br", "br"],
    [",,;;,", "identity"],
    [`${"x".repeat(600)}, gzip`, "identity"],
  ])("%j → %s", (header, expected) => {
    expect(negotiateEncoding(header)).toBe(expected);
  });
});

describe("compressed responses", () => {
  it.each(ROUTES)(
    "%s: br and gzip decode to the identity bytes; each variant has its own ETag",
    async (path) => {
      const identity = await hard.site.get(path);
      const plain = await bytes(identity);
      expect(identity.headers.get("content-encoding")).toBeNull();
      expect(identity.headers.get("vary")).toContain("Accept-Encoding");
      const etags = new Set([identity.headers.get("etag")]);
      for (const [accept, encoding] of [
        ["br", "br"],
        ["gzip", "gzip"],
        ["gzip, deflate, br", "br"],
      ] as const) {
        const res = await hard.site.get(path, { "accept-encoding": accept });
        expect(res.status).toBe(200);
        expect(res.headers.get("content-encoding")).toBe(encoding);
        expect(res.headers.get("vary")).toContain("Accept-Encoding");
        expect(res.headers.get("content-type")).toBe(identity.headers.get("content-type"));
        const body = await bytes(res);
        expect(Number(res.headers.get("content-length"))).toBe(body.byteLength);
        expect(body.byteLength).toBeLessThan(plain.byteLength);
        expect(decode(body, encoding).equals(plain)).toBe(true);
        expect(res.headers.get("etag")).toMatch(/^"[^"]+"$/);
        etags.add(res.headers.get("etag"));
      }
      expect(etags.size).toBe(3); // identity, br, gzip
    },
  );

  it("repeated requests get the same compressed bytes", async () => {
    const a = await bytes(await hard.site.get("/feed.xml", { "accept-encoding": "br" }));
    const b = await bytes(await hard.site.get("/feed.xml", { "accept-encoding": "br" }));
    expect(a.equals(b)).toBe(true);
  });

  it("304 works with the variant's ETag, in any encoding the client now asks for", async () => {
    const br = await hard.site.get("/feed.xml", { "accept-encoding": "br" });
    const tag = br.headers.get("etag") as string;
    for (const accept of ["br", "gzip", ""]) {
      const res = await hard.site.get("/feed.xml", {
        "accept-encoding": accept,
        "if-none-match": tag,
      });
      expect(res.status, accept).toBe(304);
      expect(await res.text()).toBe("");
      expect(res.headers.get("vary")).toContain("Accept-Encoding");
    }
    const gzip = await hard.site.get("/feed.json", { "accept-encoding": "gzip" });
    const again = await hard.site.get("/feed.json", {
      "accept-encoding": "gzip",
      "if-none-match": `W/${gzip.headers.get("etag")}`,
    });
    expect(again.status).toBe(304);
    expect(again.headers.get("etag")).toBe(gzip.headers.get("etag"));
  });

  it("HEAD of a compressed variant has the variant's length and no body", async () => {
    const get = await hard.site.get("/atom.xml", { "accept-encoding": "gzip" });
    const length = (await bytes(get)).byteLength;
    const head = await hard.site.request("/atom.xml", {
      method: "HEAD",
      headers: { "accept-encoding": "gzip" },
    });
    expect(head.headers.get("content-encoding")).toBe("gzip");
    expect(head.headers.get("content-length")).toBe(String(length));
    expect(head.headers.get("etag")).toBe(get.headers.get("etag"));
    expect((await bytes(head)).byteLength).toBe(0);
  });

  it("error responses are never compressed", async () => {
    const res = await hard.site.get("/nope", { "accept-encoding": "br, gzip" });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-encoding")).toBeNull();
    expect(await res.text()).toBe("Not found\n");
  });
});
