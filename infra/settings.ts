import type { Node } from "constructs";
import * as v from "valibot";
import {
  email,
  hubUrl,
  languageTag,
  MAX_TEXT,
  NUMBERS,
  text,
  urlOrPath,
  wholeNumber,
} from "../functions/config/schema.ts";

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
 * Parses and validates the settings with the functions' own rules (functions/config/schema.ts),
 * so the deployment accepts only what the functions accept. Collects every problem and throws
 * one SettingsError listing them, each line naming its context key.
 */
export function parseSettings(read: ContextReader): DatelineSettings {
  const context = new SettingsReader(read);
  const k = CONTEXT_KEYS;
  // Every setting, each of its own type or undefined (unset, or wrong: a problem then).
  const settings = {
    siteTitle: context.required(k.siteTitle, text),
    siteDescription: context.required(k.siteDescription, text),
    siteAuthor: context.required(k.siteAuthor, text),
    siteLanguage: context.required(k.siteLanguage, languageTag),
    siteAuthorEmail: context.optional(k.siteAuthorEmail, email),
    customDomain: customDomainOf(context),
    cacheMaxAge: context.number(k.cacheMaxAge, NUMBERS.cacheMaxAge),
    feedLimit: context.number(k.feedLimit, NUMBERS.feedLimit),
    pageSize: context.number(k.pageSize, NUMBERS.pageSize),
    hubUrl: context.optional(k.hubUrl, hubUrl),
    alarmEmail: context.optional(k.alarmEmail, (key) => email(key, "ops@example.com")),
    siteIcon: context.optional(k.siteIcon, urlOrPath),
    siteLogo: context.optional(k.siteLogo, urlOrPath),
  } satisfies Record<keyof DatelineSettings, unknown> & Partial<DatelineSettings>;
  if (context.problems.length > 0) {
    throw new SettingsError(
      `Invalid Dateline settings in CDK context (cdk.json or -c key=value):\n  - ${context.problems.join("\n  - ")}`,
    );
  }
  // Without problems every required setting is there; unset optional ones are left out.
  return Object.fromEntries(
    Object.entries(settings).filter(([, value]) => value !== undefined),
  ) as unknown as DatelineSettings;
}

/** A host name CloudFront can serve (lower case, at most 253 characters). */
const hostName = (key: string) => {
  const message = `${key} must be a bare host name such as news.example.com, without scheme or path`;
  const label = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?";
  return v.pipe(
    v.string(),
    v.toLowerCase(),
    v.maxLength(253, message),
    v.regex(new RegExp(`^(${label}\\.)+[a-z]{2,63}$`), message),
  );
};

const usEast1Certificate = (key: string) =>
  v.pipe(
    v.string(),
    v.regex(
      /^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[0-9a-f-]{36}$/,
      `${key} must be an ACM certificate ARN in us-east-1 (CloudFront only uses certificates from that region), e.g. arn:aws:acm:us-east-1:123456789012:certificate/<uuid>`,
    ),
  );

/** The custom domain and its certificate: both or neither. */
function customDomainOf(context: SettingsReader): DatelineSettings["customDomain"] {
  const { customDomain: domainKey, certificateArn: certificateKey } = CONTEXT_KEYS;
  const domainName = context.optional(domainKey, hostName);
  if (!context.isSet(domainKey)) {
    if (context.isSet(certificateKey))
      context.problems.push(
        `${certificateKey} is set but ${domainKey} is not: set both or neither`,
      );
    return undefined;
  }
  if (!context.isSet(certificateKey)) {
    context.problems.push(
      `${certificateKey} is required when ${domainKey} is set: the ARN of an ACM certificate in us-east-1 that covers ${domainName ?? "it"}`,
    );
    return undefined;
  }
  const certificateArn = context.optional(certificateKey, usEast1Certificate);
  return domainName && certificateArn ? { domainName, certificateArn } : undefined;
}

/**
 * Reads context values through a rule each, collecting every problem as a line that names the
 * key and shows the value given. A string value is trimmed, and blank counts as unset.
 */
class SettingsReader {
  readonly problems: string[] = [];

  constructor(private readonly read: ContextReader) {}

  /** Whether `key` holds anything but nothing or a blank string. */
  isSet(key: string): boolean {
    const value = this.read(key);
    return value !== undefined && value !== null && !(typeof value === "string" && !value.trim());
  }

  /** A string setting through `rule`; undefined when unset or wrong (a problem then). */
  optional<T>(key: string, rule: (key: string) => v.GenericSchema<string, T>): T | undefined {
    const value = this.read(key);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "string") {
      this.problems.push(`${key} must be a string (got ${show(value)})`);
      return undefined;
    }
    const trimmed = value.trim();
    if (trimmed === "") return undefined;
    if (trimmed.length > MAX_TEXT) {
      this.problems.push(`${key} must be at most ${MAX_TEXT} characters (got ${trimmed.length})`);
      return undefined;
    }
    return this.#check(rule(key), trimmed, value);
  }

  required<T>(key: string, rule: (key: string) => v.GenericSchema<string, T>): T | undefined {
    const before = this.problems.length;
    const value = this.optional(key, rule);
    if (value === undefined && this.problems.length === before) {
      this.problems.push(`${key} is required and must not be empty (set it in cdk.json "context")`);
    }
    return value;
  }

  /** A whole number, given as a JSON number (cdk.json) or a string (`-c key=value`). */
  number(key: string, range: { min: number; max: number; fallback: number }): number {
    const value = this.read(key);
    if (value === undefined || value === null || value === "") return range.fallback;
    const given = typeof value === "number" || typeof value === "string" ? String(value) : "";
    return this.#check(wholeNumber(key, range), given.trim(), value) ?? range.fallback;
  }

  #check<T>(rule: v.GenericSchema<string, T>, input: string, given: unknown): T | undefined {
    const result = v.safeParse(rule, input);
    if (result.success) return result.output;
    this.problems.push(`${result.issues[0].message} (got ${show(given)})`);
    return undefined;
  }
}

function show(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}
