import { type App, CfnOutput, Duration, Stack, type StackProps } from "aws-cdk-lib";
import type { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import type { Bucket } from "aws-cdk-lib/aws-s3";
import type { Construct } from "constructs";
import { OperatorAlarms } from "./alarms.ts";
import { CLOUDFRONT_LOG_PREFIX, CONTENT_PREFIX, WEBSUB_DELAY_SECONDS } from "./constants.ts";
import { FeedSite } from "./constructs/feed.ts";
import { BUNDLING } from "./constructs/function.ts";
import { ArticleIndexTable } from "./constructs/index-table.ts";
import { Indexer } from "./constructs/indexer.ts";
import { SiteUrl } from "./constructs/site-url.ts";
import { ContentStorage } from "./constructs/storage.ts";
import { WebSubPublisher } from "./constructs/websub.ts";
import { type DatelineSettings, settingsFromContext } from "./settings.ts";
import { SubscriberCounts } from "./subscribers.ts";

export {
  CLOUDFRONT_LOG_PREFIX,
  COMPILED_PREFIX,
  CONTENT_PREFIX,
  REVALIDATE_SECONDS,
  WEBSUB_DELAY_SECONDS,
} from "./constants.ts";

/** The Lambda entry modules (relative to the repository root): thin adapters side by side. */
export const ENTRIES = {
  feed: "functions/handlers/feed.ts",
  indexer: "functions/handlers/indexer.ts",
  websub: "functions/handlers/websub.ts",
} as const;

export interface DatelineStackProps extends StackProps {
  settings: DatelineSettings;
}

/**
 * Everything Dateline needs in one stack, composed of its parts: storage (the article bucket,
 * its logs, the content/ deployment), the index table, the feed site (feed function behind an
 * IAM-authenticated Function URL that only the CloudFront distribution may call), the indexer
 * (S3 events, hourly reconciliation and release schedules through one queue), the WebSub
 * publisher (invalidates what each change made stale, pings the hub when one is set),
 * subscriber counts and the operator alarms. Environment-agnostic: no account
 * or region is set, so `cdk synth` runs offline.
 */
export class DatelineStack extends Stack {
  readonly articleBucket: Bucket;
  readonly index: ArticleIndexTable;
  readonly feed: FeedSite;
  readonly indexer: Indexer;
  readonly websub: WebSubPublisher;
  readonly alarms: OperatorAlarms;
  /** The public base URL of the site (a token when no custom domain is set). */
  readonly siteUrl: string;

  constructor(scope: Construct, id: string, props: DatelineStackProps) {
    super(scope, id, props);
    const { settings } = props;

    const storage = new ContentStorage(this, "Storage");
    this.articleBucket = storage.bucket;
    this.index = new ArticleIndexTable(this, "Index");
    const siteUrl = new SiteUrl(this, settings.customDomain?.domainName);

    this.feed = new FeedSite(this, "Feed", {
      settings,
      bucket: storage.bucket,
      logBucket: storage.logBucket,
      index: this.index,
      siteUrl,
      entry: ENTRIES.feed,
    });
    this.siteUrl = siteUrl.publish(this.feed.distribution);

    new SubscriberCounts(this, "SubscriberCounts", {
      logBucket: storage.logBucket,
      logPrefix: CLOUDFRONT_LOG_PREFIX,
      distribution: this.feed.distribution,
      bundling: BUNDLING,
    });

    // Without a hub too: every change must reach CloudFront's cache, pinged or not.
    this.websub = new WebSubPublisher(this, "WebSub", {
      ...(settings.hubUrl ? { hubUrl: settings.hubUrl } : {}),
      siteUrl: this.siteUrl,
      distribution: this.feed.distribution,
      delay: Duration.seconds(WEBSUB_DELAY_SECONDS),
      entry: ENTRIES.websub,
    });

    this.indexer = new Indexer(this, "Indexer", {
      bucket: storage.bucket,
      index: this.index,
      siteUrl,
      websubQueue: this.websub.queue,
      entry: ENTRIES.indexer,
    });

    this.alarms = new OperatorAlarms(this, "Alarms", {
      feedFunction: this.feed.function,
      indexerFunction: this.indexer.function,
      deadLetterQueues: [this.indexer.deadLetters, this.websub.deadLetters],
      ...(settings.alarmEmail ? { email: settings.alarmEmail } : {}),
    });

    const customDomain = settings.customDomain;
    new CfnOutput(this, "SiteUrl", { value: this.siteUrl, description: "Site base URL" });
    new CfnOutput(this, "RssFeedUrl", { value: `${this.siteUrl}/feed.xml` });
    new CfnOutput(this, "AtomFeedUrl", { value: `${this.siteUrl}/atom.xml` });
    new CfnOutput(this, "JsonFeedUrl", { value: `${this.siteUrl}/feed.json` });
    new CfnOutput(this, "BucketName", {
      value: storage.bucket.bucketName,
      description: `Upload articles below s3://<bucket>/${CONTENT_PREFIX}`,
    });
    new CfnOutput(this, "IndexTableName", {
      value: this.index.table.tableName,
      description: "The article index (DynamoDB, on-demand)",
    });
    new CfnOutput(this, "DistributionDomainName", {
      value: this.feed.distribution.distributionDomainName,
      description: customDomain
        ? `Point a CNAME (or alias) for ${customDomain.domainName} at this name`
        : "CloudFront domain name",
    });
    new CfnOutput(this, "DistributionId", { value: this.feed.distribution.distributionId });
  }

  /** The feed function (behind the Function URL). */
  get feedFunction(): NodejsFunction {
    return this.feed.function;
  }

  /** The indexer function (consumes the article event queue). */
  get indexerFunction(): NodejsFunction {
    return this.indexer.function;
  }

  get distribution() {
    return this.feed.distribution;
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
