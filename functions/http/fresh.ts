import { StoreUnavailableError } from "../errors.ts";
import { TableUnavailableError } from "../index/table.ts";
import type { Logger } from "../log.ts";

/** Reads remembered at most (invented tag or article names cannot grow memory past this). */
const MAX_ENTRIES = 4_096;
/** After a failed read, the last good value is trusted this long before the index is tried again. */
const RETRY_MS = 5_000;

/**
 * Index reads the app reuses for `ttlMs` (0: every request reads, as locally where the index is
 * in memory), and keeps answering from when the index is unreachable: a reader then gets the
 * last good feed, and only a cold instance answers 503.
 */
export class FreshReads {
  readonly #entries = new Map<string, { value: unknown; until: number }>();
  readonly #loading = new Map<string, Promise<{ value: unknown; until: number }>>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
    private readonly log: Logger,
  ) {}

  /** The value of `key`, and until when (ms) it is used without reading the index again. */
  async get<T>(key: string, load: () => Promise<T>): Promise<{ value: T; until: number }> {
    const known = this.#entries.get(key);
    const left = (known?.until ?? 0) - this.now();
    // Further ahead than the interval: the clock went back (a test's, or a corrected one).
    if (known && left > 0 && left <= this.ttlMs) return known as { value: T; until: number };
    let pending = this.#loading.get(key);
    if (!pending) {
      pending = this.#load(key, load, known).finally(() => this.#loading.delete(key));
      this.#loading.set(key, pending);
    }
    return (await pending) as { value: T; until: number };
  }

  async #load(
    key: string,
    load: () => Promise<unknown>,
    known: { value: unknown; until: number } | undefined,
  ): Promise<{ value: unknown; until: number }> {
    let value: unknown;
    try {
      value = await load();
    } catch (error) {
      if (!(error instanceof TableUnavailableError)) throw error;
      if (!known) throw new StoreUnavailableError(error.message, 30, { cause: error });
      this.log.warn("article index unavailable; answering from the last good read", {
        read: key,
        reason: error.message,
      });
      const stale = {
        value: known.value,
        until: this.now() + Math.min(RETRY_MS, this.ttlMs || RETRY_MS),
      };
      this.#remember(key, stale);
      return stale;
    }
    const entry = { value, until: this.now() + this.ttlMs };
    this.#remember(key, entry);
    return entry;
  }

  #remember(key: string, entry: { value: unknown; until: number }): void {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    if (this.#entries.size > MAX_ENTRIES)
      this.#entries.delete(this.#entries.keys().next().value as string);
  }
}

/** An index read made on a cache miss: unreachable is a 503 (Retry-After), not a 500. */
export async function unavailableAs503<T>(read: Promise<T>): Promise<T> {
  try {
    return await read;
  } catch (error) {
    if (error instanceof TableUnavailableError)
      throw new StoreUnavailableError(error.message, 30, { cause: error });
    throw error;
  }
}
