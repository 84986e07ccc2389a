import { Duration, Stack, Validations } from "aws-cdk-lib";
import { Certificate } from "aws-cdk-lib/aws-certificatemanager";
import {
  AllowedMethods,
  CachedMethods,
  CacheHeaderBehavior,
  CachePolicy,
  CacheQueryStringBehavior,
  Distribution,
  HttpVersion,
  PriceClass,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from "aws-cdk-lib/aws-cloudfront";
import { FunctionUrlOrigin } from "aws-cdk-lib/aws-cloudfront-origins";
import { FunctionUrlAuthType } from "aws-cdk-lib/aws-lambda";
import type { Bucket } from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import { CLOUDFRONT_LOG_PREFIX, COMPILED_PREFIX } from "../constants.ts";
import { configEnvironment } from "../environment.ts";
import { grantObjectRead } from "../grants.ts";
import type { DatelineSettings } from "../settings.ts";
import { DatelineFunction } from "./function.ts";
import type { ArticleIndexTable } from "./index-table.ts";
import { keepLogicalId, logicalIdOf } from "./logical-id.ts";
import type { SiteUrl } from "./site-url.ts";

export interface FeedSiteProps {
  settings: DatelineSettings;
  bucket: Bucket;
  logBucket: Bucket;
  index: ArticleIndexTable;
  siteUrl: SiteUrl;
  /** The feed function's entry module, relative to the repository root. */
  entry: string;
}

/**
 * The read side: the feed function (reads the index and compiled bodies, renders), its
 * IAM-authenticated Function URL, and the CloudFront distribution that alone may call that URL
 * (origin access control), with a cache policy that honours the function's Cache-Control.
 */
export class FeedSite extends Construct {
  readonly function: DatelineFunction;
  readonly distribution: Distribution;

  constructor(scope: Construct, id: string, props: FeedSiteProps) {
    super(scope, id);
    const { settings, bucket, index, siteUrl } = props;

    this.function = new DatelineFunction(this, "Function", {
      entry: props.entry,
      // Its cold start is the product (bench/lambda-cold.ts): no source map parsed at start.
      mapsOwnStacks: true,
      description: "Dateline: renders RSS, Atom and JSON feeds from the article index",
      roleDescription: "Dateline feed function: reads the index and compiled/ (and the site URL)",
      // Lambda's CPU grows with memory (1 vCPU at 1,769 MB) and a cold start is CPU-bound
      // (import + first render); feed readers poll rarely, so many origin requests are cold.
      // Cost at feed-reader traffic is cents either way (a CPU-bound duration halves as the
      // per-ms rate doubles).
      memorySize: 1024,
      // Above the store clients' own per-call deadlines: on a stall the app answers (last good
      // feeds, or 503 when cold) before Lambda would cut it off.
      timeout: Duration.seconds(10),
      environment: {
        ...configEnvironment({
          indexTable: index.table.tableName,
          bucket: bucket.bucketName,
          siteUrl,
          feeds: settings,
        }),
        // The Function URL is IAM-authenticated (only CloudFront may call it): the handler
        // refuses events without an IAM authorizer, i.e. any path that would skip that check.
        ORIGIN_AUTH: "iam",
      },
    });
    const role = this.function.executionRole;
    const objects = `Resource::<${logicalIdOf(bucket)}.Arn>`;
    // Read only: the index (GetItem, Query) and compiled bodies; nothing under articles/.
    index.grantRead(role);
    grantObjectRead(role, bucket, "Compiled", [`${COMPILED_PREFIX}*`]);
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[${objects}/${COMPILED_PREFIX}*]`,
      reason: `Compiled bodies are content-addressed (${COMPILED_PREFIX}<sha256>.html), named at write time: the feed function may read keys under ${COMPILED_PREFIX} and nothing else in the bucket.`,
    });
    siteUrl.grantRead(role);

    // Reached only through CloudFront: the URL takes SigV4-signed requests only, and the
    // resource policy (added by the origin below) lets only this distribution's OAC sign.
    const functionUrl = this.function.addFunctionUrl({ authType: FunctionUrlAuthType.AWS_IAM });

    // The function sets Cache-Control (max-age from dateline:cacheMaxAge) and ETag; the policy
    // honours that (default TTL 0: nothing is cached without Cache-Control). No validator
    // headers are in the cache key on purpose: CloudFront answers viewers' If-None-Match /
    // If-Modified-Since itself from the cached object, and when a cached object expires it
    // revalidates with the origin by sending the cached object's own ETag/Last-Modified (a 304
    // refreshes it). Putting If-None-Match in the key would split the cache per client.
    const cachePolicy = new CachePolicy(this, "CachePolicy", {
      comment: "Dateline: honour origin Cache-Control; limit and before select the feed page",
      defaultTtl: Duration.seconds(0),
      minTtl: Duration.seconds(0),
      maxTtl: Duration.days(1),
      // Browsers opening /feed.xml get application/xml so the XSLT view applies; readers don't
      // send Sec-Fetch-Dest, so this adds one variant, not one per client.
      headerBehavior: CacheHeaderBehavior.allowList("Sec-Fetch-Dest"),
      queryStringBehavior: CacheQueryStringBehavior.allowList("limit", "before"),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });

    const customDomain = settings.customDomain;
    this.distribution = new Distribution(this, "Distribution", {
      comment: `Dateline feeds (${Stack.of(this).stackName})`,
      defaultBehavior: {
        // Origin access control: CloudFront signs each origin request (SigV4) as itself, on
        // behalf of this distribution; the URL's resource policy allows nothing else. Only the
        // cache policy's headers are forwarded, so Host stays the URL's own (the signature
        // covers it). HTTPS only, TLS 1.2 (the defaults for a Function URL origin).
        origin: FunctionUrlOrigin.withOriginAccessControl(functionUrl),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachedMethods: CachedMethods.CACHE_GET_HEAD,
        compress: true,
        cachePolicy,
        responseHeadersPolicy: ResponseHeadersPolicy.SECURITY_HEADERS,
      },
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: props.logBucket,
      logFilePrefix: CLOUDFRONT_LOG_PREFIX,
      ...(customDomain
        ? {
            domainNames: [customDomain.domainName],
            certificate: Certificate.fromCertificateArn(
              this,
              "Certificate",
              customDomain.certificateArn,
            ),
            minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
    });
    // Its domain is the site URL subscribers use when no custom domain is set.
    keepLogicalId(this.distribution, "Distribution830FAC52");
    Validations.of(this.distribution).acknowledge(
      {
        id: "AwsSolutions-CFR1",
        reason: "Public news feeds are meant for readers in every country; no geo restriction.",
      },
      {
        id: "AwsSolutions-CFR2",
        reason:
          "No WAF, for cost: a web ACL starts at about $5/month plus $1 per rule, more than the rest of this stack costs at feed-reader traffic; only GET/HEAD are allowed, responses are cached at the edge, and the origin (an IAM-authenticated Function URL) answers only this distribution.",
      },
    );
    if (!customDomain) {
      Validations.of(this.distribution).acknowledge({
        id: "AwsSolutions-CFR4",
        reason:
          "Without dateline:customDomain the distribution uses the default *.cloudfront.net certificate, for which CloudFront fixes the minimum protocol (TLSv1); TLS_V1_2_2021 is set whenever a custom certificate is configured.",
      });
    }
  }
}
