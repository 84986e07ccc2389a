import { AwsError, endpointFor } from "../aws/request.ts";
import { S3 } from "../aws/s3.ts";
import { NotFoundError, StoreUnavailableError } from "../errors.ts";
import type { VersionedStore } from "../index/indexing.ts";
import { type ArticleStore, isArticleKey, type StoredFile } from "./store.ts";

/** Where a bucket store reads: the bucket, the article prefix, and optionally the endpoint. */
export interface BucketOptions {
  bucket: string;
  /** Key prefix of the articles, e.g. `articles/`; a missing trailing `/` is added. */
  prefix: string;
  /** S3-compatible server (path-style); default AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL / AWS. */
  endpoint?: string;
  /** Per-request limit in ms, connect to last body byte (default 3000). */
  timeoutMs?: number;
}

/**
 * The article store of a bucket (`npm start` and check-content on CONTENT_BUCKET / s3://, and
 * the indexer), on the signed S3 client, with its credentials and region from `env`.
 */
export function openBucket(
  options: BucketOptions,
  env: Record<string, string | undefined> = process.env,
): BucketStore {
  const endpoint = endpointFor("s3", env);
  const s3 = new S3(
    {
      ...endpoint,
      ...(options.endpoint ? { url: options.endpoint } : {}),
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    },
    options.bucket,
  );
  return new BucketStore(s3, options.bucket, options.prefix);
}

/**
 * The article bucket on the signed S3 client: list, read, and fetch (the current bytes with
 * their ETag, or undefined when the key is gone). Every failure to reach or use the bucket is a
 * StoreUnavailableError (the caller serves the last good content or retries); only a missing
 * key is NotFoundError.
 */
export class BucketStore implements ArticleStore, VersionedStore {
  readonly location: string;
  private readonly prefix: string;

  constructor(
    private readonly s3: S3,
    bucket: string,
    prefix: string,
  ) {
    const trimmed = prefix.replace(/^\/+/, "");
    this.prefix = trimmed === "" || trimmed.endsWith("/") ? trimmed : `${trimmed}/`;
    this.location = `s3://${bucket}/${this.prefix}`;
  }

  async list(): Promise<StoredFile[]> {
    const objects = await this.#unavailable(`list ${this.location}`, () =>
      this.s3.list(this.prefix),
    );
    const files: StoredFile[] = [];
    for (const o of objects) {
      // A listing may hold folder markers (`drafts/`) and keys outside the folder (`articles.md`).
      if (!o.key.startsWith(this.prefix)) continue;
      const key = o.key.slice(this.prefix.length);
      if (!isArticleKey(key) || !isSafeKey(key)) continue;
      files.push({ key, version: o.etag, modified: o.modified, size: o.size });
    }
    return files;
  }

  async read(key: string): Promise<Uint8Array> {
    const found = await this.fetch(key);
    if (!found) throw new NotFoundError(`Article ${key} vanished from ${this.location}`);
    return found.bytes;
  }

  async fetch(key: string): Promise<{ file: StoredFile; bytes: Uint8Array } | undefined> {
    if (!isSafeKey(key)) return undefined;
    const object = await this.#unavailable(`read ${this.location}${key}`, () =>
      this.s3.get(`${this.prefix}${key}`),
    );
    if (object.status === "missing") return undefined;
    if (object.status !== "ok") throw new Error(`unexpected ${object.status} for ${key}`);
    return {
      file: {
        key,
        version: object.etag,
        modified: object.lastModified ?? new Date(0),
        size: object.body.byteLength,
      },
      bytes: object.body,
    };
  }

  /**
   * Any S3 error here is the bucket's state, not the article's: a 403 is missing rights (or,
   * without s3:ListBucket, a missing key: the roles grant it so that a gone key is a 404).
   */
  async #unavailable<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (!(error instanceof AwsError)) throw error;
      const status = error.status ? ` (HTTP ${error.status})` : "";
      throw new StoreUnavailableError(`S3 store: cannot ${what}: ${error.message}${status}`, 30, {
        cause: error,
      });
    }
  }
}

/** Keys that could escape the prefix or confuse a path-based backend are never read. */
export function isSafeKey(key: string): boolean {
  if (key === "" || key.startsWith("/") || key.includes("\0")) return false;
  return !key.split(/[/\\]/).some((segment) => segment === "..");
}

/** Runs an S3 call; no answer, throttling or a 5xx becomes StoreUnavailableError (503, retried). */
export async function bucketCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof AwsError && error.retryable)
      throw new StoreUnavailableError(error.message, 30, { cause: error });
    throw error;
  }
}
