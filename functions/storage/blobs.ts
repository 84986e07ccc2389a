import { AwsError } from "../aws/request.ts";
import type { S3 } from "../aws/s3.ts";
import type { BlobStore } from "../index/keys.ts";
import { bucketCall } from "./bucket.ts";

/** Where the indexer keeps compiled bodies too large for an index item (content-addressed). */
export const COMPILED_PREFIX = "compiled/";

/**
 * Large compiled bodies in the article bucket under `compiled/<sha256>.html`: written by the
 * indexer before the entry that names them, read by the feed function.
 */
export class S3Blobs implements BlobStore {
  constructor(
    private readonly s3: S3,
    private readonly prefix = COMPILED_PREFIX,
  ) {}

  async put(name: string, text: string): Promise<void> {
    await this.#unavailable(() =>
      this.s3.put(`${this.prefix}${name}`, text, "text/html; charset=utf-8"),
    );
  }

  async get(name: string): Promise<string> {
    const object = await this.#unavailable(() => this.s3.get(`${this.prefix}${name}`));
    // S3 answers 403 for a missing key to a reader without s3:ListBucket (the feed function).
    if (object.status !== "ok") throw new Error(`compiled body ${name} is missing`);
    return object.body.toString("utf8");
  }

  async #unavailable<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await bucketCall(fn);
    } catch (error) {
      if (error instanceof AwsError && error.status === 403 && error.code === "AccessDenied")
        throw new Error(`compiled body missing or not readable: ${error.message}`, {
          cause: error,
        });
      throw error;
    }
  }
}
