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
  /** Compressed variants, filled on first use. */
  encoded: Partial<Record<Exclude<Encoding, "identity">, Buffer>>;
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
export function variant(rep: Representation, encoding: Encoding): { body: Buffer; etag: string } {
  if (encoding === "identity") return { body: rep.body, etag: rep.etag };
  rep.encoded[encoding] ??= compress(rep.body, encoding);
  return { body: rep.encoded[encoding], etag: `${rep.etag.slice(0, -1)}-${encoding}"` };
}

/**
 * Values rendered for the current content version. Everything is dropped when the version
 * changes; the size bound keeps odd query combinations from growing memory.
 */
export class VersionedCache<T> {
  #version = "";
  readonly #entries = new Map<string, Promise<T>>();
  readonly #max: number;

  constructor(max = 2_000) {
    this.#max = max;
  }

  /** The cached value for `key` at `version`, rendering it on a miss. */
  get(version: string, key: string, render: () => Promise<T>): Promise<T> {
    if (version !== this.#version) {
      this.#entries.clear();
      this.#version = version;
    }
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = render();
      entry.catch(() => {
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
      });
      this.#entries.set(key, entry);
      if (this.#entries.size > this.#max) {
        const oldest = this.#entries.keys().next().value;
        if (oldest !== undefined) this.#entries.delete(oldest);
      }
    }
    return entry;
  }
}
