import type { Node } from "constructs";

/**
 * Dateline deployment settings, read from CDK context (cdk.json, or `-c key=value` on the
 * command line) and validated before anything is built. Every error names the context key.
 */
export interface DatelineSettings {
  siteTitle: string;
  siteDescription: string;
  /** A language tag such as `en` or `en-GB`. */
  siteLanguage: string;
  siteAuthor: string;
  siteAuthorEmail?: string;
  /**
   * A custom domain (e.g. `news.example.com`) served by the CloudFront distribution, with an
   * ACM certificate in us-east-1 that covers it. Without one, the site lives on the
   * distribution's `*.cloudfront.net` name.
   */
  customDomain?: { domainName: string; certificateArn: string };
  /** Seconds the feeds may be cached (Cache-Control max-age sent by the function). */
  cacheMaxAge: number;
  /** Number of items per feed. */
  feedLimit: number;
  /** Number of items per archive page (`?before=`). */
  pageSize: number;
  /** WebSub hub advertised in the feeds. */
  hubUrl?: string;
  /** E-mail address subscribed to the alarm topic (the subscription must be confirmed). */
  alarmEmail?: string;
  /** Site icon (square): an http(s) URL or a path from the site root. Function env SITE_ICON. */
  siteIcon?: string;
  /** Site logo (wide): an http(s) URL or a path from the site root. Function env SITE_LOGO. */
  siteLogo?: string;
}

export const CONTEXT_KEYS = {
  siteTitle: "dateline:siteTitle",
  siteDescription: "dateline:siteDescription",
  siteLanguage: "dateline:siteLanguage",
  siteAuthor: "dateline:siteAuthor",
  siteAuthorEmail: "dateline:siteAuthorEmail",
  customDomain: "dateline:customDomain",
  certificateArn: "dateline:certificateArn",
  cacheMaxAge: "dateline:cacheMaxAge",
  feedLimit: "dateline:feedLimit",
  pageSize: "dateline:pageSize",
  hubUrl: "dateline:hubUrl",
  alarmEmail: "dateline:alarmEmail",
  siteIcon: "dateline:siteIcon",
  siteLogo: "dateline:siteLogo",
} as const;

/** Thrown when the CDK context holds a missing or malformed Dateline setting. */
export class SettingsError extends Error {
  override readonly name = "SettingsError";
}

type ContextReader = (key: string) => unknown;

/** Reads the settings from a construct's context (usually the App's). */
export function settingsFromContext(node: Node): DatelineSettings {
  return parseSettings((key) => node.tryGetContext(key));
}

/**
 * Parses and validates the settings. Collects every problem and throws one SettingsError
 * listing them, each line naming its context key.
 */
export function parseSettings(read: ContextReader): DatelineSettings {
  const problems: string[] = [];
  const k = CONTEXT_KEYS;

  const siteTitle = requiredText(read, k.siteTitle, problems);
  const siteDescription = requiredText(read, k.siteDescription, problems);
  const siteAuthor = requiredText(read, k.siteAuthor, problems);
  const siteLanguage = requiredText(read, k.siteLanguage, problems);
  if (siteLanguage !== undefined && !/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(siteLanguage)) {
    problems.push(
      `${k.siteLanguage} must be a language tag such as "en" or "en-GB" (got ${show(siteLanguage)})`,
    );
  }

  const siteAuthorEmail = optionalText(read, k.siteAuthorEmail, problems);
  if (siteAuthorEmail !== undefined && !isEmail(siteAuthorEmail)) {
    problems.push(
      `${k.siteAuthorEmail} must be an e-mail address such as "news@example.com" (got ${show(siteAuthorEmail)})`,
    );
  }

  const domain = optionalText(read, k.customDomain, problems)?.toLowerCase();
  const certificateArn = optionalText(read, k.certificateArn, problems);
  let customDomain: DatelineSettings["customDomain"];
  if (domain !== undefined) {
    const label = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?";
    if (domain.length > 253 || !new RegExp(`^(${label}\\.)+[a-z]{2,63}$`).test(domain)) {
      problems.push(
        `${k.customDomain} must be a bare host name such as "news.example.com", without scheme or path (got ${show(domain)})`,
      );
    }
    if (certificateArn === undefined) {
      problems.push(
        `${k.certificateArn} is required when ${k.customDomain} is set: the ARN of an ACM certificate in us-east-1 that covers ${domain}`,
      );
    } else if (
      !/^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[0-9a-f-]{36}$/.test(certificateArn)
    ) {
      problems.push(
        `${k.certificateArn} must be an ACM certificate ARN in us-east-1 (CloudFront only uses certificates from that region), e.g. arn:aws:acm:us-east-1:123456789012:certificate/<uuid> (got ${show(certificateArn)})`,
      );
    } else {
      customDomain = { domainName: domain, certificateArn };
    }
  } else if (certificateArn !== undefined) {
    problems.push(`${k.certificateArn} is set but ${k.customDomain} is not: set both or neither`);
  }

  const cacheMaxAge = wholeNumber(read, k.cacheMaxAge, 300, 0, 31_536_000, problems);
  const feedLimit = wholeNumber(read, k.feedLimit, 20, 1, 100, problems);
  const pageSize = wholeNumber(read, k.pageSize, 20, 1, 100, problems);

  const hubUrl = optionalText(read, k.hubUrl, problems);
  if (hubUrl !== undefined && !isHttpUrl(hubUrl)) {
    problems.push(
      `${k.hubUrl} must be an absolute http(s) URL without query or fragment, such as "https://pubsubhubbub.appspot.com/" (got ${show(hubUrl)})`,
    );
  }

  const alarmEmail = optionalText(read, k.alarmEmail, problems);
  if (alarmEmail !== undefined && !isEmail(alarmEmail)) {
    problems.push(
      `${k.alarmEmail} must be an e-mail address such as "ops@example.com" (got ${show(alarmEmail)})`,
    );
  }
  const [siteIcon, siteLogo] = [k.siteIcon, k.siteLogo].map((key) => {
    const value = optionalText(read, key, problems);
    if (value !== undefined && !isImageLocation(value)) {
      problems.push(
        `${key} must be an absolute http(s) URL or a path from the site root such as "/icon.png" (got ${show(value)})`,
      );
      return undefined;
    }
    return value;
  });

  if (problems.length > 0) {
    throw new SettingsError(
      `Invalid Dateline settings in CDK context (cdk.json or -c key=value):\n  - ${problems.join("\n  - ")}`,
    );
  }
  return {
    siteTitle: siteTitle as string,
    siteDescription: siteDescription as string,
    siteLanguage: siteLanguage as string,
    siteAuthor: siteAuthor as string,
    ...(siteAuthorEmail !== undefined ? { siteAuthorEmail } : {}),
    ...(customDomain !== undefined ? { customDomain } : {}),
    cacheMaxAge,
    feedLimit,
    pageSize,
    ...(hubUrl !== undefined ? { hubUrl } : {}),
    ...(alarmEmail !== undefined ? { alarmEmail } : {}),
    ...(siteIcon !== undefined ? { siteIcon } : {}),
    ...(siteLogo !== undefined ? { siteLogo } : {}),
  };
}

function isEmail(value: string): boolean {
  return /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/.test(value);
}

/** The same rule as SITE_ICON / SITE_LOGO in functions/config.ts. */
function isImageLocation(value: string): boolean {
  if (/^\/(?!\/)/.test(value)) return !/[\s#?]/.test(value);
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** A string setting; an empty or blank value counts as absent. */
function optionalText(read: ContextReader, key: string, problems: string[]): string | undefined {
  const value = read(key);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") {
    problems.push(`${key} must be a string (got ${show(value)})`);
    return undefined;
  }
  const trimmed = value.trim();
  if (trimmed === "") return undefined;
  if (trimmed.length > 500) {
    problems.push(`${key} must be at most 500 characters (got ${trimmed.length})`);
    return undefined;
  }
  return trimmed;
}

function requiredText(read: ContextReader, key: string, problems: string[]): string | undefined {
  const before = problems.length;
  const value = optionalText(read, key, problems);
  if (value === undefined && problems.length === before) {
    problems.push(`${key} is required and must not be empty (set it in cdk.json "context")`);
  }
  return value;
}

/** A whole number, given as a JSON number (cdk.json) or a string (`-c key=value`). */
function wholeNumber(
  read: ContextReader,
  key: string,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
): number {
  const value = read(key);
  if (value === undefined || value === null || value === "") return fallback;
  const n =
    typeof value === "number"
      ? value
      : typeof value === "string" && /^\d+$/.test(value.trim())
        ? Number(value)
        : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    problems.push(`${key} must be a whole number from ${min} to ${max} (got ${show(value)})`);
    return fallback;
  }
  return n;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "https:" || url.protocol === "http:") && !url.search && !url.hash;
  } catch {
    return false;
  }
}
