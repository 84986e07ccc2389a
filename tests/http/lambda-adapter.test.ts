/**
 * Our payload-2.0 adapter answers exactly as hono/aws-lambda's handle() (the reference) for every
 * kind of answer the app gives, while a warm hit reuses the encoded body instead of re-encoding.
 */
import type { Hono } from "hono";
import { handle } from "hono/aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lambdaHandler } from "../../functions/http/lambda-adapter.ts";
import { FolderStore } from "../../functions/storage/folder.ts";
import { type EventOptions, httpEvent, lambdaContext } from "../lambda/events.ts";
import { appFor, type ContentDir, contentDir, HARD_CASES } from "../support/server.ts";

let content: ContentDir;
let ours: ReturnType<typeof lambdaHandler>;
let reference: ReturnType<typeof handle>;
const NOW = Date.parse("2026-06-01T00:00:00Z");

beforeAll(async () => {
  content = await contentDir({ files: HARD_CASES });
  const { app } = appFor(new FolderStore(content.dir), { now: () => NOW });
  ours = lambdaHandler(app);
  // hono/aws-lambda over the same app through its fetch form: Request in, Response out.
  reference = handle(app as unknown as Hono);
});
afterAll(() => content.dispose());

const cases: [string, EventOptions][] = [
  ["RSS", { path: "/feed.xml" }],
  ["Atom, gzip", { path: "/atom.xml", headers: { "accept-encoding": "gzip" } }],
  ["JSON Feed, br", { path: "/feed.json", headers: { "accept-encoding": "br, gzip" } }],
  ["a browser opening RSS", { path: "/feed.xml", headers: { "sec-fetch-dest": "document" } }],
  ["HEAD", { method: "HEAD", path: "/feed.xml", headers: { "accept-encoding": "gzip" } }],
  ["a paged tag feed", { path: "/tags/culture/feed.xml", query: "limit=1" }],
  ["OPML", { path: "/opml.xml" }],
  ["the stylesheet", { path: "/feed.xsl" }],
  ["the home page", { path: "/" }],
  ["an unknown path", { path: "/nope" }],
  ["a bad limit", { path: "/feed.xml", query: "limit=0" }],
  ["a POST with a body", { method: "POST", path: "/feed.xml" }],
  ["cookies", { path: "/feed.json", cookies: ["a=1", "b=2"] }],
];

describe("lambdaHandler", () => {
  for (const [name, options] of cases) {
    it(`answers ${name} as hono/aws-lambda does`, async () => {
      const event = httpEvent(options);
      const expected = await reference(
        event as unknown as Parameters<typeof reference>[0],
        lambdaContext(),
      );
      const actual = await ours(event);
      expect(actual).toEqual(expected);
    });
  }

  it("answers 304 as hono/aws-lambda does, for the identity and the compressed ETag", async () => {
    const first = await ours(
      httpEvent({ path: "/feed.xml", headers: { "accept-encoding": "gzip" } }),
    );
    const etag = first.headers?.etag;
    expect(etag).toMatch(/-gzip"$/);
    const event = httpEvent({
      path: "/feed.xml",
      headers: { "accept-encoding": "gzip", "if-none-match": String(etag) },
    });
    const actual = await ours(event);
    expect(actual.statusCode).toBe(304);
    expect(actual).toEqual(
      await reference(event as unknown as Parameters<typeof reference>[0], lambdaContext()),
    );
  });

  it("a warm hit gives the same body again without reading the response back", async () => {
    const event = httpEvent({ path: "/feed.json", headers: { "accept-encoding": "br" } });
    const a = await ours(event);
    const b = await ours(event);
    expect(a.isBase64Encoded).toBe(true);
    expect(b.body).toBe(a.body);
    expect(b.headers).toEqual(a.headers);
  });
});
