import { describe, expect, it } from "vitest";
import { ConfigError } from "../../functions/errors.ts";
import { cameThroughOrigin, originAuthOf } from "../../functions/origin.ts";
import { httpEvent } from "./events.ts";

const signed = () => {
  const event = httpEvent({ path: "/feed.xml" });
  return {
    ...event,
    requestContext: {
      ...event.requestContext,
      authorizer: {
        iam: { accountId: "111122223333", userArn: "arn:aws:sts::1:assumed-role/x/y" },
      },
    },
  };
};

describe("origin check (ORIGIN_AUTH)", () => {
  it("defaults to serving any event (local server, tests) and refuses unknown values, naming the variable", () => {
    expect(originAuthOf({})).toBe("any");
    expect(originAuthOf({ ORIGIN_AUTH: "" })).toBe("any");
    expect(originAuthOf({ ORIGIN_AUTH: "iam" })).toBe("iam");
    expect(() => originAuthOf({ ORIGIN_AUTH: "secret" })).toThrow(ConfigError);
    expect(() => originAuthOf({ ORIGIN_AUTH: "secret" })).toThrow(/ORIGIN_AUTH must be iam/);
  });

  it("with iam, serves only events carrying Lambda's IAM authorizer block", () => {
    expect(cameThroughOrigin("iam", signed())).toBe(true);
    expect(cameThroughOrigin("iam", httpEvent({ path: "/feed.xml" }))).toBe(false);
    const empty = { ...signed(), requestContext: { ...signed().requestContext, authorizer: {} } };
    expect(cameThroughOrigin("iam", empty)).toBe(false);
    for (const odd of [null, undefined, 42, "event", {}, { requestContext: null }])
      expect(cameThroughOrigin("iam", odd)).toBe(false);
    expect(cameThroughOrigin("any", httpEvent({ path: "/" }))).toBe(true);
  });
});
