import { Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { beforeAll, describe, expect, it } from "vitest";
import { buildDatelineStack, type DatelineStack } from "../../infra/stack.ts";
import { actionsOf, makeApp, policyStatements } from "./support.ts";

const CERTIFICATE =
  "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b";

// The custom-domain variant; bundling is skipped (the default variant's test bundles).
let stack: DatelineStack;
let template: Template;

beforeAll(() => {
  const app = makeApp(
    {
      "dateline:customDomain": "News.Example.com",
      "dateline:certificateArn": CERTIFICATE,
      "dateline:siteAuthorEmail": "desk@example.com",
      "dateline:hubUrl": "https://pubsubhubbub.appspot.com/",
      "dateline:feedLimit": "50", // as given by `-c dateline:feedLimit=50`
      "dateline:siteIcon": "/icon.png",
      "dateline:siteLogo": "https://cdn.example.com/logo.png",
    },
    { bundle: false },
  );
  stack = buildDatelineStack(app);
  template = Template.fromStack(stack);
});

describe("with dateline:customDomain", () => {
  it("passes SITE_URL=https://<domain> and no parameter name to the function", () => {
    const fn = Object.values(template.findResources("AWS::Lambda::Function")).find(
      (f) => f.Properties.Environment?.Variables?.CONTENT_PREFIX === "articles/",
    );
    const env = fn?.Properties.Environment.Variables as Record<string, unknown>;
    expect(env.SITE_URL).toBe("https://news.example.com");
    expect(env).not.toHaveProperty("SITE_URL_PARAMETER");
    expect(env.SITE_AUTHOR_EMAIL).toBe("desk@example.com");
    expect(env.HUB_URL).toBe("https://pubsubhubbub.appspot.com/");
    expect(env.FEED_LIMIT).toBe("50");
    expect(env.SITE_ICON).toBe("/icon.png");
    expect(env.SITE_LOGO).toBe("https://cdn.example.com/logo.png");
  });

  it("creates no SSM parameter and grants no ssm action", () => {
    template.resourceCountIs("AWS::SSM::Parameter", 0);
    const ssm = policyStatements(template.toJSON().Resources).filter(({ statement }) =>
      actionsOf(statement).some((a) => a.startsWith("ssm:")),
    );
    expect(ssm).toEqual([]);
  });

  it("serves the domain with its certificate and TLS 1.2 (2021) as minimum", () => {
    template.hasResourceProperties("AWS::CloudFront::Distribution", {
      DistributionConfig: {
        Aliases: ["news.example.com"],
        ViewerCertificate: {
          AcmCertificateArn: CERTIFICATE,
          MinimumProtocolVersion: "TLSv1.2_2021",
          SslSupportMethod: "sni-only",
        },
      },
    });
  });

  it("outputs the custom domain URLs", () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.SiteUrl?.Value).toBe("https://news.example.com");
    expect(outputs.RssFeedUrl?.Value).toBe("https://news.example.com/feed.xml");
    expect(outputs.AtomFeedUrl?.Value).toBe("https://news.example.com/atom.xml");
    expect(outputs.JsonFeedUrl?.Value).toBe("https://news.example.com/feed.json");
  });

  it("passes cdk-nag without the default-certificate acknowledgement", () => {
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
    const distribution = stack.distribution.node;
    const acknowledged = distribution.metadata
      .filter((m) => m.type === "aws:cdk:acknowledged-rules")
      .flatMap((m) => Object.keys(m.data as object));
    expect(acknowledged.some((id) => id.endsWith("AwsSolutions-CFR4"))).toBe(false);
  });
});
