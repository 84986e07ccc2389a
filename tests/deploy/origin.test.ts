/**
 * The feed function's origin, as synthesized: a Function URL with IAM auth that only this
 * distribution's origin access control may call (evaluated against the synthesized policies by
 * the IAM proof, tests/support/iam-proof.ts), and a bundle that refuses events without the IAM
 * authorizer block, i.e. any route that would skip that check.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluate, IamProof, type IamRequest } from "../support/iam-proof.ts";
import { type DeployedSite, servedSite } from "./deployed.ts";
import { header, type LambdaHost, type Synthesized, bodyText as text } from "./support.ts";

let synth: Synthesized;
let site: DeployedSite;
let lambda: LambdaHost;

beforeAll(async () => {
  ({ synth, site, feed: lambda } = await servedSite());
}, 240_000);

afterAll(async () => {
  await lambda?.dispose();
  await site?.dispose();
});

describe("the origin answers only CloudFront", () => {
  const proof = () => new IamProof(synth.resources, site.resolver);
  const resolver = () => site.resolver;
  const functionArn = () => resolver().getAtt(synth.feedFunction.logicalId, "Arn");
  const distributionArn = () => {
    const id = Object.entries(synth.resources).find(
      ([, r]) => r.Type === "AWS::CloudFront::Distribution",
    )?.[0] as string;
    return `arn:aws:cloudfront::${resolver().env.account}:distribution/${resolver().ref(id)}`;
  };
  /** lambda:InvokeFunctionUrl and the lambda:InvokeFunction it implies, as Lambda checks them. */
  const urlRequests = (context: Record<string, string>): IamRequest[] =>
    ["lambda:InvokeFunctionUrl", "lambda:InvokeFunction"].map((action) => ({
      action,
      resource: functionArn(),
      context: {
        "lambda:FunctionUrlAuthType": "AWS_IAM",
        "lambda:InvokedViaFunctionUrl": "true",
        ...context,
      },
      from: `GET https://<url-id>.lambda-url.<region>.on.aws/feed.xml (${action})`,
    }));

  it("is a Function URL with IAM auth, and no API Gateway or other route leads to the function", () => {
    const types = Object.values(synth.resources).map((r) => r.Type);
    expect(types.filter((t) => t.startsWith("AWS::ApiGateway"))).toEqual([]);
    const urls = Object.values(synth.resources).filter((r) => r.Type === "AWS::Lambda::Url");
    expect(urls.map((u) => u.Properties.AuthType)).toEqual(["AWS_IAM"]);
    const permissions = Object.values(synth.resources).filter(
      (r) => r.Type === "AWS::Lambda::Permission",
    );
    const onFeed = permissions.filter(
      (p) => resolver().string(p.Properties.FunctionName) === functionArn(),
    );
    expect(onFeed.map((p) => [p.Properties.Action, p.Properties.Principal]).sort()).toEqual([
      ["lambda:InvokeFunction", "cloudfront.amazonaws.com"],
      ["lambda:InvokeFunctionUrl", "cloudfront.amazonaws.com"],
    ]);
  });

  it("lets this distribution's origin access control call the URL, and nobody else (IAM evaluation)", async () => {
    const p = proof();
    const account = resolver().env.account;
    const cloudfront = { service: "cloudfront.amazonaws.com" };
    const own = { "aws:SourceArn": distributionArn(), "aws:SourceAccount": account };
    for (const request of urlRequests(own))
      expect(await evaluate(p, cloudfront, request), request.action).toBe("Allowed");

    // The direct URL: an unsigned request, a stranger's role, a role of the same account without
    // an identity policy for it, another account's distribution: all denied, which a Function URL
    // with IAM auth answers with 403 Forbidden.
    const other = "arn:aws:cloudfront::444455556666:distribution/EOTHERDISTRIBUTION";
    const callers: [string, Parameters<typeof evaluate>[1], Record<string, string>][] = [
      ["anonymous", "anonymous", {}],
      ["another account's role", { arn: "arn:aws:iam::444455556666:role/curious" }, {}],
      ["a role of this account", { arn: `arn:aws:iam::${account}:role/some-app` }, {}],
      [
        "another distribution",
        cloudfront,
        { "aws:SourceArn": other, "aws:SourceAccount": "444455556666" },
      ],
    ];
    for (const [label, principal, context] of callers) {
      for (const request of urlRequests(context))
        expect(await evaluate(p, principal, request), `${label}: ${request.action}`).not.toBe(
          "Allowed",
        );
    }
  });

  it("serves CloudFront's signed requests (200) and refuses events without the IAM authorizer (403)", async () => {
    const through = await lambda.invoke({ path: "/feed.xml" });
    expect(through.statusCode).toBe(200);
    for (const path of ["/feed.xml", "/", "/no-such-page"]) {
      const direct = await lambda.invoke({ path, via: "unauthenticated" });
      expect(direct.statusCode, path).toBe(403);
      expect(header(direct, "content-type"), path).toBe("text/plain; charset=utf-8");
      expect(header(direct, "cache-control"), path).toBe("no-store");
      expect(text(direct), path).toMatch(/^Forbidden/);
    }
    expect(synth.feedFunction.environment.ORIGIN_AUTH).toBe("iam");
  });
});
