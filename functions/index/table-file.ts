/**
 * The local index kept across restarts of `npm start`: a MemoryTable and its blobs in one file
 * (e.g. `.dateline/index-v1.bin` beside the state file), so a restart compiles only the files
 * whose listed version changed. Reconciliation still compares every listed version with the
 * loaded records: the file is a head start, never the truth about the folder.
 *
 * Layout: [strings][skeleton JSON][trailer JSON line]. Long strings (bodies, encoded entries)
 * are stored once each as raw UTF-8, however many items share them, so loading slices bytes
 * instead of JSON-unescaping hundreds of megabytes, and equal strings are shared in memory
 * again after loading. The trailer, written last, names the format, the fingerprint of what
 * built the index and a CRC of everything before it: a truncated, corrupt or foreign file is
 * logged and ignored (a full rebuild), never half-loaded.
 */
import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { crc32 } from "node:zlib";
import type { Logger } from "../log.ts";
import { MemoryBlobs } from "./keys.ts";
import { type Item, MemoryTable, type Value } from "./table.ts";

const FORMAT = "dateline-index";
export const FORMAT_VERSION = 1;
const VERSION = FORMAT_VERSION;
/** Strings at least this long are stored once, as raw bytes; shorter ones stay in the JSON. */
const INTERN_CHARS = 48;
/** Bytes of strings per chunk: each chunk is decoded at once and its strings sliced from it. */
const CHUNK_BYTES = 16 << 20;
/** Items encoded between yields to the event loop (a save runs beside serving). */
const ITEMS_PER_TURN = 4_096;
/** The trailer is one short JSON line; anything longer is not this format. */
const MAX_TRAILER = 4_096;

/**
 * A value as stored: a short string itself; a long one by reference (n >= 0: the n-th Latin-1
 * string, n < 0: the (-1 - n)-th other string); anything else as [value].
 */
type Encoded = string | number | [Value];

interface Trailer {
  format: typeof FORMAT;
  version: typeof VERSION;
  fingerprint: string;
  stringBytes: number;
  skeletonBytes: number;
  crc: number;
  items: number;
}

/**
 * A run of strings of one kind, each character in one byte (Latin-1: V8's one-byte strings) or
 * in two (UTF-16LE): fixed widths, so decoding is a copy, not a UTF-8 decode.
 */
type Chunk = [latin1: boolean, bytes: number, lengths: number[]];
/** Any character outside Latin-1. */
const WIDE = /[\u0100-\uffff]/;

interface Skeleton {
  chunks: Chunk[];
  /** [pk, attribute names…] shared by the items that have them. */
  shapes: string[][];
  /** Each item as [shape, sk, values in the shape's order…]. */
  items: Encoded[][];
  blobs: [Encoded, Encoded][];
}

/** The blob store beside a local table (large bodies), with the names it holds, for saving. */
export class LocalBlobs extends MemoryBlobs {
  readonly #names = new Set<string>();
  override async put(name: string, text: string): Promise<void> {
    this.#names.add(name);
    await super.put(name, text);
  }
  /** The blobs; a name's text never changes (names are content hashes). */
  async entries(): Promise<[string, string][]> {
    const names = [...this.#names];
    return Promise.all(names.map(async (name) => [name, await this.get(name)] as [string, string]));
  }
}

export interface LoadedTable {
  table: MemoryTable;
  blobs: LocalBlobs;
}

/**
 * Writes `table` and `blobs` to `path` atomically: a temporary file in the same folder, synced,
 * then renamed over the old one, so a crash leaves the old file or the new one. The items are
 * taken at the call, before the first await (the table replaces items, never changes them): call
 * it when no index write is in flight. Encoding yields to the event loop as it goes.
 */
export async function saveTable(
  path: string,
  fingerprint: string,
  table: MemoryTable,
  blobs: LocalBlobs,
): Promise<void> {
  const items = [...table.items()];
  const stored = blobs.entries();
  await mkdir(dirname(path), { recursive: true });
  const temporary = temporaryOf(path, process.pid);
  const file = await open(temporary, "w");
  try {
    let crc = 0;
    let written = 0;
    const emit = async (data: Buffer) => {
      crc = crc32(data, crc);
      written += data.byteLength;
      await file.write(data);
    };
    const strings = new StringWriter(emit);
    const shapes = new Map<string, number>();
    const parts: string[] = [];
    for (let i = 0; i < items.length; i += ITEMS_PER_TURN) {
      const encoded: string[] = [];
      for (const item of items.slice(i, i + ITEMS_PER_TURN)) {
        const names = Object.keys(item).filter((name) => name !== "pk" && name !== "sk");
        const shape = JSON.stringify([item.pk, ...names]);
        let id = shapes.get(shape);
        if (id === undefined) {
          id = shapes.size;
          shapes.set(shape, id);
        }
        const out: Encoded[] = [id, strings.encode(item.sk)];
        for (const name of names) out.push(strings.encode(item[name] as Value));
        encoded.push(JSON.stringify(out));
      }
      parts.push(encoded.join(","));
      await strings.flush(false);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const blobPart = (await stored).map(([name, text]) => [
      strings.encode(name),
      strings.encode(text),
    ]);
    await strings.flush(true);
    const stringBytes = written;
    await emit(
      Buffer.from(
        `{"chunks":${JSON.stringify(strings.chunks)},"shapes":[${[...shapes.keys()].join(",")}],` +
          `"items":[${parts.join(",")}],"blobs":${JSON.stringify(blobPart)}}`,
      ),
    );
    const trailer: Trailer = {
      format: FORMAT,
      version: VERSION,
      fingerprint,
      stringBytes,
      skeletonBytes: written - stringBytes,
      crc,
      items: items.length,
    };
    await file.write(`\n${JSON.stringify(trailer)}\n`);
    await file.sync();
  } catch (error) {
    await file.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await file.close();
  await rename(temporary, path);
}

/** Where a save by process `pid` writes before its rename. */
function temporaryOf(path: string, pid: number): string {
  return `${path}.${pid}.tmp`;
}

/**
 * Removes the temporary files that saves of `path` left behind when their process was killed
 * (hundreds of MB each at 100,000 articles). A temporary file of a process still running (another
 * server on the same state folder, mid-save) is left alone.
 */
export async function removeInterruptedSaves(path: string): Promise<string[]> {
  const prefix = `${basename(path)}.`;
  let names: string[];
  try {
    names = await readdir(dirname(path));
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = Number(/^(\d+)\.tmp$/.exec(name.slice(prefix.length))?.[1]);
    if (!name.startsWith(prefix) || !Number.isInteger(pid) || pid === process.pid || running(pid))
      continue;
    await rm(join(dirname(path), name), { force: true });
    removed.push(name);
  }
  return removed;
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

interface Run {
  latin1: boolean;
  count: number;
  buffers: Buffer[];
  bytes: number;
  lengths: number[];
}

/** Stores each long string once, in chunks of one kind, and hands out references. */
class StringWriter {
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
 * The table and blobs saved at `path`, loaded into `into` (default: new, empty ones), or
 * undefined when there is none usable: missing (silently), or unreadable, truncated, corrupt,
 * of another format version or built with another fingerprint (logged; the caller rebuilds from
 * the folder). Nothing is put into `into` unless the whole file is good.
 */
export async function loadTable(
  path: string,
  fingerprint: string,
  log: Logger,
  into: LoadedTable = { table: new MemoryTable(), blobs: new LocalBlobs() },
): Promise<LoadedTable | undefined> {
  let trailer: Trailer;
  try {
    trailer = await readTrailer(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "ENOTDIR")
      log.warn("index file unusable; rebuilding the index", {
        file: path,
        reason: (error as Error).message,
      });
    return undefined;
  }
  if (trailer.fingerprint !== fingerprint) {
    log.info("index file built by other code or settings; rebuilding the index", { file: path });
    return undefined;
  }
  try {
    return await decode(await readFile(path), trailer, into);
  } catch (error) {
    log.warn("index file unusable; rebuilding the index", {
      file: path,
      reason: (error as Error).message,
    });
    return undefined;
  }
}

/** The trailer of the file at `path`, checked against the file's size. */
async function readTrailer(path: string): Promise<Trailer> {
  const file = await open(path, "r");
  try {
    const { size } = await file.stat();
    const length = Math.min(size, MAX_TRAILER);
    const tail = Buffer.alloc(length);
    await file.read(tail, 0, length, size - length);
    // Bytes, not text: the tail may begin inside a multi-byte character.
    const start = tail.lastIndexOf(0x0a, length - 2);
    if (tail[length - 1] !== 0x0a || start < 0) throw new Error("no trailer (truncated?)");
    const trailer = JSON.parse(tail.toString("utf8", start + 1)) as Partial<Trailer>;
    if (trailer.format !== FORMAT) throw new Error("not an index file");
    if (trailer.version !== VERSION) throw new Error(`format version ${trailer.version}`);
    const body = size - (length - start);
    if (
      typeof trailer.fingerprint !== "string" ||
      typeof trailer.crc !== "number" ||
      trailer.stringBytes === undefined ||
      trailer.skeletonBytes === undefined ||
      trailer.stringBytes + trailer.skeletonBytes !== body
    )
      throw new Error("size does not match its trailer (truncated?)");
    return trailer as Trailer;
  } finally {
    await file.close();
  }
}

async function decode(bytes: Buffer, trailer: Trailer, into: LoadedTable): Promise<LoadedTable> {
  const bodyBytes = trailer.stringBytes + trailer.skeletonBytes;
  if (crc32(bytes.subarray(0, bodyBytes)) !== trailer.crc) throw new Error("checksum mismatch");
  const skeleton = JSON.parse(
    bytes.toString("utf8", trailer.stringBytes, bodyBytes),
  ) as Partial<Skeleton>;
  const { chunks, shapes, items, blobs: blobList } = skeleton;
  if (![chunks, shapes, items, blobList].every(Array.isArray)) throw new Error("malformed file");
  const latin1: string[] = [];
  const wide: string[] = [];
  let offset = 0;
  // One decode per chunk, then slices of it (no copies): the bodies of 100,000 articles load in
  // a few dozen decodes instead of one per string.
  for (const [isLatin1, size, lengths] of chunks as Chunk[]) {
    const text = bytes.toString(isLatin1 ? "latin1" : "utf16le", offset, offset + size);
    offset += size;
    const into = isLatin1 ? latin1 : wide;
    let at = 0;
    for (const length of lengths) {
      into.push(text.slice(at, at + length));
      at += length;
    }
    if (at !== text.length) throw new Error("malformed strings");
  }
  if (offset !== trailer.stringBytes || (items as unknown[]).length !== trailer.items)
    throw new Error("malformed file");
  const value = (encoded: Encoded): Value => {
    if (typeof encoded === "string") return encoded;
    if (typeof encoded === "number") {
      const text = encoded >= 0 ? latin1[encoded] : wide[-1 - encoded];
      if (text === undefined) throw new Error("malformed item");
      return text;
    }
    return encoded[0];
  };
  const decoded = (items as Encoded[][]).map((encoded) => {
    const shape = (shapes as string[][])[encoded[0] as number];
    if (!shape || shape.length !== encoded.length - 1) throw new Error("malformed item");
    const item: Item = { pk: shape[0] as string, sk: String(value(encoded[1] as Encoded)) };
    for (let i = 1; i < shape.length; i++)
      item[shape[i] as string] = value(encoded[i + 1] as Encoded);
    return item;
  });
  const blobs = (blobList as [Encoded, Encoded][]).map(([name, text]) => [
    String(value(name)),
    String(value(text)),
  ]);
  // Everything decoded: only now is the target touched.
  into.table.load(decoded);
  for (const [name, text] of blobs) await into.blobs.put(name as string, text as string);
  return into;
}
