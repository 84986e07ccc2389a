import { describe, expect, it } from "vitest";
import { CONTEXT_KEYS, parseSettings, SettingsError } from "../../infra/settings.ts";
import { buildDatelineStack } from "../../infra/stack.ts";
import { cdkJsonContext, makeApp } from "./support.ts";

const fromContext = (overrides: Record<string, unknown> = {}) => {
  const context: Record<string, unknown> = { ...cdkJsonContext(), ...overrides };
  return parseSettings((key) => context[key]);
};

const problemsOf = (overrides: Record<string, unknown>): string => {
  try {
    fromContext(overrides);
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return (error as Error).message;
  }
  throw new Error("expected a SettingsError");
};

describe("Dateline settings from CDK context", () => {
  it("reads cdk.json as committed", () => {
    expect(fromContext()).toEqual({
      siteTitle: "Dateline",
      siteDescription: "News from Dateline",
      siteLanguage: "en",
      siteAuthor: "Dateline",
      cacheMaxAge: 300,
      feedLimit: 20,
      pageSize: 20,
    });
  });

  it("accepts numbers given as strings (-c key=value) and treats empty optionals as unset", () => {
    const settings = fromContext({
      "dateline:cacheMaxAge": "600",
      "dateline:feedLimit": " 5 ",
      "dateline:hubUrl": "  ",
      "dateline:siteLanguage": "en-GB",
    });
    expect(settings).toMatchObject({ cacheMaxAge: 600, feedLimit: 5, siteLanguage: "en-GB" });
    expect(settings.hubUrl).toBeUndefined();
  });

  it("defaults cacheMaxAge to 300 and feedLimit to 20 when absent", () => {
    const settings = fromContext({ "dateline:cacheMaxAge": undefined, "dateline:feedLimit": null });
    expect(settings).toMatchObject({ cacheMaxAge: 300, feedLimit: 20 });
  });

  it.each([
    ["dateline:feedLimit", "lots", "dateline:feedLimit must be a whole number from 1 to 100"],
    ["dateline:feedLimit", 0, "dateline:feedLimit must be a whole number from 1 to 100"],
    ["dateline:feedLimit", 2.5, "dateline:feedLimit must be a whole number from 1 to 100"],
    ["dateline:pageSize", 0, "dateline:pageSize must be a whole number from 1 to 100"],
    ["dateline:pageSize", "many", "dateline:pageSize must be a whole number from 1 to 100"],
    ["dateline:cacheMaxAge", -1, "dateline:cacheMaxAge must be a whole number from 0 to 31536000"],
    ["dateline:siteLanguage", "English", "dateline:siteLanguage must be a language tag"],
    ["dateline:siteTitle", "", "dateline:siteTitle is required"],
    ["dateline:siteAuthor", 42, "dateline:siteAuthor must be a string"],
    ["dateline:siteAuthorEmail", "nobody", "dateline:siteAuthorEmail must be an e-mail address"],
    ["dateline:hubUrl", "ftp://hub.example.com", "dateline:hubUrl must be an absolute http(s) URL"],
    [
      "dateline:siteIcon",
      "icon.png",
      "dateline:siteIcon must be an absolute http(s) URL or a path",
    ],
    ["dateline:siteLogo", "data:image/png,x", "dateline:siteLogo must be an absolute http(s) URL"],
  ])("rejects %s = %j with a message naming the key", (key, value, message) => {
    expect(problemsOf({ [key]: value })).toContain(message);
  });

  it("requires a us-east-1 ACM certificate with a custom domain, and a domain with a certificate", () => {
    expect(problemsOf({ "dateline:customDomain": "news.example.com" })).toContain(
      "dateline:certificateArn is required when dateline:customDomain is set",
    );
    expect(
      problemsOf({
        "dateline:customDomain": "news.example.com",
        "dateline:certificateArn":
          "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
      }),
    ).toContain("dateline:certificateArn must be an ACM certificate ARN in us-east-1");
    expect(
      problemsOf({
        "dateline:certificateArn":
          "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
      }),
    ).toContain("dateline:certificateArn is set but dateline:customDomain is not");
    expect(problemsOf({ "dateline:customDomain": "https://news.example.com/" })).toContain(
      "dateline:customDomain must be a bare host name",
    );
  });

  it("lists every problem at once", () => {
    const message = problemsOf({ "dateline:feedLimit": 0, "dateline:siteLanguage": "??" });
    expect(message).toMatch(/^Invalid Dateline settings in CDK context/);
    expect(message).toContain(CONTEXT_KEYS.feedLimit);
    expect(message).toContain(CONTEXT_KEYS.siteLanguage);
  });

  it("stops the stack from being built, with the error naming the key", () => {
    const app = makeApp({ "dateline:feedLimit": "1000" }, { bundle: false });
    expect(() => buildDatelineStack(app)).toThrow(
      /dateline:feedLimit must be a whole number from 1 to 100 \(got "1000"\)/,
    );
  });
});
