import { type AwsEndpoint, AwsError, awsRequest } from "./request.ts";
import { encodeRfc3986 } from "./signer.ts";

/** What a GetObject returned: the bytes and ETag, or "not modified" for a matching If-None-Match. */
export type S3Object =
  | { status: "ok"; body: Buffer; etag: string; lastModified?: Date }
  | { status: "not-modified"; etag: string }
  | { status: "missing" };

/**
 * The few S3 calls Dateline's functions make, on the signer (no AWS SDK: the feed function's
 * cold start). Path-style addressing for a custom endpoint (s3rver), virtual-hosted on AWS.
 */
export class S3 {
  readonly #endpoint: AwsEndpoint;
  readonly #bucket: string;
  readonly #pathStyle: boolean;

  constructor(endpoint: AwsEndpoint, bucket: string) {
    this.#bucket = bucket;
    this.#pathStyle = !/\.amazonaws\.com$/.test(new URL(endpoint.url).hostname);
    this.#endpoint = this.#pathStyle
      ? endpoint
      : { ...endpoint, url: `https://${bucket}.s3.${endpoint.region}.amazonaws.com` };
  }

  #path(key: string): string {
    const encoded = key.split("/").map(encodeRfc3986).join("/");
    return this.#pathStyle ? `/${this.#bucket}/${encoded}` : `/${encoded}`;
  }

  /**
   * GetObject. A missing key is "missing" (404; S3 answers 403 instead unless the caller may
   * list that key, which is why the roles grant s3:ListBucket on the prefixes they read).
   */
  async get(key: string, ifNoneMatch?: string): Promise<S3Object> {
    const response = await awsRequest(this.#endpoint, {
      method: "GET",
      path: this.#path(key),
      headers: ifNoneMatch ? { "if-none-match": ifNoneMatch } : {},
    });
    const etag = String(response.headers.etag ?? "");
    if (response.status === 200) {
      const modified = response.headers["last-modified"];
      return {
        status: "ok",
        body: response.body,
        etag,
        ...(modified ? { lastModified: new Date(modified) } : {}),
      };
    }
    if (response.status === 304) return { status: "not-modified", etag: ifNoneMatch ?? etag };
    if (response.status === 404) return { status: "missing" };
    throw s3Error("GetObject", key, response.status, response.body);
  }

  /** PutObject; resolves the new ETag. */
  async put(key: string, body: string | Uint8Array, contentType: string): Promise<string> {
    const response = await awsRequest(this.#endpoint, {
      method: "PUT",
      path: this.#path(key),
      headers: { "content-type": contentType },
      body,
    });
    if (response.status !== 200) throw s3Error("PutObject", key, response.status, response.body);
    return String(response.headers.etag ?? "");
  }
}

function s3Error(operation: string, key: string, status: number, body: Buffer): AwsError {
  const code = /<Code>([^<]+)<\/Code>/.exec(body.toString("utf8"))?.[1] ?? `Http${status}`;
  return new AwsError(
    `S3 ${operation} ${key}: ${code}`,
    status,
    code,
    status >= 500 || code === "SlowDown",
  );
}
