import type { Stack } from "aws-cdk-lib";
import type { Distribution } from "aws-cdk-lib/aws-cloudfront";
import { PolicyStatement, type Role } from "aws-cdk-lib/aws-iam";
import { StringParameter } from "aws-cdk-lib/aws-ssm";

/**
 * The public site URL the functions need (feeds and compiled articles carry absolute links).
 * With a custom domain it is a plain string. Without one it is the CloudFront domain, and
 * passing that to the feed function as an environment variable would be a cycle (function ->
 * distribution -> origin -> function). Instead the URL goes into an SSM parameter whose NAME is
 * a fixed string chosen here: the functions get the name and read the value once at cold
 * start, and their IAM policy is built from the same string with Stack.formatArn, so nothing in
 * a function refers back to the distribution.
 */
export class SiteUrl {
  readonly #stack: Stack;
  readonly #domain: string | undefined;
  /** The SSM parameter's name and ARN (only without a custom domain). */
  readonly parameter: { name: string; arn: string } | undefined;

  constructor(stack: Stack, customDomain: string | undefined) {
    this.#stack = stack;
    this.#domain = customDomain;
    if (customDomain) return;
    const name = `/dateline/${stack.stackName}/site-url`;
    this.parameter = {
      name,
      arn: stack.formatArn({ service: "ssm", resource: "parameter", resourceName: name.slice(1) }),
    };
  }

  /** SITE_URL, or SITE_URL_PARAMETER when the URL is only known after deployment. */
  environment(): { SITE_URL_PARAMETER: string } | { SITE_URL: string } {
    return this.parameter
      ? { SITE_URL_PARAMETER: this.parameter.name }
      : { SITE_URL: `https://${this.#domain}` };
  }

  /** ssm:GetParameter on exactly the one parameter (nothing with a custom domain). */
  grantRead(role: Role): void {
    if (!this.parameter) return;
    role.addToPolicy(
      new PolicyStatement({
        sid: "ReadSiteUrl",
        actions: ["ssm:GetParameter"],
        resources: [this.parameter.arn],
      }),
    );
  }

  /** The URL itself (a token without a custom domain), writing the parameter when there is one. */
  publish(distribution: Distribution): string {
    if (!this.parameter) return `https://${this.#domain}`;
    const url = `https://${distribution.distributionDomainName}`;
    // At stack level, under the id it always had: a fixed-name parameter must not move.
    new StringParameter(this.#stack, "SiteUrlParameter", {
      parameterName: this.parameter.name,
      stringValue: url,
      description: "Public base URL of the Dateline site (read by the Dateline functions)",
    });
    return url;
  }
}
