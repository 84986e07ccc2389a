import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type App,
  type CfnElement,
  CfnOutput,
  DefaultStackSynthesizer,
  Duration,
  RemovalPolicy,
  Size,
  Stack,
  type StackProps,
  Validations,
} from "aws-cdk-lib";
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
import { Rule, RuleTargetInput, Schedule } from "aws-cdk-lib/aws-events";
import { SqsQueue } from "aws-cdk-lib/aws-events-targets";
import { PolicyStatement, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import {
  Architecture,
  FunctionUrlAuthType,
  LoggingFormat,
  Runtime,
  SystemLogLevel,
} from "aws-cdk-lib/aws-lambda";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { type BundlingOptions, NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  ObjectOwnership,
} from "aws-cdk-lib/aws-s3";
import { BucketDeployment, Source } from "aws-cdk-lib/aws-s3-deployment";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { StringParameter } from "aws-cdk-lib/aws-ssm";
import type { Construct } from "constructs";
import { manifestKeyFor } from "../functions/storage/manifest.ts";
import { OperatorAlarms } from "./alarms.ts";
import { functionRoleWithLogs, grantArticleRead } from "./grants.ts";
import { type DatelineSettings, settingsFromContext } from "./settings.ts";
import { SubscriberCounts } from "./subscribers.ts";
import { WebSubPublisher } from "./websub.ts";

/** Repository root (infra/..): the Lambda entry, lockfile and content/ are found from here. */
const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Key prefix of the articles in the bucket; the function only reads below it. */
export const CONTENT_PREFIX = "articles/";
/** The article manifest (`index/manifest.json.gz`): written by the indexer, read by the feed function. */
export const MANIFEST_KEY = manifestKeyFor(CONTENT_PREFIX);
/** The indexer's time limit; the event queue hides a message six times as long while it runs. */
const INDEXER_TIMEOUT = Duration.minutes(5);
/** Where CloudFront's standard logs go in the log bucket (read by the subscriber count). */
export const CLOUDFRONT_LOG_PREFIX = "cloudfront/";
/** Seconds between the function's cheap checks of the bucket for changed articles. */
export const REVALIDATE_SECONDS = 60;
/**
 * How long a WebSub ping waits after the indexer's write: past the feed function's revalidation
 * (every warm instance has then seen the new manifest), with a margin for the check itself.
 */
export const WEBSUB_DELAY_SECONDS = REVALIDATE_SECONDS + 30;
/**
 * The content/ folder the deployment copies is sized for the documented 100,000 articles
 * (~350 MB of Markdown): the handler holds the zip and the unpacked files in /tmp at once.
 */
const CONTENT_DEPLOYMENT_STORAGE = Size.gibibytes(2);

export interface DatelineStackProps extends StackProps {
  settings: DatelineSettings;
}

/**
 * Everything Dateline needs in one stack: the article bucket (plus a bucket for access logs),
 * the feed function with an IAM-authenticated Function URL, a CloudFront distribution that alone
 * may call that URL (origin access control), the indexer, the optional WebSub publisher and the
 * operator alarms. Environment-agnostic: no account or region is set, so `cdk synth` runs offline.
 */
export class DatelineStack extends Stack {
  readonly articleBucket: Bucket;
  readonly feedFunction: NodejsFunction;
  /** Keeps the article manifest current (S3 events → articleEvents queue → this function). */
  readonly indexerFunction: NodejsFunction;
  readonly articleEvents: Queue;
  readonly distribution: Distribution;
  readonly alarms: OperatorAlarms;
  /** The public base URL of the site (a token when no custom domain is set). */
  readonly siteUrl: string;

  constructor(scope: Construct, id: string, props: DatelineStackProps) {
    super(scope, id, props);
    const { settings } = props;

    // ---- Storage -------------------------------------------------------------------------

    // Server access logs of the article bucket and CloudFront standard logs land here.
    // CloudFront's legacy log delivery writes with ACLs, hence OBJECT_WRITER ownership.
    const logBucket = new Bucket(this, "AccessLogBucket", {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      encryption: BucketEncryption.S3_MANAGED, // log delivery does not support SSE-KMS
      objectOwnership: ObjectOwnership.OBJECT_WRITER,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ id: "expire-logs", expiration: Duration.days(90) }],
    });

    this.articleBucket = new Bucket(this, "ArticleBucket", {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      encryption: BucketEncryption.S3_MANAGED,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      serverAccessLogsBucket: logBucket,
      serverAccessLogsPrefix: "s3/articles/",
      lifecycleRules: [
        {
          // Versioning protects against a bad upload; old versions are cheap but not free.
          id: "expire-noncurrent-versions",
          noncurrentVersionExpiration: Duration.days(90),
          expiredObjectDeleteMarker: true,
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
    });

    // Uploads the repository's content/ folder to articles/. prune: false on purpose: articles
    // added later with `aws s3 cp` (not in the repository) must survive every deploy, so a
    // deploy only adds and overwrites; deleting an article is done in S3 directly.
    const { role: deploymentRole, logGroup: deploymentLogGroup } = functionRoleWithLogs(
      this,
      "ContentDeployment",
      "Copies content/ into the article bucket during deployment",
    );
    new BucketDeployment(this, "ContentDeployment", {
      sources: [Source.asset(join(REPO_ROOT, "content"), { exclude: [".*", "**/.*"] })],
      destinationBucket: this.articleBucket,
      destinationKeyPrefix: CONTENT_PREFIX,
      prune: false,
      retainOnDelete: true,
      // Lambda's default 512 MiB of /tmp holds neither the zip nor the unpacked files of a large
      // content/; memory for the AWS CLI's sync of many files. Bulk loads: README, aws s3 sync.
      ephemeralStorageSize: CONTENT_DEPLOYMENT_STORAGE,
      memoryLimit: 1024,
      role: deploymentRole,
      logGroup: deploymentLogGroup,
    });

    // ---- Site URL --------------------------------------------------------------------------

    // The feeds need the public site URL. Without a custom domain that is the CloudFront
    // domain, and passing it to the function as an environment variable would be a cycle:
    // function -> distribution -> API -> integration -> function. Instead the URL goes into
    // an SSM parameter whose NAME is a fixed string chosen here; the function gets the name
    // and reads the value once at cold start, and its IAM policy is built from the same
    // string with Stack.formatArn, so nothing in the function refers back to the distribution.
    const siteUrlParameterName = `/dateline/${this.stackName}/site-url`;
    const siteUrlParameterArn = this.formatArn({
      service: "ssm",
      resource: "parameter",
      resourceName: siteUrlParameterName.slice(1),
    });

    // ---- Feed function ---------------------------------------------------------------------

    // It may write only to its own log group and read only the article prefix, the manifest and
    // the site URL parameter.
    const { role: functionRole, logGroup: functionLogGroup } = functionRoleWithLogs(
      this,
      "FeedFunction",
      "Dateline feed function: reads articles/ (and the site URL parameter)",
    );
    grantArticleRead(functionRole, this.articleBucket, CONTENT_PREFIX, [MANIFEST_KEY]);
    if (!settings.customDomain) {
      functionRole.addToPolicy(
        new PolicyStatement({
          sid: "ReadSiteUrl",
          actions: ["ssm:GetParameter"],
          resources: [siteUrlParameterArn],
        }),
      );
    }

    const environment: Record<string, string> = {
      CONTENT_BUCKET: this.articleBucket.bucketName,
      CONTENT_PREFIX,
      CONTENT_MANIFEST: MANIFEST_KEY,
      SITE_TITLE: settings.siteTitle,
      SITE_DESCRIPTION: settings.siteDescription,
      SITE_LANGUAGE: settings.siteLanguage,
      SITE_AUTHOR: settings.siteAuthor,
      FEED_LIMIT: String(settings.feedLimit),
      PAGE_SIZE: String(settings.pageSize),
      CACHE_MAX_AGE: String(settings.cacheMaxAge),
      REVALIDATE_SECONDS: String(REVALIDATE_SECONDS),
      // The Function URL is IAM-authenticated (only CloudFront may call it): the handler refuses
      // events without an IAM authorizer, i.e. any path that would skip that check.
      ORIGIN_AUTH: "iam",
      NODE_OPTIONS: "--enable-source-maps",
      ...(settings.siteAuthorEmail ? { SITE_AUTHOR_EMAIL: settings.siteAuthorEmail } : {}),
      ...(settings.hubUrl ? { HUB_URL: settings.hubUrl } : {}),
      ...(settings.siteIcon ? { SITE_ICON: settings.siteIcon } : {}),
      ...(settings.siteLogo ? { SITE_LOGO: settings.siteLogo } : {}),
      ...(settings.customDomain
        ? { SITE_URL: `https://${settings.customDomain.domainName}` }
        : { SITE_URL_PARAMETER: siteUrlParameterName }),
    };

    const bundling: BundlingOptions = {
      format: OutputFormat.ESM,
      target: "node22",
      minify: true,
      sourceMap: true,
      // The Node.js runtime ships AWS SDK v3; bundling it would only add size.
      externalModules: ["@aws-sdk/*"],
      // CommonJS dependencies bundled into ESM call require(): give them one.
      banner:
        "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      // `feed` pulls in xml-js's XML parser and with it sax (21 KB); Dateline only writes XML.
      esbuildArgs: { "--alias:sax": join(REPO_ROOT, "infra", "bundle", "sax-stub.cjs") },
      // md4w (Markdown) loads its WebAssembly from beside the module: here, beside index.mjs.
      commandHooks: {
        beforeBundling: () => [],
        beforeInstall: () => [],
        afterBundling: (inputDir, outputDir) => [
          `cp "${inputDir}/node_modules/md4w/js/md4w-small.wasm" "${outputDir}/md4w-small.wasm"`,
        ],
      },
    };

    this.feedFunction = new NodejsFunction(this, "FeedFunction", {
      description: "Dateline: renders RSS, Atom and JSON feeds from the article bucket",
      entry: join(REPO_ROOT, "functions", "lambda.ts"),
      handler: "handler",
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, "package-lock.json"),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      // Lambda's CPU grows with memory (1 vCPU at 1,769 MB), and the cold path is CPU-bound:
      // importing the bundle and the first request (list/read/parse/render) took ~190 + ~160 ms
      // of one core here (scripts/measure-bundle.ts); scaled by Lambda's CPU share that is an
      // estimated ~1.2 s at 512 MB, ~0.6 s at 1,024 MB. Feed readers poll rarely, so many origin
      // requests are cold. RSS stays ~115 MB; cost at feed-reader traffic is cents either way
      // (a CPU-bound duration halves as the per-ms rate doubles).
      memorySize: 1024,
      // Above the S3 store's own per-call deadline (2 x 3 s + 1 s): on an S3 stall the app
      // answers (last good feeds, or 503 when cold) before Lambda would cut it off.
      timeout: Duration.seconds(10),
      role: functionRole,
      logGroup: functionLogGroup,
      loggingFormat: LoggingFormat.JSON,
      // START/END/REPORT lines on every invocation would cost more than the app's own logs.
      systemLogLevelV2: SystemLogLevel.WARN,
      environment,
      bundling,
    });
    // Reached only through CloudFront: the URL takes SigV4-signed requests only, and the
    // resource policy (added by the origin below) lets only this distribution's OAC sign.
    const functionUrl = this.feedFunction.addFunctionUrl({ authType: FunctionUrlAuthType.AWS_IAM });

    // ---- CloudFront ------------------------------------------------------------------------

    // The function sets Cache-Control (max-age from dateline:cacheMaxAge) and ETag; the policy
    // honours that (default TTL 0: nothing is cached without Cache-Control). No validator
    // headers are in the cache key on purpose: CloudFront answers viewers' If-None-Match /
    // If-Modified-Since itself from the cached object, and when a cached object expires it
    // revalidates with the origin by sending the cached object's own ETag/Last-Modified (a 304
    // refreshes it). Putting If-None-Match in the key would split the cache per client.
    const cachePolicy = new CachePolicy(this, "FeedCachePolicy", {
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
      comment: `Dateline feeds (${this.stackName})`,
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
      logBucket,
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

    // ---- Subscriber counts from the CloudFront logs (infra/subscribers.ts) --------------------

    new SubscriberCounts(this, "SubscriberCounts", {
      logBucket,
      logPrefix: CLOUDFRONT_LOG_PREFIX,
      distribution: this.distribution,
      bundling,
    });

    // ---- Site URL parameter ----------------------------------------------------------------

    if (customDomain) {
      this.siteUrl = `https://${customDomain.domainName}`;
    } else {
      this.siteUrl = `https://${this.distribution.distributionDomainName}`;
      new StringParameter(this, "SiteUrlParameter", {
        parameterName: siteUrlParameterName,
        stringValue: this.siteUrl,
        description: "Public base URL of the Dateline site (read by the feed function)",
      });
    }

    // ---- WebSub publisher (only with dateline:hubUrl) -----------------------------------------

    const websub = settings.hubUrl
      ? new WebSubPublisher(this, "WebSub", {
          hubUrl: settings.hubUrl,
          siteUrl: this.siteUrl,
          distribution: this.distribution,
          delay: Duration.seconds(WEBSUB_DELAY_SECONDS),
          bundling,
        })
      : undefined;

    // ---- Article index ---------------------------------------------------------------------

    // Every change under articles/ becomes an S3 event on a queue that the indexer consumes, at
    // most two invocations at a time (the event source's maximum concurrency; no reserved
    // concurrency, which new accounts with a quota of 10 cannot grant). Its manifest writes are
    // conditional (If-Match), so two overlapping writers never lose each other's entries.
    // The feed function then reads one manifest object at a cold start instead of listing.
    const deadLetters = new Queue(this, "ArticleEventsDeadLetters", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.articleEvents = new Queue(this, "ArticleEvents", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Six times the function's timeout, as Lambda's SQS integration recommends.
      visibilityTimeout: Duration.seconds(6 * INDEXER_TIMEOUT.toSeconds()),
      // A throttled delivery counts as a receive too: be generous before giving up.
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: 10 },
    });
    // The bucket's notification configuration is set on the L1 resource, not with
    // addEventNotification: that would add a custom-resource Lambda (with an AWS managed policy)
    // only to avoid a cycle. S3 checks at configuration time that it may send to the queue, so
    // the bucket waits for the queue policy; the policy therefore cannot name the bucket's ARN
    // (a cycle) and is bounded by account instead. The indexer only acts on keys in its own
    // bucket, so a message from another bucket of the account can do nothing.
    const s3CanSend = this.articleEvents.addToResourcePolicy(
      new PolicyStatement({
        sid: "ArticleBucketEvents",
        principals: [new ServicePrincipal("s3.amazonaws.com")],
        actions: ["sqs:SendMessage"],
        resources: [this.articleEvents.queueArn],
        conditions: { StringEquals: { "aws:SourceAccount": this.account } },
      }),
    );
    const cfnBucket = this.articleBucket.node.defaultChild as CfnBucket;
    cfnBucket.notificationConfiguration = {
      queueConfigurations: ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"].map((event) => ({
        event,
        queue: this.articleEvents.queueArn,
        filter: { s3Key: { rules: [{ name: "prefix", value: CONTENT_PREFIX }] } },
      })),
    };
    if (s3CanSend.policyDependable) cfnBucket.node.addDependency(s3CanSend.policyDependable);

    // Hourly reconciliation with a full listing: heals a manifest that missed an event.
    new Rule(this, "ArticleIndexRebuild", {
      description: "Dateline: reconcile the article manifest with the bucket",
      schedule: Schedule.rate(Duration.hours(1)),
      targets: [
        new SqsQueue(this.articleEvents, {
          message: RuleTargetInput.fromObject({ rebuild: true }),
        }),
      ],
    });

    const { role: indexerRole, logGroup: indexerLogGroup } = functionRoleWithLogs(
      this,
      "IndexerFunction",
      "Dateline indexer: reads articles/, reads and writes the article manifest",
    );
    grantArticleRead(indexerRole, this.articleBucket, CONTENT_PREFIX, [MANIFEST_KEY]);
    indexerRole.addToPolicy(
      new PolicyStatement({
        sid: "WriteManifest",
        actions: ["s3:PutObject"],
        resources: [this.articleBucket.arnForObjects(MANIFEST_KEY)],
      }),
    );
    this.indexerFunction = new NodejsFunction(this, "IndexerFunction", {
      description: "Dateline indexer: keeps the article manifest current from S3 events",
      entry: join(REPO_ROOT, "functions", "indexer.ts"),
      handler: "handler",
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, "package-lock.json"),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      // At 100,000 articles a write holds ~100k entries (~200 MB of heap) and streams the
      // manifest; a first build from scratch peaks at ~515 MB of RSS with the heap cap below.
      memorySize: 1024,
      timeout: INDEXER_TIMEOUT,
      role: indexerRole,
      logGroup: indexerLogGroup,
      loggingFormat: LoggingFormat.JSON,
      systemLogLevelV2: SystemLogLevel.WARN,
      environment: {
        CONTENT_BUCKET: this.articleBucket.bucketName,
        CONTENT_PREFIX,
        CONTENT_MANIFEST: MANIFEST_KEY,
        // A heap cap well inside the function's memory: V8 then collects garbage instead of
        // growing (uncapped, a 100,000-article build reached 845 MB of RSS; capped, 515 MB).
        NODE_OPTIONS: "--enable-source-maps --max-old-space-size=768",
        // After a write that changed feeds, the changed scope paths go here (delayed pings).
        ...(websub ? { WEBSUB_QUEUE_URL: websub.queue.queueUrl } : {}),
      },
      bundling,
    });
    // Batches: many uploads at once (a deploy of content/) become one manifest write.
    this.indexerFunction.addEventSource(
      new SqsEventSource(this.articleEvents, {
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(10),
        // The event source's own limit instead of reserved concurrency (2 is Lambda's minimum).
        maxConcurrency: 2,
      }),
    );
    websub?.queue.grantSendMessages(indexerRole);

    // ---- Alarms ------------------------------------------------------------------------------

    this.alarms = new OperatorAlarms(this, "Alarms", {
      feedFunction: this.feedFunction,
      indexerFunction: this.indexerFunction,
      deadLetterQueues: [deadLetters, ...(websub ? [websub.deadLetters] : [])],
      ...(settings.alarmEmail ? { email: settings.alarmEmail } : {}),
    });

    // ---- Acknowledgements for CDK-provided helpers -----------------------------------------

    Validations.of(deploymentRole).acknowledge(...this.deploymentRoleFindings());
    Validations.of(functionRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.logicalIdOf(this.articleBucket)}.Arn>/${CONTENT_PREFIX}*]`,
      reason: `The feed function must read every article and nothing else: s3:GetObject is limited to keys under ${CONTENT_PREFIX}, which is where articles live (plus the one manifest object, named exactly).`,
    });
    Validations.of(indexerRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${this.logicalIdOf(this.articleBucket)}.Arn>/${CONTENT_PREFIX}*]`,
      reason: `The indexer reads each changed article to record its metadata: s3:GetObject is limited to keys under ${CONTENT_PREFIX}; its only write is the manifest object ${MANIFEST_KEY}, named exactly.`,
    });
    for (const child of this.node.children) {
      // BucketDeployment's handler is a stack-level singleton named Custom::CDKBucketDeployment<uuid>.
      if (child.node.id.startsWith("Custom::CDKBucketDeployment")) {
        Validations.of(child).acknowledge({
          id: "AwsSolutions-L1",
          reason:
            "BucketDeployment's handler runtime (Python) is fixed by aws-cdk-lib and cannot be set; the function runs only during deployments, never on a request path.",
        });
      }
    }

    new CfnOutput(this, "SiteUrl", { value: this.siteUrl, description: "Site base URL" });
    new CfnOutput(this, "RssFeedUrl", { value: `${this.siteUrl}/feed.xml` });
    new CfnOutput(this, "AtomFeedUrl", { value: `${this.siteUrl}/atom.xml` });
    new CfnOutput(this, "JsonFeedUrl", { value: `${this.siteUrl}/feed.json` });
    new CfnOutput(this, "BucketName", {
      value: this.articleBucket.bucketName,
      description: `Upload articles below s3://<bucket>/${CONTENT_PREFIX}`,
    });
    new CfnOutput(this, "DistributionDomainName", {
      value: this.distribution.distributionDomainName,
      description: customDomain
        ? `Point a CNAME (or alias) for ${customDomain.domainName} at this name`
        : "CloudFront domain name",
    });
    new CfnOutput(this, "DistributionId", { value: this.distribution.distributionId });
  }

  private logicalIdOf(construct: Construct): string {
    return this.getLogicalId(construct.node.defaultChild as CfnElement);
  }

  /**
   * The IAM5 findings on BucketDeployment's handler role: grants that aws-cdk-lib makes for it
   * (read the staged content/ zip in the bootstrap asset bucket, then read/write the article
   * bucket). Listed one by one so that any further wildcard still fails the synth.
   */
  private deploymentRoleFindings(): { id: string; reason: string }[] {
    const qualifier: string =
      this.node.tryGetContext("@aws-cdk/core:bootstrapQualifier") ??
      DefaultStackSynthesizer.DEFAULT_QUALIFIER;
    const assets = `arn:<AWS::Partition>:s3:::cdk-${qualifier}-assets-<AWS::AccountId>-<AWS::Region>/*`;
    const findings: [string, string][] = [
      [
        "Action::s3:GetBucket*",
        "aws-cdk-lib's BucketDeployment grants read (s3:GetBucket*) on the asset bucket and the article bucket so the handler can copy content/ in during deployments.",
      ],
      [
        "Action::s3:GetObject*",
        "aws-cdk-lib's BucketDeployment grants s3:GetObject* so the handler can read the staged content/ zip and compare existing articles during deployments.",
      ],
      [
        "Action::s3:List*",
        "aws-cdk-lib's BucketDeployment grants s3:List* so the handler can sync (aws s3 sync) content/ into articles/ during deployments.",
      ],
      [
        "Action::s3:Abort*",
        "aws-cdk-lib's BucketDeployment grants s3:Abort* so the handler can abort its own failed multipart uploads of articles.",
      ],
      [
        "Action::s3:DeleteObject*",
        "aws-cdk-lib's BucketDeployment grants write including s3:DeleteObject*; with prune: false and retainOnDelete: true the handler never deletes articles.",
      ],
      [
        `Resource::${assets}`,
        "The handler reads its source zip from the CDK bootstrap asset bucket, whose object keys are content hashes known only at deploy time.",
      ],
      [
        `Resource::<${this.logicalIdOf(this.articleBucket)}.Arn>/*`,
        "The handler writes articles into the article bucket (under articles/ in practice; aws-cdk-lib grants on the whole bucket).",
      ],
    ];
    return findings.map(([finding, reason]) => ({ id: `AwsSolutions-IAM5[${finding}]`, reason }));
  }
}

/** Builds the Dateline stack into `app`, with settings read from the app's context. */
export function buildDatelineStack(app: App, id = "Dateline"): DatelineStack {
  const settings = settingsFromContext(app.node);
  return new DatelineStack(app, id, {
    settings,
    description: "Dateline: RSS, Atom and JSON feeds from Markdown articles",
  });
}
