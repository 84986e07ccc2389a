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

/**
 * One partition in sort-key order, each item made on demand: a partition loaded from a file
 * (index/table-file.ts) that nothing has written to yet, or a snapshot of one for saving.
 */
export interface FrozenPartition {
  /** Sort keys, ascending (JavaScript's string order, as the table sorts them). */
  readonly keys: readonly string[];
  /** The item with keys[index], with only `attributes` (besides pk and sk) when given. */
  item(index: number, attributes?: string[]): Item;
}

interface Partition {
  items: Map<string, Item>;
  sorted?: string[];
}

/** The in-memory table (npm start, and the reference the DynamoDB table is tested against). */
export class MemoryTable implements Table {
  readonly #partitions = new Map<string, Partition>();
  /**
   * Partitions loaded from a file and not written to since: opened (parsed) at their first read,
   * their items made one at a time as reads ask for them, so loading a big index reads nothing
   * it does not serve. A write turns one into an ordinary partition.
   */
  readonly #frozen = new Map<string, { open: () => FrozenPartition; opened?: FrozenPartition }>();

  async get({ pk, sk }: ItemKey): Promise<Item | undefined> {
    const frozen = this.#open(pk);
    if (frozen) {
      const at = firstIndex(frozen.keys, (k) => k >= sk);
      return frozen.keys[at] === sk ? frozen.item(at) : undefined;
    }
    const item = this.#partitions.get(pk)?.items.get(sk);
    return item && { ...item };
  }

  async query(pk: string, options: QueryOptions = {}): Promise<Item[]> {
    const frozen = this.#open(pk);
    const partition = this.#partitions.get(pk);
    if (!frozen && !partition) return [];
    let keys: readonly string[];
    let at: (index: number) => Item;
    if (frozen) {
      keys = frozen.keys;
      at = (index) => frozen.item(index, options.attributes);
    } else {
      const open = partition as Partition;
      const { items } = open;
      // Sorted lazily: a bulk load of 100,000 entries sorts once, not once per write.
      open.sorted ??= [...items.keys()].sort();
      const sorted = open.sorted;
      keys = sorted;
      at = (index) => {
        const item = items.get(sorted[index] as string) as Item;
        return options.attributes ? pick(item, options.attributes) : { ...item };
      };
    }
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
    for (let n = 0; n < limit; n++) out.push(at(options.descending ? hi - 1 - n : lo + n));
    return out;
  }

  /** Every item (copying a built index elsewhere, e.g. into DynamoDB for the benchmark). */
  *items(): Generator<Item> {
    for (const [, partition] of this.snapshot())
      for (let i = 0; i < partition.keys.length; i++) yield partition.item(i);
  }

  /**
   * Every partition as it is at the call, each in sort-key order; later writes do not change
   * what it returns (items are replaced, never changed). Items of a snapshot are read-only.
   */
  snapshot(): [pk: string, partition: FrozenPartition][] {
    const out: [string, FrozenPartition][] = [];
    for (const [pk, { items }] of this.#partitions) {
      const all = [...items.values()].sort((a, b) => (a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : 0));
      const keys = all.map((item) => item.sk);
      out.push([pk, { keys, item: (i) => all[i] as Item }]);
    }
    for (const pk of this.#frozen.keys()) out.push([pk, this.#open(pk) as FrozenPartition]);
    return out;
  }

  /** Takes a saved partition over, opened at its first use (see #frozen). */
  loadFrozen(pk: string, open: () => FrozenPartition): void {
    this.#partitions.delete(pk);
    this.#frozen.set(pk, { open });
  }

  /** Takes `items` over as they are: no conditions, no copies (loading a saved table). */
  load(items: Iterable<Item>): void {
    for (const item of items) {
      this.#thaw(item.pk);
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
    this.#thaw(pk);
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

  #open(pk: string): FrozenPartition | undefined {
    const frozen = this.#frozen.get(pk);
    if (frozen) frozen.opened ??= frozen.open();
    return frozen?.opened;
  }

  /** A frozen partition becomes an ordinary one, every item made (before a write to it). */
  #thaw(pk: string): void {
    const frozen = this.#open(pk);
    if (!frozen) return;
    const items = new Map<string, Item>();
    for (let i = 0; i < frozen.keys.length; i++)
      items.set(frozen.keys[i] as string, frozen.item(i));
    this.#partitions.set(pk, { items, sorted: [...frozen.keys] });
    this.#frozen.delete(pk);
  }
}

/** The first index whose key satisfies `test` (false, then true, over the sorted keys). */
function firstIndex(keys: readonly string[], test: (key: string) => boolean): number {
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
