import type { EnvironmentVariable } from "../functions/config/schema.ts";
import { CONTENT_PREFIX, REVALIDATE_SECONDS } from "./constants.ts";
import type { SiteUrl } from "./constructs/site-url.ts";
import type { DatelineSettings } from "./settings.ts";

/**
 * Variables a function's loadConfig (functions/config.ts) reads, named as it reads them, plus
 * SITE_URL_PARAMETER (read before it, see functions/handlers/site-url.ts): a misspelt name does
 * not compile.
 */
export type ConfigEnvironment = Partial<Record<EnvironmentVariable | "SITE_URL_PARAMETER", string>>;

export interface ConfigEnvironmentProps {
  /** The index table's name. */
  indexTable: string;
  /** The article bucket's name (articles under CONTENT_PREFIX). */
  bucket: string;
  siteUrl: SiteUrl;
  /** What the feeds show and how they are served: the feed function's settings. */
  feeds?: DatelineSettings;
  /** Where the indexer creates release schedules. */
  release?: { group: string; roleArn: string; queueArn: string };
}

/**
 * The environment a Dateline function's configuration is read from: the one place a setting
 * becomes a variable. tests/infra/environment.test.ts reads each function's back with loadConfig.
 */
export function configEnvironment(props: ConfigEnvironmentProps): ConfigEnvironment {
  const { feeds, release } = props;
  return {
    INDEX_TABLE: props.indexTable,
    CONTENT_BUCKET: props.bucket,
    CONTENT_PREFIX,
    ...(feeds ? feedEnvironment(feeds) : {}),
    ...(release
      ? {
          RELEASE_SCHEDULE_GROUP: release.group,
          RELEASE_ROLE_ARN: release.roleArn,
          RELEASE_QUEUE_ARN: release.queueArn,
        }
      : {}),
    ...props.siteUrl.environment(),
  };
}

function feedEnvironment(settings: DatelineSettings): ConfigEnvironment {
  return {
    SITE_TITLE: settings.siteTitle,
    SITE_DESCRIPTION: settings.siteDescription,
    SITE_LANGUAGE: settings.siteLanguage,
    SITE_AUTHOR: settings.siteAuthor,
    FEED_LIMIT: String(settings.feedLimit),
    PAGE_SIZE: String(settings.pageSize),
    CACHE_MAX_AGE: String(settings.cacheMaxAge),
    REVALIDATE_SECONDS: String(REVALIDATE_SECONDS),
    ...(settings.siteAuthorEmail ? { SITE_AUTHOR_EMAIL: settings.siteAuthorEmail } : {}),
    ...(settings.hubUrl ? { HUB_URL: settings.hubUrl } : {}),
    ...(settings.siteIcon ? { SITE_ICON: settings.siteIcon } : {}),
    ...(settings.siteLogo ? { SITE_LOGO: settings.siteLogo } : {}),
  };
}
