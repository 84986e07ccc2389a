/**
 * `npm start` over real HTTP on 127.0.0.1: a child process serving a temp copy of content/ plus
 * hard cases, with SITE_URL=https://news.example.com.
 */
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CONTENT_TYPES,
  type ContentDir,
  contentDir,
  eventually,
  FORMATS,
  HARD_CASES,
  md,
  type RunningServer,
  SITE,
  startServer,
} from "../support/server.ts";

interface Raw {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One HTTP/1.1 request with the path sent exactly as given (no normalization, no decoding). */
function raw(
  server: RunningServer,
  path: string,
  { method = "GET", headers = {} }: { method?: string; headers?: Record<string, string> } = {},
): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port: server.port, method, path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

let content: ContentDir;
let server: RunningServer;

beforeAll(async () => {
  content = await contentDir({ files: HARD_CASES });
  // A long revalidation interval: changes must arrive through the folder watcher.
  server = await startServer({ contentDir: content.dir, env: { REVALIDATE_SECONDS: "3600" } });
});
afterAll(async () => {
  await server?.dispose();
  await content?.dispose();
});

const SCOPES = [
  "",
  "/tags/culture",
  "/tags/%E3%82%B3%E3%83%BC%E3%83%92%E3%83%BC",
  "/authors/ana-muller",
];
const ROUTES: [string, string][] = [
  ["/", "text/html; charset=utf-8"],
  ["/articles/markup", "text/html; charset=utf-8"],
  ["/articles/suyeong-lantern-festival-2022", "text/html; charset=utf-8"],
  ["/articles/%E3%82%B3%E3%83%BC%E3%83%92%E3%83%BC", "text/html; charset=utf-8"],
  ["/tags/culture", "text/html; charset=utf-8"],
  ["/authors/ana-muller", "text/html; charset=utf-8"],
  ...SCOPES.flatMap((s) => FORMATS.map((f): [string, string] => [`${s}/${f}`, CONTENT_TYPES[f]])),
];

describe("the local server", () => {
  it("logs its address and store on start", () => {
    const started = server.records().find((r) => r.message === "Dateline is serving");
    expect(started?.siteUrl).toBe(SITE);
    expect(String(started?.store)).toContain(content.dir);
  });

  it.each(ROUTES)("GET %s → 200 %s", async (path, type) => {
    const res = await raw(server, path);
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe(type);
    expect(res.headers.etag).toMatch(/^"[^"]+"$/);
    expect(res.headers["last-modified"]).toMatch(/GMT$/);
    expect(res.headers.vary).toContain("Accept-Encoding");
    expect(Number(res.headers["content-length"])).toBe(res.body.byteLength);
  });

  it.each(ROUTES)("%s links only below SITE_URL, never the server's own address", async (path) => {
    const text = (await raw(server, path)).body.toString("utf8");
    expect(text).not.toMatch(/127\.0\.0\.1|localhost/);
    const links = [
      ...text.matchAll(/(?:href|src|url|link|id)(?:="|": "|>)(https?:\/\/[^"<\s]+)/g),
    ].map((m) => m[1] as string);
    // Links the articles themselves make to other sites are not the server's to rewrite.
    const external =
      /^https?:\/\/(?:[a-z]+\.)?example\.(?:org|net)\/|^https:\/\/example\.com\/|evil\.example|validator\.w3\.org|jsonfeed\.org/;
    const own = links.filter((l) => !external.test(l));
    expect(own.length).toBeGreaterThan(0);
    for (const link of own) expect(link.startsWith(`${SITE}/`), link).toBe(true);
  });

  it("compresses over the wire, and 304s with the variant's ETag", async () => {
    const plain = await raw(server, "/feed.xml");
    for (const [accept, encoding, decode] of [
      ["br", "br", brotliDecompressSync],
      ["gzip;q=1, br;q=0.5", "gzip", gunzipSync],
    ] as const) {
      const res = await raw(server, "/feed.xml", { headers: { "accept-encoding": accept } });
      expect(res.headers["content-encoding"]).toBe(encoding);
      expect(decode(res.body).equals(plain.body)).toBe(true);
      const again = await raw(server, "/feed.xml", {
        headers: { "accept-encoding": accept, "if-none-match": res.headers.etag as string },
      });
      expect(again.status).toBe(304);
      expect(again.body.byteLength).toBe(0);
    }
  });

  it("conditional GET and HEAD over the wire", async () => {
    const first = await raw(server, "/atom.xml");
    const inm = await raw(server, "/atom.xml", {
      headers: { "if-none-match": first.headers.etag as string },
    });
    expect(inm.status).toBe(304);
    const ims = await raw(server, "/atom.xml", {
      headers: { "if-modified-since": first.headers["last-modified"] as string },
    });
    expect(ims.status).toBe(304);
    const head = await raw(server, "/atom.xml", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.body.byteLength).toBe(0);
    expect(head.headers["content-length"]).toBe(String(first.body.byteLength));
    expect(head.headers.etag).toBe(first.headers.etag);
  });

  it.each(["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"])(
    "%s /feed.xml → 405 with Allow",
    async (method) => {
      const res = await raw(server, "/feed.xml", { method });
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe("GET, HEAD");
    },
  );

  it.each(
    [
      "/articles/../../etc/passwd",
      "/../../../../etc/passwd",
      "/articles/..%2f..%2f..%2fetc%2fpasswd",
      "/articles/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
      "/articles/..%5c..%5cetc%5cpasswd",
      "/articles/..\\..\\etc\\passwd",
      "/articles/%252e%252e%252fetc",
      "/articles/%00",
      "/articles/markup%00.md",
      "/articles/%ff",
      "/tags/%",
      `/articles/${encodeURIComponent("ünïcødé")}`,
      `/articles/${"a".repeat(10 * 1024)}`,
      "/nope",
    ].map((p) => [p.length > 100 ? `${p.slice(0, 40)}… (${p.length} chars)` : p, p]),
  )("%s → 4xx, never a file from outside the store", async (_label, path) => {
    const res = await raw(server, path);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body.toString("utf8")).not.toContain("root:");
  });

  it("answers 400 with a short reason for a bad query", async () => {
    const res = await raw(server, "/feed.json?limit=0");
    expect(res.status).toBe(400);
    expect(res.body.toString("utf8")).toBe("limit must be a whole number from 1 to 100\n");
  });
});

describe("content changes without a restart", () => {
  const titles = async () =>
    (
      JSON.parse((await raw(server, "/feed.json?limit=100")).body.toString("utf8")) as {
        items: { title: string }[];
      }
    ).items.map((i) => i.title);

  it("a file added in a new folder shows up", async () => {
    const before = (await raw(server, "/feed.xml")).headers.etag;
    await content.write(
      "fresh/deeper/breaking.md",
      md({ title: "Breaking: added live", date: "2026-11-01T00:00:00Z", author: "Desk" }),
    );
    await eventually(
      async () => ((await titles()).includes("Breaking: added live") ? true : undefined),
      {
        what: "the added article",
      },
    );
    expect((await raw(server, "/feed.xml")).headers.etag).not.toBe(before);
    expect((await raw(server, "/articles/breaking")).status).toBe(200);
  });

  it("a changed file shows its new text", async () => {
    await content.write(
      "fresh/edited.md",
      md({ title: "Edited: first version", date: "2026-11-02T00:00:00Z", author: "Desk" }),
    );
    await eventually(
      async () => ((await titles()).includes("Edited: first version") ? true : undefined),
      {
        what: "the first version",
      },
    );
    await content.write(
      "fresh/edited.md",
      md({ title: "Edited: second, longer version", date: "2026-11-02T00:00:00Z", author: "Desk" }),
    );
    await eventually(
      async () => {
        const t = await titles();
        return t.includes("Edited: second, longer version") && !t.includes("Edited: first version")
          ? true
          : undefined;
      },
      { what: "the edit" },
    );
  });

  it("a deleted file disappears", async () => {
    await content.write(
      "fresh/doomed.md",
      md({ title: "Doomed", date: "2026-11-03T00:00:00Z", author: "Desk" }),
    );
    await eventually(async () => ((await titles()).includes("Doomed") ? true : undefined), {
      what: "the new file",
    });
    await content.remove("fresh/doomed.md");
    await eventually(async () => (!(await titles()).includes("Doomed") ? true : undefined), {
      what: "the deletion",
    });
    expect((await raw(server, "/articles/doomed")).status).toBe(404);
  });

  it("logs the broken hard case with its file and reason", () => {
    const skipped = server.records().filter((r) => r.message === "article skipped");
    expect(skipped.map((r) => r.file)).toContain("hard/broken.md");
    expect(String(skipped.find((r) => r.file === "hard/broken.md")?.reason)).toMatch(/date/);
  });
});

describe("a server started before its content folder exists", () => {
  let late: RunningServer | undefined;
  let root: ContentDir | undefined;
  afterAll(async () => {
    await late?.dispose();
    await root?.dispose();
  });

  it("answers 503 with Retry-After, then serves once the folder appears", async () => {
    root = await contentDir({ sample: false });
    late = await startServer({ contentDir: `${root.dir}/later` });
    const down = await raw(late, "/feed.xml");
    expect(down.status).toBe(503);
    expect(Number(down.headers["retry-after"])).toBeGreaterThan(0);
    expect(down.body.toString("utf8")).toBe("Service temporarily unavailable\n");
    await root.write("later/a.md", md({ title: "Arrived", date: "2025-05-05", author: "Desk" }));
    const up = await eventually(
      async () => {
        const res = await raw(late as RunningServer, "/feed.xml");
        return res.status === 200 ? res : undefined;
      },
      { what: "recovery", timeoutMs: 20_000 },
    );
    expect(up.body.toString("utf8")).toContain("<title>Arrived</title>");
  });
});
