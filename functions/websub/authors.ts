/**
 * Author documents exist only while two or more authors write (functions/feeds/scopes.ts): when
 * a change takes away the last article of one of two authors, the other author's page and feeds
 * turn into 404s though none of that author's articles changed. This names that author, so its
 * cached documents are invalidated with the change.
 */
import type { IndexView, ScopeKey } from "../index/index.ts";

/**
 * The one author left after a change that made an author it touched vanish, if the change left
 * exactly one (and it is not one the change touched already); else undefined. One summary read
 * per touched author; the list of scopes is read only when one of them vanished (rare).
 */
export async function loneAuthorAfter(
  index: Pick<IndexView, "summary" | "scopes">,
  touched: readonly ScopeKey[],
): Promise<ScopeKey | undefined> {
  const authors = [...new Set(touched.filter((key) => key.startsWith("author#")))];
  const left = await Promise.all(authors.map((key) => index.summary(key)));
  if (left.every((summary) => summary !== undefined)) return undefined;
  const remaining = (await index.scopes()).filter((s) => s.key.startsWith("author#"));
  const [lone] = remaining;
  return remaining.length === 1 && lone && !authors.includes(lone.key) ? lone.key : undefined;
}
