/** A scope's summary (`S` item), recomputed from the scope's newest entry after a change. */
import { updatedOf } from "../articles/revisions.ts";
import { slugify } from "../articles/text.ts";
import type { ScopeKey } from "./index.ts";
import { decodeEntry, entryPartition, SUMMARIES } from "./keys.ts";
import { ConflictError, type Item, type Table } from "./table.ts";

/**
 * Rewrites the summary of `scope` from its newest entry's metadata (its `d` only, never a body),
 * optimistic on the summary's `gen`: concurrent writers retry until one of them wins with what
 * the entries say now.
 */
export async function refreshSummary(
  table: Table,
  scope: ScopeKey,
  now: number,
  maxAttempts: number,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const summary = await table.get({ pk: SUMMARIES, sk: scope });
    const [newest] = await table.query(entryPartition(scope), { limit: 1, attributes: ["d"] });
    const meta = newest ? decodeEntry(String(newest.d)).meta : undefined;
    const slug = scope.slice(scope.indexOf("#") + 1);
    const names = scope.startsWith("tag#") ? meta?.tags : meta?.authors.map((a) => a.name);
    const item: Item = {
      pk: SUMMARIES,
      sk: scope,
      gen: Number(summary?.gen ?? 0) + 1,
      changed: now,
      live: meta !== undefined,
      name: names?.find((n) => slugify(n) === slug) ?? "",
      newestDate: meta?.date.getTime() ?? 0,
      // What readers see as its last update: a revision without `updated:` counts.
      newestUpdated: meta ? updatedOf(meta).getTime() : 0,
    };
    try {
      await table.write({
        put: item,
        if: summary ? { gen: Number(summary.gen) } : { absent: true },
      });
      return;
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= maxAttempts) throw error;
      await new Promise((r) => setTimeout(r, Math.random() * 3 * attempt));
    }
  }
}
