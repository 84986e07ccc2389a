/**
 * The long strings of a saved table (index/table-file.ts): each stored once, however many items
 * share it, in runs of one kind — every character in one byte (Latin-1: V8's one-byte strings)
 * or in two (UTF-16LE) — so reading one back is a copy of its bytes, not a UTF-8 decode, and
 * any one can be read alone, by its offset, without touching the others.
 */
import type { Value } from "./table.ts";

/** Strings at least this long are stored once, as raw bytes; shorter ones stay in the JSON. */
export const INTERN_CHARS = 48;
/** Bytes of strings per chunk (written at once). */
const CHUNK_BYTES = 16 << 20;

/**
 * A value as stored: a short string itself; a long one by reference (n >= 0: the n-th Latin-1
 * string, n < 0: the (-1 - n)-th other string); anything else as [value].
 */
export type Encoded = string | number | [Value];

/** A run of strings of one kind: Latin-1 or not, its size in bytes, each string's length. */
export type Chunk = [latin1: boolean, bytes: number, lengths: number[]];

/** Any character outside Latin-1. */
const WIDE = /[\u0100-\uffff]/;

interface Run {
  latin1: boolean;
  count: number;
  buffers: Buffer[];
  bytes: number;
  lengths: number[];
}

/** Stores each long string once, in chunks of one kind, and hands out references. */
export class StringWriter {
  readonly chunks: Chunk[] = [];
  readonly #ids = new Map<string, number>();
  readonly #runs: Run[] = [true, false].map((latin1) => ({
    latin1,
    count: 0,
    buffers: [],
    bytes: 0,
    lengths: [],
  }));

  constructor(readonly emit: (data: Buffer) => Promise<void>) {}

  encode(value: Value): Encoded {
    if (typeof value !== "string") return [value];
    if (value.length < INTERN_CHARS) return value;
    let id = this.#ids.get(value);
    if (id === undefined) {
      const latin1 = !WIDE.test(value);
      const run = this.#runs[latin1 ? 0 : 1] as Run;
      const bytes = Buffer.from(value, latin1 ? "latin1" : "utf16le");
      id = latin1 ? run.count : -1 - run.count;
      run.count++;
      run.buffers.push(bytes);
      run.bytes += bytes.byteLength;
      run.lengths.push(value.length);
      this.#ids.set(value, id);
    }
    return id;
  }

  /** Writes each run that is full (or, at the end, not empty) as one chunk. */
  async flush(all: boolean): Promise<void> {
    for (const run of this.#runs) {
      if (run.bytes === 0 || (!all && run.bytes < CHUNK_BYTES)) continue;
      this.chunks.push([run.latin1, run.bytes, run.lengths]);
      await this.emit(Buffer.concat(run.buffers));
      run.buffers = [];
      run.bytes = 0;
      run.lengths = [];
    }
  }
}

/**
 * The stored strings of a loaded file, each read from its bytes the first time it is asked for
 * and shared afterwards (the body that a record, its page and its entries share is one string).
 */
export class StringPool {
  readonly #bytes: Buffer;
  /** Byte offset and length in characters of each string, Latin-1 ones and the others. */
  readonly #at: [Float64Array, Float64Array];
  readonly #lengths: [Uint32Array, Uint32Array];
  readonly #read: [(string | undefined)[], (string | undefined)[]];

  /** Rejects chunks whose lengths do not add up to their sizes, or to `size` in all. */
  constructor(bytes: Buffer, chunks: Chunk[], size: number) {
    this.#bytes = bytes;
    const counts = [0, 0];
    for (const [latin1, , lengths] of chunks) (counts[latin1 ? 0 : 1] as number) += lengths.length;
    this.#at = [new Float64Array(counts[0] ?? 0), new Float64Array(counts[1] ?? 0)];
    this.#lengths = [new Uint32Array(counts[0] ?? 0), new Uint32Array(counts[1] ?? 0)];
    this.#read = [new Array(counts[0]), new Array(counts[1])];
    const next = [0, 0];
    let offset = 0;
    for (const [latin1, bytesOf, lengths] of chunks) {
      const kind = latin1 ? 0 : 1;
      const end = offset + bytesOf;
      for (const length of lengths) {
        const n = next[kind] as number;
        next[kind] = n + 1;
        (this.#at[kind] as Float64Array)[n] = offset;
        (this.#lengths[kind] as Uint32Array)[n] = length;
        offset += latin1 ? length : 2 * length;
      }
      if (offset !== end || !Number.isInteger(bytesOf)) throw new Error("malformed strings");
    }
    if (offset !== size) throw new Error("malformed strings");
  }

  /** The stored value `encoded` stands for. */
  value(encoded: Encoded): Value {
    if (typeof encoded === "string") return encoded;
    if (typeof encoded !== "number") return encoded[0];
    const kind = encoded >= 0 ? 0 : 1;
    const n = encoded >= 0 ? encoded : -1 - encoded;
    const read = this.#read[kind];
    const known = read[n];
    if (known !== undefined) return known;
    const at = this.#at[kind][n];
    const length = this.#lengths[kind][n];
    if (at === undefined || length === undefined || !Number.isInteger(n))
      throw new Error("malformed item");
    const text =
      kind === 0
        ? this.#bytes.toString("latin1", at, at + length)
        : this.#bytes.toString("utf16le", at, at + 2 * length);
    read[n] = text;
    return text;
  }
}
