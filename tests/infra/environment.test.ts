/**
 * The round trip from the deployment's settings to the functions' configuration: each Dateline
 * function's environment, as synthesized, read back with functions/config.ts's loadConfig
 * (deploy-time names and tokens given realistic values, SITE_URL filled in as
 * functions/handlers/site-url.ts does). A setting the stack accepts but the functions refuse, or
 * spells differently, fails here instead of at the first cold start.
 */
import { describe, expect, it } from "vitest";
import { type Config, loadConfig } from "../../functions/config.ts";
import { parseSettings } from "../../infra/settings.ts";
import { cdkJsonContext, synthFor } from "./support.ts";

/** What CloudFormation puts in place of each token the template holds. */
const DEPLOYED: Record<string, string> = {
  INDEX_TABLE: "Dateline-IndexTable7A0C1F2B-1A2B3C4D5E6F",
  CONTENT_BUCKET: "dateline-storagearticlebucket38f6cd07-1a2b3c4d5e6f",
  RELEASE_ROLE_ARN: "arn:aws:iam::123456789012:role/Dateline-IndexerReleasesRole-1A2B3C4D",
  RELEASE_QUEUE_ARN: "arn:aws:sqs:eu-west-1:123456789012:Dateline-IndexerEvents-1A2B3C4D",
  WEBSUB_QUEUE_URL: "https://sqs.eu-west-1.amazonaws.com/123456789012/Dateline-WebSubPings",
  SITE_URL: "https://d111111abcdef8.cloudfront.net",
  DISTRIBUTION_ID: "E1PDK09ESKHJWT",
};

const INDEXER = "^Dateline indexer";

/** Every setting at the edge of what it accepts. */
const EDGES = {
  "dateline:siteTitle": "  Harbour Desk  ",
  "dateline:siteDescription": "News from the harbour",
  "dateline:siteLanguage": "de-CH-1996",
  "dateline:siteAuthor": "The Desk",
  "dateline:siteAuthorEmail": "desk+news@harbour.example.com",
  "dateline:cacheMaxAge": 31_536_000,
  "dateline:feedLimit": "100",
  "dateline:pageSize": 1,
  "dateline:hubUrl": "https://pubsubhubbub.appspot.com/",
  "dateline:siteIcon": "/images/icon.png",
  "dateline:siteLogo": "https://cdn.example.com/logo.png",
};

/** The configuration a function reads from its synthesized environment. */
function configOf(context: Record<string, unknown>, description: string): Config {
  const synth = synthFor(context);
  const variables = synth.env(synth.fn(description));
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(variables)) {
    const deployed = typeof value === "string" ? value : DEPLOYED[name];
    if (deployed === undefined) throw new Error(`no deployed value for ${name} (a token)`);
    env[name] = deployed;
  }
  if (env.SITE_URL_PARAMETER) env.SITE_URL = DEPLOYED.SITE_URL as string;
  return loadConfig(env);
}

describe.each([
  ["cdk.json as committed", {}],
  ["every setting at its edge", EDGES],
])("the environment infra builds, read by loadConfig: %s", (_, context) => {
  const settings = parseSettings((key) => ({ ...cdkJsonContext(), ...context })[key]);

  it("gives the feed function every setting as given", () => {
    const config = configOf(context, "^Dateline: renders");
    expect(config.site).toEqual({
      title: settings.siteTitle,
      description: settings.siteDescription,
      language: settings.siteLanguage,
      author: {
        name: settings.siteAuthor,
        ...(settings.siteAuthorEmail ? { email: settings.siteAuthorEmail } : {}),
      },
      ...(settings.siteIcon ? { icon: `${DEPLOYED.SITE_URL}${settings.siteIcon}` } : {}),
      ...(settings.siteLogo ? { logo: settings.siteLogo } : {}),
    });
    expect(config).toMatchObject({
      siteUrl: DEPLOYED.SITE_URL,
      feedLimit: settings.feedLimit,
      pageSize: settings.pageSize,
      cacheMaxAge: settings.cacheMaxAge,
      revalidateSeconds: 60,
      previewDrafts: false,
      indexTable: DEPLOYED.INDEX_TABLE,
      store: { kind: "s3", bucket: DEPLOYED.CONTENT_BUCKET, prefix: "articles/" },
    });
    expect(config.hubUrl).toBe(settings.hubUrl);
    expect(config.release).toBeUndefined();
  });

  it("gives the indexer its table, bucket and release schedules", () => {
    const config = configOf(context, INDEXER);
    expect(config).toMatchObject({
      siteUrl: DEPLOYED.SITE_URL,
      indexTable: DEPLOYED.INDEX_TABLE,
      store: { kind: "s3", bucket: DEPLOYED.CONTENT_BUCKET, prefix: "articles/" },
      release: {
        // The group's name is a literal in the template; the role and queue are tokens.
        group: synthFor(context).env(synthFor(context).fn(INDEXER)).RELEASE_SCHEDULE_GROUP,
        roleArn: DEPLOYED.RELEASE_ROLE_ARN,
        queueArn: DEPLOYED.RELEASE_QUEUE_ARN,
      },
    });
  });
});

describe("the WebSub publisher's environment, read by loadConfig", () => {
  it("names the hub as the settings give it", () => {
    const config = configOf(EDGES, "^Dateline: invalidates");
    expect(config.hubUrl).toBe(EDGES["dateline:hubUrl"]);
    expect(config.siteUrl).toBe(DEPLOYED.SITE_URL);
  });
});

describe("the settings and the functions' configuration", () => {
  const accepts = (check: () => unknown) => {
    try {
      check();
      return true;
    } catch {
      return false;
    }
  };

  it.each([
    ["dateline:siteLanguage", "SITE_LANGUAGE", ["en", "de-CH-1996", "English", "e", "en_GB"]],
    ["dateline:siteAuthorEmail", "SITE_AUTHOR_EMAIL", ["desk@example.com", "a@b.c", "nobody"]],
    ["dateline:hubUrl", "HUB_URL", ["https://hub.example.com/", "https://h.example/?q", "ftp://h"]],
    ["dateline:feedLimit", "FEED_LIMIT", ["1", "100", "0", "101", "2.5", "-1"]],
    ["dateline:pageSize", "PAGE_SIZE", ["1", "100", "0", "1e2"]],
    ["dateline:cacheMaxAge", "CACHE_MAX_AGE", ["0", "31536000", "31536001"]],
    ["dateline:siteIcon", "SITE_ICON", ["/icon.png", "https://cdn.example.com/i.png", "icon.png"]],
    ["dateline:siteLogo", "SITE_LOGO", ["//cdn.example.com/x.png", "/a b.png", "javascript:x"]],
    ["dateline:siteTitle", "SITE_TITLE", ["Harbour", "x".repeat(500), "x".repeat(501)]],
  ])("%s accepts exactly what %s accepts", (key, variable, values) => {
    for (const value of values) {
      const context = { ...cdkJsonContext(), [key]: value };
      const deployable = accepts(() => parseSettings((k) => context[k]));
      expect({ value, deployable }).toEqual({
        value,
        deployable: accepts(() => loadConfig({ [variable]: value })),
      });
    }
  });
});
