import { createHash } from "node:crypto";
import { compress, type Encoding } from "./encoding.ts";

/** A rendered response body with everything needed to answer for it, computed once. */
export interface Representation {
  body: Buffer;
  contentType: string;
  /** Strong ETag of the identity bytes. */
  etag: string;
  lastModified: Date;
  cacheControl: string;
  /** Extra headers (e.g. WebSub `Link`). */
  headers?: Record<string, string>;
  /** Compressed variants, started on first use (concurrent requests share one compression). */
  encoded: Partial<Record<Exclude<Encoding, "identity">, Promise<Buffer>>>;
  /**
   * Set by the app on every answer from its cache (ms): until then it would answer the same
   * request with this representation without consulting the index, so an adapter may keep its
   * final answer for the same request until then (lambda-adapter.ts).
   */
  freshUntil?: number;
}

/** Wraps rendered text as a Representation with a strong ETag from its bytes. */
export function represent(
  text: string,
  contentType: string,
  lastModified: Date,
  cacheControl: string,
  headers?: Record<string, string>,
): Representation {
  const body = Buffer.from(text, "utf8");
  const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
  return {
    body,
    contentType,
    etag,
    lastModified,
    cacheControl,
    encoded: {},
    ...(headers ? { headers } : {}),
  };
}

/** The bytes and ETag to send for an encoding (variants get their own strong ETag). */
export async function variant(
  rep: Representation,
  encoding: Encoding,
): Promise<{ body: Buffer; etag: string }> {
  if (encoding === "identity") return { body: rep.body, etag: rep.etag };
  rep.encoded[encoding] ??= compress(rep.body, encoding);
  return { body: await rep.encoded[encoding], etag: variantEtag(rep, encoding) };
}

/** The strong ETag of an encoding's bytes, known without compressing anything. */
export function variantEtag(rep: Representation, encoding: Encoding): string {
  return encoding === "identity" ? rep.etag : `${rep.etag.slice(0, -1)}-${encoding}"`;
}

/**
 * Memory a representation may come to hold: its body plus both compressed variants, each at
 * most about the body's size (compression never grows text by more than a few bytes).
 */
export function representationBytes(rep: Representation): number {
  return 3 * rep.body.byteLength + 1024;
}

/**
 * Values rendered for the current content version. Everything is dropped when the version
 * changes; entries are bounded by their bytes (oldest use dropped first), so no mix of query
 * values can grow memory past `maxBytes`.
 */
export class VersionedCache<T> {
  #version = "";
  readonly #entries = new Map<string, { value: Promise<T>; bytes: number }>();
  #bytes = 0;
  readonly #maxBytes: number;
  readonly #sizeOf: (value: T) => number;

  constructor(sizeOf: (value: T) => number, maxBytes = 64 * 1024 * 1024) {
    this.#sizeOf = sizeOf;
    this.#maxBytes = maxBytes;
  }

  /** Bytes held by the entries rendered so far. */
  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The cached value for `key` at `version`, rendering it on a miss. */
  get(version: string, key: string, render: () => Promise<T>): Promise<T> {
    if (version !== this.#version) {
      this.#entries.clear();
      this.#bytes = 0;
      this.#version = version;
    }
    const hit = this.#entries.get(key);
    if (hit) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit.value;
    }
    const entry = { value: render(), bytes: 0 };
    this.#entries.set(key, entry);
    entry.value.then(
      (value) => {
        if (this.#entries.get(key) !== entry) return;
        entry.bytes = this.#sizeOf(value);
        this.#bytes += entry.bytes;
        for (const [oldKey, old] of this.#entries) {
          if (this.#bytes <= this.#maxBytes) break;
          this.#entries.delete(oldKey);
          this.#bytes -= old.bytes;
        }
      },
      () => {
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
      },
    );
    return entry.value;
  }
}
