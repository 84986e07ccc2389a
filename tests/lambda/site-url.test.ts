/**
 * The site URL every function needs, read once from the SSM parameter the stack names when it
 * could not know the URL at deploy time: found, refused (a configuration fault, 500) or not
 * answered in time (unavailable, 503 and retried), against an SSM stand-in and a fault proxy.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, StoreUnavailableError } from "../../functions/errors.ts";
import { withSiteUrl } from "../../functions/handlers/site-url.ts";
import { publisherFromEnv } from "../../functions/handlers/websub.ts";
import { type SsmStub, startSsmStub } from "../support/ssm-stub.ts";

const NAME = "/dateline/site-url";
let ssm: SsmStub;
let silent: Server;
let silentUrl: string;

beforeAll(async () => {
  ssm = await startSsmStub(NAME, "https://d111111abcdef8.cloudfront.net");
  // Accepts connections and never answers.
  silent = createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "x" });
});
afterAll(async () => {
  silent.closeAllConnections();
  await Promise.all([ssm.close(), new Promise((resolve) => silent.close(resolve))]);
});

const env = (url: string, name = NAME) => ({
  SITE_URL_PARAMETER: name,
  AWS_ENDPOINT_URL_SSM: url,
  AWS_REGION: "eu-west-1",
});

describe("withSiteUrl", () => {
  it("keeps SITE_URL when set, reads the parameter otherwise", async () => {
    expect((await withSiteUrl({ SITE_URL: "https://a.example" })).SITE_URL).toBe(
      "https://a.example",
    );
    expect((await withSiteUrl(env(ssm.url))).SITE_URL).toBe(
      "https://d111111abcdef8.cloudfront.net",
    );
    expect(ssm.asked.at(-1)).toBe(NAME);
  });

  it("is a configuration error without either, or for a parameter SSM does not have", async () => {
    await expect(withSiteUrl({})).rejects.toBeInstanceOf(ConfigError);
    await expect(withSiteUrl(env(ssm.url, "/other"))).rejects.toBeInstanceOf(ConfigError);
  });

  it("gives up within seconds when SSM does not answer: unavailable, not a time-out", async () => {
    const started = Date.now();
    await expect(withSiteUrl(env(silentUrl))).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe("publisherFromEnv", () => {
  it("reads the site URL from the parameter and checks its own settings", async () => {
    const base = { ...env(ssm.url), HUB_URL: "https://hub.example.org/" };
    const deps = await publisherFromEnv({ ...base, DISTRIBUTION_ID: "E1PDK09ESKHJWT" });
    expect(deps.siteUrl).toBe("https://d111111abcdef8.cloudfront.net");
    await expect(publisherFromEnv({ ...base, DISTRIBUTION_ID: "nope" })).rejects.toThrow(
      /DISTRIBUTION_ID/,
    );
  });
});
