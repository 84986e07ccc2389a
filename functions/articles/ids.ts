import { createHash } from "node:crypto";

/** Dateline's own UUID namespace: ids depend on the slug alone, never on the site URL. */
const NAMESPACE = "6f1d3c2e-7a4b-5c8d-9e0f-1a2b3c4d5e6f";

/** RFC 9562 name-based UUID (version 5, SHA-1) of `name` in Dateline's namespace. */
export function uuidV5(name: string, namespace = NAMESPACE): string {
  const hash = createHash("sha1")
    .update(Buffer.from(namespace.replace(/-/g, ""), "hex"))
    .update(name, "utf8")
    .digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The permanent item id of an article slug: survives restarts, title edits and a new site URL. */
export function articleId(slug: string): string {
  return `urn:uuid:${uuidV5(`article:${slug}`)}`;
}

/** Short stable hash of a store key, used to tell apart two articles that claim one slug. */
export function keyHash(key: string, length = 8): string {
  return createHash("sha256").update(key).digest("hex").slice(0, length);
}
