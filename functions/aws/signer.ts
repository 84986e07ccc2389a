import { createHash, createHmac } from "node:crypto";

/** AWS credentials as Lambda puts them in the environment. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** One request to sign: `path` already percent-encoded as it goes on the wire. */
export interface SignableRequest {
  method: string;
  host: string;
  path: string;
  /** Query parameters, unencoded. */
  query?: Record<string, string>;
  /** Lower-case names. `host` and the x-amz-* headers the signer adds must not be here. */
  headers: Record<string, string>;
  body: string | Uint8Array;
}

const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/**
 * The credentials Lambda provides (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN),
 * read at each call: a long-lived function gets fresh ones when the runtime rotates them.
 */
export function credentialsFromEnv(
  env: Record<string, string | undefined> = process.env,
): Credentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey)
    throw new Error("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set");
  return {
    accessKeyId,
    secretAccessKey,
    ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
  };
}

/** RFC 3986 encoding as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
export function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

const signingKeys = new Map<string, Buffer>();

function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const cacheKey = `${secret}\u0000${date}\u0000${region}\u0000${service}`;
  let key = signingKeys.get(cacheKey);
  if (!key) {
    const kDate = createHmac("sha256", `AWS4${secret}`).update(date).digest();
    const kRegion = createHmac("sha256", kDate).update(region).digest();
    const kService = createHmac("sha256", kRegion).update(service).digest();
    key = createHmac("sha256", kService).update("aws4_request").digest();
    if (signingKeys.size > 8) signingKeys.clear();
    signingKeys.set(cacheKey, key);
  }
  return key;
}

/**
 * AWS Signature Version 4 over node:crypto: the headers to add (x-amz-date, the content hash,
 * the session token, authorization). Written here rather than taken from aws4fetch because that
 * signer builds a WHATWG `Headers`, whose first use loads Node's fetch implementation (40–60 ms
 * of a cold start here); tests check it signs exactly as aws4fetch does.
 */
export function signRequest(
  request: SignableRequest,
  credentials: Credentials,
  region: string,
  service: string,
  now: Date = new Date(),
): Record<string, string> {
  const amzDate = now.toISOString().replace(/[:-]|\.\d{3}/g, "");
  const date = amzDate.slice(0, 8);
  const payloadHash =
    request.body.length === 0
      ? EMPTY_SHA256
      : createHash("sha256").update(request.body).digest("hex");
  const added: Record<string, string> = { "x-amz-date": amzDate };
  if (service === "s3") added["x-amz-content-sha256"] = payloadHash;
  if (credentials.sessionToken) added["x-amz-security-token"] = credentials.sessionToken;
  const all: Record<string, string> = { ...request.headers, ...added, host: request.host };
  const names = Object.keys(all)
    .map((n) => n.toLowerCase())
    .sort();
  const canonicalHeaders = names
    .map(
      (n) =>
        `${n}:${String(all[n] ?? "")
          .trim()
          .replace(/\s+/g, " ")}\n`,
    )
    .join("");
  const query = Object.entries(request.query ?? {})
    .map(([k, v]) => [encodeRfc3986(k), encodeRfc3986(v)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const canonical = [
    request.method.toUpperCase(),
    request.path,
    query,
    canonicalHeaders,
    names.join(";"),
    payloadHash,
  ].join("\n");
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = [
    "AWS4-HMAC-SHA256",
    amzDate,
    scope,
    createHash("sha256").update(canonical).digest("hex"),
  ].join("\n");
  const signature = createHmac(
    "sha256",
    signingKey(credentials.secretAccessKey, date, region, service),
  )
    .update(toSign)
    .digest("hex");
  added.authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}`;
  return added;
}
