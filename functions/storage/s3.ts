/**
 * Article store backed by an S3 bucket (or any S3-compatible server).
 *
 * This is the only module of the app that imports the AWS SDK; the core sees an ArticleStore.
 */
import {
  GetObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  S3Client,
} from "@aws-sdk/client-s3";
import { NotFoundError, StoreUnavailableError } from "../errors.ts";
import { decodeManifest, ManifestError } from "./manifest.ts";
import { type ArticleIndex, type ArticleStore, isArticleKey, type StoredFile } from "./store.ts";

export interface S3StoreOptions {
  bucket: string;
  /** Key prefix of the articles, e.g. `articles/`; a missing trailing `/` is added. Default: none. */
  prefix?: string;
  /** A ready client (tests, custom credentials). Its own time-outs and retries then apply. */
  client?: S3Client;
  /**
   * Endpoint of an S3-compatible server. Without it the SDK honors `AWS_ENDPOINT_URL_S3`
   * (then `AWS_ENDPOINT_URL`); either way a custom endpoint switches to path-style addressing.
   * Ignored when `client` is given.
   */
  endpoint?: string;
  /**
   * Limit for one HTTP request, in ms (default 3000). Each list page or read is also aborted
   * after 2 × timeoutMs + 1 s, which covers one retry, whichever client is used.
   */
  timeoutMs?: number;
  /** How many objects' last bytes + ETag to keep for cheap revalidation. Default 500. */
  cacheEntries?: number;
  /**
   * Full key of the article manifest the indexer function maintains (e.g. `index/manifest.json.gz`).
   * With it the store offers `index()`; without it the catalog always lists.
   */
  manifestKey?: string;
}

const DEFAULT_TIMEOUT_MS = 3_000;
const CONNECTION_TIMEOUT_MS = 1_000;
const DEFAULT_CACHE_ENTRIES = 500;

interface CachedObject {
  etag: string;
  bytes: Uint8Array;
}

/** The fields of SDK errors this module looks at. */
export interface SdkErrorShape {
  name?: string;
  message?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

export class S3Store implements ArticleStore {
  readonly location: string;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #client: S3Client;
  readonly #deadlineMs: number;
  readonly #cacheEntries: number;
  readonly #cache = new Map<string, CachedObject>();
  #manifest: { etag: string; index: ArticleIndex } | undefined;
  /** Present only when a manifest key is configured (see ArticleStore.index). */
  readonly index?: () => Promise<ArticleIndex | undefined>;

  constructor(options: S3StoreOptions) {
    if (!options.bucket) throw new TypeError("S3Store needs a bucket name");
    this.#bucket = options.bucket;
    this.#prefix = normalizePrefix(options.prefix ?? "");
    this.location = `s3://${this.#bucket}/${this.#prefix}`;
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#deadlineMs = 2 * timeoutMs + 1_000;
    this.#cacheEntries = Math.max(0, options.cacheEntries ?? DEFAULT_CACHE_ENTRIES);
    this.#client = options.client ?? createClient(options.endpoint, timeoutMs);
    const manifestKey = options.manifestKey;
    if (manifestKey) this.index = () => this.#readIndex(manifestKey);
  }

  /**
   * The manifest, read with one GET and revalidated with If-None-Match (a 304 gives back the
   * same object). Undefined when there is none yet; ManifestError when it is unreadable.
   */
  async #readIndex(manifestKey: string): Promise<ArticleIndex | undefined> {
    const cached = this.#manifest;
    const signal = AbortSignal.timeout(this.#deadlineMs);
    let bytes: Uint8Array;
    let etag: string | undefined;
    try {
      const response = await this.#client.send(
        new GetObjectCommand({
          Bucket: this.#bucket,
          Key: manifestKey,
          IfNoneMatch: cached?.etag,
        }),
        { abortSignal: signal },
      );
      if (!response.Body) throw new Error("response without a body");
      bytes = await readBody(response.Body, signal);
      etag = response.ETag;
    } catch (error) {
      const e = error as SdkErrorShape;
      if (e.$metadata?.httpStatusCode === 304 && cached) return cached.index;
      if (isNoSuchKey(e)) {
        this.#manifest = undefined;
        return undefined;
      }
      throw this.#unavailable(`cannot read s3://${this.#bucket}/${manifestKey}`, error);
    }
    let index: ArticleIndex;
    try {
      index = { entries: await decodeManifest(bytes) };
    } catch (error) {
      this.#manifest = undefined;
      throw new ManifestError(`s3://${this.#bucket}/${manifestKey}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    this.#manifest = etag ? { etag, index } : undefined;
    return index;
  }

  async list(): Promise<StoredFile[]> {
    const files: StoredFile[] = [];
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.#client.send(
          new ListObjectsV2Command({
            Bucket: this.#bucket,
            Prefix: this.#prefix || undefined,
            ContinuationToken: token,
          }),
          { abortSignal: AbortSignal.timeout(this.#deadlineMs) },
        );
      } catch (error) {
        throw this.#unavailable(`cannot list ${this.location}`, error);
      }
      for (const object of page.Contents ?? []) {
        const fullKey = object.Key;
        if (!fullKey?.startsWith(this.#prefix) || fullKey.endsWith("/")) continue;
        const key = fullKey.slice(this.#prefix.length);
        if (!isArticleKey(key) || !isSafeKey(key)) continue;
        files.push({
          key,
          version: object.ETag ?? `${object.Size ?? 0}-${object.LastModified?.getTime() ?? 0}`,
          modified: object.LastModified ?? new Date(0),
          size: object.Size ?? 0,
        });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return files;
  }

  async read(key: string): Promise<Uint8Array> {
    if (!isSafeKey(key)) throw new NotFoundError(`No article at ${JSON.stringify(key)}`);
    const fullKey = this.#prefix + key;
    const where = `s3://${this.#bucket}/${fullKey}`;
    const cached = this.#cache.get(key);
    const signal = AbortSignal.timeout(this.#deadlineMs);
    try {
      const response = await this.#client.send(
        new GetObjectCommand({ Bucket: this.#bucket, Key: fullKey, IfNoneMatch: cached?.etag }),
        { abortSignal: signal },
      );
      if (!response.Body) throw new Error("response without a body");
      // A plain copy: the SDK may hand out a Buffer view, and callers must not alter the cache.
      const bytes = new Uint8Array(await readBody(response.Body, signal));
      if (response.ETag) this.#remember(key, { etag: response.ETag, bytes });
      else this.#cache.delete(key);
      return new Uint8Array(bytes);
    } catch (error) {
      const e = error as SdkErrorShape;
      const status = e.$metadata?.httpStatusCode;
      if (status === 304 && cached) {
        this.#remember(key, cached);
        return new Uint8Array(cached.bytes);
      }
      if (isNoSuchKey(e)) {
        this.#cache.delete(key);
        throw new NotFoundError(`Article ${key} vanished from ${this.location}`, { cause: error });
      }
      throw this.#unavailable(`cannot read ${where}`, error);
    }
  }

  /** Inserts or refreshes an entry as the most recently used; evicts the oldest beyond the cap. */
  #remember(key: string, value: CachedObject): void {
    if (this.#cacheEntries === 0) return;
    this.#cache.delete(key);
    this.#cache.set(key, value);
    while (this.#cache.size > this.#cacheEntries) {
      const oldest = this.#cache.keys().next();
      if (oldest.done) break;
      this.#cache.delete(oldest.value);
    }
  }

  #unavailable(what: string, error: unknown): StoreUnavailableError {
    return new StoreUnavailableError(`S3 store: ${what}: ${describe(error)}`, undefined, {
      cause: error,
    });
  }
}

/**
 * An S3 client as the store uses it: path style for custom endpoints, checksums only when
 * required (S3-compatible servers), two attempts, connection/request/idle time-outs.
 */
export function createClient(endpointOption: string | undefined, timeoutMs: number): S3Client {
  const endpoint = endpointOption || configuredEndpoint();
  return new S3Client({
    region: process.env.AWS_REGION || "us-east-1",
    // Without an explicit endpoint the SDK itself reads AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL.
    ...(endpointOption ? { endpoint: endpointOption } : {}),
    // S3-compatible servers rarely resolve virtual-hosted bucket names like bucket.127.0.0.1.
    forcePathStyle: endpoint !== undefined,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    maxAttempts: 2,
    requestHandler: {
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      requestTimeout: timeoutMs,
      // Without this the handler only logs a warning when requestTimeout passes.
      throwOnRequestTimeout: true,
      // Idle limit while the body streams in (requestTimeout stops at the response headers).
      socketTimeout: timeoutMs,
    },
  });
}

/** The endpoint the SDK picks up from the environment, mirroring its own rules. */
function configuredEndpoint(): string | undefined {
  const env = process.env;
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS?.toLowerCase() === "true") return undefined;
  return env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
}

function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, "");
  return trimmed === "" || trimmed.endsWith("/") ? trimmed : `${trimmed}/`;
}

/** Keys that could escape the prefix or confuse a path-based backend are never read. */
export function isSafeKey(key: string): boolean {
  if (key === "" || key.startsWith("/") || key.includes("\0")) return false;
  return !key.split(/[/\\]/).some((segment) => segment === "..");
}

/** True for "no such object" answers (but not for a missing bucket, a configuration fault). */
export function isNoSuchKey(error: SdkErrorShape): boolean {
  if (error.name === "NoSuchKey" || error.Code === "NoSuchKey") return true;
  // A 404 without the code (e.g. HEAD-like answers); but a missing bucket is a configuration fault.
  return (
    error.$metadata?.httpStatusCode === 404 &&
    error.name !== "NoSuchBucket" &&
    error.Code !== "NoSuchBucket"
  );
}

/** An SDK error in one line: name, HTTP status, message. */
export function describe(error: unknown): string {
  const e = error as SdkErrorShape;
  const status = e.$metadata?.httpStatusCode;
  const name = e.name ?? "Error";
  const message = e.message && e.message !== name ? `: ${e.message}` : "";
  return `${name}${status ? ` (HTTP ${status})` : ""}${message}`;
}

/** Reads a GetObject body fully; aborting `signal` destroys a stalled stream. */
export async function readBody(
  body: { transformToByteArray(): Promise<Uint8Array> },
  signal: AbortSignal,
): Promise<Uint8Array> {
  const destroyable = body as { destroy?: (error?: Error) => void };
  const onAbort = () => destroyable.destroy?.(signal.reason as Error);
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    return await body.transformToByteArray();
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
