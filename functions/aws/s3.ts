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
    const error = s3Error("GetObject", key, response.status, response.body);
    // A missing bucket is a configuration fault, not a gone article.
    if (response.status === 404 && error.code !== "NoSuchBucket") return { status: "missing" };
    throw error;
  }

  /** ListObjectsV2 under `prefix`, every page: key, ETag, size and time of each object. */
  async list(
    prefix: string,
  ): Promise<{ key: string; etag: string; size: number; modified: Date }[]> {
    const out: { key: string; etag: string; size: number; modified: Date }[] = [];
    let token: string | undefined;
    do {
      const query: Record<string, string> = { "list-type": "2", prefix };
      if (token) query["continuation-token"] = token;
      const response = await awsRequest(this.#endpoint, {
        method: "GET",
        path: this.#pathStyle ? `/${this.#bucket}` : "/",
        query,
      });
      const xml = response.body.toString("utf8");
      if (response.status !== 200)
        throw s3Error("ListObjectsV2", prefix, response.status, response.body);
      for (const [, body = ""] of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
        const field = (name: string) =>
          xmlText(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(body)?.[1] ?? "");
        out.push({
          key: field("Key"),
          etag: field("ETag"),
          size: Number(field("Size")),
          modified: new Date(field("LastModified")),
        });
      }
      token = /<IsTruncated>true<\/IsTruncated>/.test(xml)
        ? xmlText(/<NextContinuationToken>([\s\S]*?)<\/NextContinuationToken>/.exec(xml)?.[1] ?? "")
        : undefined;
    } while (token);
    return out;
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

/** The text of an XML element's content (S3 escapes &, <, >, ", ' and control characters). */
function xmlText(value: string): string {
  return value.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, e: string) => {
    const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
    if (e[0] !== "#") return named[e.toLowerCase()] ?? "";
    return String.fromCodePoint(
      e[1] === "x" || e[1] === "X" ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1)),
    );
  });
}
