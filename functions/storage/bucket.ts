import { AwsError } from "../aws/request.ts";
import type { S3 } from "../aws/s3.ts";
import { NotFoundError, StoreUnavailableError } from "../errors.ts";
import type { VersionedStore } from "../index/indexing.ts";
import type { ArticleStore, StoredFile } from "./store.ts";

/**
 * The article bucket for the indexer, on the signed S3 client: list, read, and fetch (the
 * current bytes with their ETag, or undefined when the key is gone).
 */
export class BucketStore implements ArticleStore, VersionedStore {
  readonly location: string;

  constructor(
    private readonly s3: S3,
    bucket: string,
    private readonly prefix: string,
  ) {
    this.location = `s3://${bucket}/${prefix}`;
  }

  async list(): Promise<StoredFile[]> {
    const objects = await this.#unavailable(() => this.s3.list(this.prefix));
    return objects.map((o) => ({
      key: o.key.slice(this.prefix.length),
      version: o.etag,
      modified: o.modified,
      size: o.size,
    }));
  }

  async read(key: string): Promise<Uint8Array> {
    const found = await this.fetch(key);
    if (!found) throw new NotFoundError(`${this.location}${key} is gone`);
    return found.bytes;
  }

  async fetch(key: string): Promise<{ file: StoredFile; bytes: Uint8Array } | undefined> {
    const object = await this.#unavailable(() => this.s3.get(`${this.prefix}${key}`));
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

  #unavailable<T>(fn: () => Promise<T>): Promise<T> {
    return bucketCall(fn);
  }
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
