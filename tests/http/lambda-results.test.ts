/**
 * The Lambda adapter keeps the final result of a request answered from a fresh representation
 * (`rep.freshUntil`, set by the app) and answers the same request with it until then; any
 * difference that changes the answer (path, query, encoding, validators, Sec-Fetch-Dest) is
 * another request. A small app answering through the real respond().
 */
import { describe, expect, it } from "vitest";
import type { HttpRequest } from "../../functions/http/exchange.ts";
import { lambdaHandler } from "../../functions/http/lambda-adapter.ts";
import { type Representation, represent } from "../../functions/http/representation.ts";
import { plain, respond } from "../../functions/http/respond.ts";
import { httpEvent } from "../lambda/events.ts";

function setup() {
  let clock = 1_000_000;
  let calls = 0;
  const reps = new Map<string, Representation>();
  const feed = (request: HttpRequest) => {
    calls++;
    const limit = request.url.searchParams.get("limit") ?? "";
    const key = `${limit}|${request.header("sec-fetch-dest") ?? ""}`;
    let rep = reps.get(key);
    if (!rep) {
      rep = represent(
        `<rss>${key} ${"x".repeat(2_000)}</rss>`,
        "application/rss+xml; charset=utf-8",
        new Date(0),
        "public, max-age=60",
      );
      reps.set(key, rep);
    }
    rep.freshUntil = clock + 1_000;
    return respond(request, rep);
  };
  const app = {
    answer: async (request: HttpRequest) =>
      request.path === "/feed.xml"
        ? feed(request)
        : request.path === "/stale"
          ? respond(request, represent("s", "text/plain", new Date(0), "x"))
          : plain(404, "Not found"),
  };
  const handler = lambdaHandler(app, () => clock);
  return {
    handler,
    calls: () => calls,
    tick: (ms: number) => {
      clock += ms;
    },
  };
}

describe("kept Lambda results", () => {
  it("answers a repeat from the kept result while fresh, and asks the app again after", async () => {
    const { handler, calls, tick } = setup();
    const event = httpEvent({ path: "/feed.xml", headers: { "accept-encoding": "br" } });
    const first = await handler(event);
    expect(first.isBase64Encoded).toBe(true);
    expect(await handler(event)).toBe(first);
    expect(calls()).toBe(1);
    tick(1_000);
    const again = await handler(event);
    expect(calls()).toBe(2);
    expect(again).toEqual(first);
  });

  it("keeps each variant apart: encoding, query, validators, Sec-Fetch-Dest, method", async () => {
    const { handler, calls } = setup();
    const plain = await handler(httpEvent({ path: "/feed.xml" }));
    const etag = String(plain.headers?.etag);
    const variants = [
      httpEvent({ path: "/feed.xml", headers: { "accept-encoding": "gzip" } }),
      httpEvent({ path: "/feed.xml", query: "limit=2" }),
      httpEvent({ path: "/feed.xml", headers: { "if-none-match": etag } }),
      httpEvent({ path: "/feed.xml", headers: { "sec-fetch-dest": "document" } }),
      httpEvent({ method: "HEAD", path: "/feed.xml" }),
    ];
    const answers = [];
    for (const event of variants) answers.push(await handler(event));
    expect(calls()).toBe(1 + variants.length);
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 304, 200, 200]);
    expect(answers[0]?.headers?.["content-encoding"]).toBe("gzip");
    expect(answers[4]?.body).toBe("");
    // Each is now kept on its own (HEAD too: its key has the method, its body stays empty).
    const same = [];
    for (const [i, event] of variants.entries()) same.push((await handler(event)) === answers[i]);
    expect(same).toEqual([true, true, true, true, true]);
    expect(await handler(httpEvent({ path: "/feed.xml" }))).toBe(plain);
    expect(calls()).toBe(1 + variants.length);
  });

  it("keeps nothing for a representation without freshUntil, or a request with cookies", async () => {
    const { handler, calls } = setup();
    const stale = httpEvent({ path: "/stale" });
    expect(await handler(stale)).not.toBe(await handler(stale));
    const withCookies = httpEvent({ path: "/feed.xml", cookies: ["a=1"] });
    await handler(withCookies);
    await handler(withCookies);
    expect(calls()).toBe(2);
  });
});
