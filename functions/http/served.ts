import type { Representation } from "./representation.ts";

/** What was last answered for one resource: its bytes' ETag and the Last-Modified sent with it. */
export interface ServedRecord {
  etag: string;
  /** ms since the epoch, whole seconds. */
  lastModified: number;
}

/**
 * When each resource's current bytes were first served. A durable log (the local state file)
 * makes Last-Modified the same after a restart; a process-local one (Lambda) holds for the life
 * of the instance.
 */
export interface ServedLog {
  get(key: string): ServedRecord | undefined;
  set(key: string, record: ServedRecord): void;
}

/** A bounded in-memory ServedLog: the oldest resources are forgotten first. */
export class MemoryServedLog implements ServedLog {
  readonly #records = new Map<string, ServedRecord>();
  readonly #max: number;

  constructor(max = 2_000) {
    this.#max = max;
  }

  get(key: string): ServedRecord | undefined {
    return this.#records.get(key);
  }

  set(key: string, record: ServedRecord): void {
    this.#records.delete(key);
    this.#records.set(key, record);
    if (this.#records.size > this.#max) {
      const oldest = this.#records.keys().next().value;
      if (oldest !== undefined) this.#records.delete(oldest);
    }
  }

  /** Every record, oldest first (for persisting). */
  entries(): IterableIterator<[string, ServedRecord]> {
    return this.#records.entries();
  }
}

/**
 * The Last-Modified to send for bytes `etag`, given what was answered before for the resource.
 * It is the later of the content's own date (`contentTime`, the newest article change) and the
 * first time these exact bytes were served, so it moves whenever the bytes do, for any reason
 * (SITE_URL, site title, a feed setting, new code), and never goes backwards:
 *
 * - same bytes as before: the Last-Modified sent then (deterministic for identical bytes);
 * - other bytes: the content time when that is newer, else the current second (at least one
 *   second after the previous answer), so an If-Modified-Since poller holding the old date gets
 *   the new bytes;
 * - nothing recorded: with `firstServed`, the current second (nobody can know these bytes were
 *   served earlier, e.g. by the process before a restart with another SITE_URL); without it, the
 *   content time (what a process with no log at all can say: a pure function of the content).
 */
export function lastModifiedFor(
  before: ServedRecord | undefined,
  etag: string,
  contentTime: number,
  now: number,
  firstServed: boolean,
): number {
  const second = Math.floor(now / 1000) * 1000;
  const content = Math.floor(contentTime / 1000) * 1000;
  if (!before) return firstServed ? Math.max(content, second) : content;
  if (before.etag === etag) return Math.max(content, before.lastModified);
  if (content > before.lastModified) return content;
  return Math.max(before.lastModified + 1000, second);
}

/** Resources whose last answer is remembered (without a ServedLog) so Last-Modified never goes backwards. */
const MAX_REMEMBERED = 2_000;

/**
 * Dates each resource's representations with lastModifiedFor, remembering what it answered in
 * `served` (or, without one, in memory): bytes can change with no newer article date (an
 * article deleted, a next link appearing, a new SITE_URL or site title), and Last-Modified must
 * still move, or If-Modified-Since pollers would be told "304" for new bytes.
 */
export class LastModifiedTracker {
  readonly #now: () => number;
  readonly #answered: ServedLog;
  readonly #firstServed: boolean;

  constructor(now: () => number, served?: ServedLog) {
    this.#now = now;
    this.#answered = served ?? new MemoryServedLog(MAX_REMEMBERED);
    this.#firstServed = served !== undefined;
  }

  /** Sets `rep.lastModified` for `resource` (its content date in, its Last-Modified out). */
  date(resource: string, rep: Representation): Representation {
    const before = this.#answered.get(resource);
    const content = rep.lastModified.getTime();
    const time = lastModifiedFor(before, rep.etag, content, this.#now(), this.#firstServed);
    rep.lastModified = new Date(time);
    if (before?.etag !== rep.etag || before.lastModified !== time)
      this.#answered.set(resource, { etag: rep.etag, lastModified: time });
    return rep;
  }
}
