/**
 * The storage under the index: a sorted key-value table with DynamoDB's semantics (partition
 * key, sort key in ascending order, all-or-nothing conditional transactions). MemoryTable is the
 * local one; dynamodb.ts maps the same calls onto DynamoDB.
 */
export type Value = string | number | boolean | Value[];
export interface Item {
  pk: string;
  sk: string;
  [attribute: string]: Value;
}
export interface ItemKey {
  pk: string;
  sk: string;
}

/**
 * A condition on the item a write touches: its `gen` attribute equals n, it does not exist, it
 * exists and belongs to (its `key` attribute is) the given store key, or either of the last two.
 */
export type Condition =
  | { gen: number }
  | { absent: true }
  | { owner: string }
  | { ownerOrAbsent: string };

/** One single-item write. Updates set, remove and add to (creating at 0) attributes. */
export type TableWrite =
  | { put: Item; if?: Condition }
  | { delete: ItemKey; if?: Condition }
  | {
      update: ItemKey;
      set?: Record<string, Value>;
      remove?: string[];
      add?: Record<string, number>;
      if?: Condition;
    };

export interface QueryOptions {
  /**
   * Only sort keys strictly after this one in the query's order: greater, or with `descending`
   * smaller (the entries just before a position, e.g. a newer page).
   */
  after?: string;
  /** Only sort keys less than or equal (with `descending`: where the query starts). */
  upTo?: string;
  /** Greatest sort key first (DynamoDB's ScanIndexForward false). */
  descending?: boolean;
  limit?: number;
  /** Attributes to return (default all). */
  attributes?: string[];
}

/** The write's condition failed: another writer got there first. */
export class ConflictError extends Error {
  override name = "ConflictError";
}

/** The index's table is unreachable or throttling. */
export class TableUnavailableError extends Error {
  override name = "TableUnavailableError";
}

/**
 * Single-item reads and conditional writes only: no transactions (dynalite has none, and they
 * cost twice as much); the index's write protocol is built from idempotent steps instead.
 */
export interface Table {
  get(key: ItemKey): Promise<Item | undefined>;
  /** Items of one partition in ascending (or `descending`) sort-key order. */
  query(pk: string, options?: QueryOptions): Promise<Item[]>;
  /** Rejects with ConflictError when the condition fails. */
  write(write: TableWrite): Promise<void>;
}

export function keyOf(write: TableWrite): ItemKey {
  return "put" in write ? write.put : "delete" in write ? write.delete : write.update;
}

function holds(item: Item | undefined, condition: Condition | undefined): boolean {
  if (!condition) return true;
  if ("absent" in condition) return item === undefined;
  if ("owner" in condition) return item !== undefined && item.key === condition.owner;
  if ("ownerOrAbsent" in condition)
    return item === undefined || item.key === condition.ownerOrAbsent;
  return item !== undefined && item.gen === condition.gen;
}

/** The in-memory table (npm start, and the reference the DynamoDB table is tested against). */
export class MemoryTable implements Table {
  readonly #partitions = new Map<string, { items: Map<string, Item>; sorted?: string[] }>();

  async get({ pk, sk }: ItemKey): Promise<Item | undefined> {
    const item = this.#partitions.get(pk)?.items.get(sk);
    return item && { ...item };
  }

  async query(pk: string, options: QueryOptions = {}): Promise<Item[]> {
    const partition = this.#partitions.get(pk);
    if (!partition) return [];
    // Sorted lazily: a bulk load of 100,000 entries sorts once, not once per write.
    partition.sorted ??= [...partition.items.keys()].sort();
    const keys = partition.sorted;
    const { after, upTo } = options;
    // [lo, hi): the keys within both bounds, walked from either end.
    let lo = 0;
    let hi = upTo === undefined ? keys.length : firstIndex(keys, (k) => k > upTo);
    if (after !== undefined && options.descending)
      hi = Math.min(
        hi,
        firstIndex(keys, (k) => k >= after),
      );
    else if (after !== undefined) lo = firstIndex(keys, (k) => k > after);
    const out: Item[] = [];
    const limit = Math.min(options.limit ?? Number.POSITIVE_INFINITY, Math.max(0, hi - lo));
    for (let n = 0; n < limit; n++) {
      const sk = keys[options.descending ? hi - 1 - n : lo + n] as string;
      const item = partition.items.get(sk) as Item;
      out.push(options.attributes ? pick(item, options.attributes) : { ...item });
    }
    return out;
  }

  /** Every item (copying a built index elsewhere, e.g. into DynamoDB for the benchmark). */
  *items(): Generator<Item> {
    for (const partition of this.#partitions.values()) yield* partition.items.values();
  }

  /** Takes `items` over as they are: no conditions, no copies (loading a saved table). */
  load(items: Iterable<Item>): void {
    for (const item of items) {
      let partition = this.#partitions.get(item.pk);
      if (!partition) {
        partition = { items: new Map() };
        this.#partitions.set(item.pk, partition);
      }
      partition.items.set(item.sk, item);
      partition.sorted = undefined;
    }
  }

  async write(write: TableWrite): Promise<void> {
    const { pk, sk } = keyOf(write);
    let partition = this.#partitions.get(pk);
    const existing = partition?.items.get(sk);
    if (!holds(existing, write.if)) throw new ConflictError(`condition failed on ${pk} ${sk}`);
    if ("delete" in write) {
      if (partition?.items.delete(sk)) partition.sorted = undefined;
      return;
    }
    if (!partition) {
      partition = { items: new Map() };
      this.#partitions.set(pk, partition);
    }
    if (!existing) partition.sorted = undefined;
    if ("put" in write) {
      // The table takes the item over (writers build a fresh one per write); reads get copies.
      partition.items.set(sk, { ...write.put });
      return;
    }
    const next: Item = existing ? { ...existing } : { pk, sk };
    for (const [name, n] of Object.entries(write.add ?? {}))
      next[name] = (typeof next[name] === "number" ? next[name] : 0) + n;
    for (const name of write.remove ?? []) delete next[name];
    Object.assign(next, write.set ?? {});
    partition.items.set(sk, next);
  }
}

/** The first index whose key satisfies `test` (false, then true, over the sorted keys). */
function firstIndex(keys: string[], test: (key: string) => boolean): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (test(keys[mid] as string)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function pick(item: Item, attributes: string[]): Item {
  const out: Item = { pk: item.pk, sk: item.sk };
  for (const name of attributes) if (item[name] !== undefined) out[name] = item[name] as Value;
  return out;
}
