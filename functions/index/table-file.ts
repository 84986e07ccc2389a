/**
 * The local index kept across restarts of `npm start`: a MemoryTable and its blobs in one file
 * (e.g. `.dateline/index.bin` beside the state file), so a restart compiles only the files
 * whose listed version changed. Reconciliation still compares every listed version with the
 * loaded records: the file is a head start, never the truth about the folder.
 *
 * Layout: [strings][one segment per partition][directory JSON][trailer JSON line]. Long strings
 * (bodies, encoded entries) are stored once each as raw bytes, however many items share them
 * (index/table-strings.ts). Each partition's items are one JSON segment, in sort-key order. A
 * load checks the whole file, then reads only the directory: a partition is parsed at its first
 * read and a string read from its bytes when an item asks for it, so serving a first feed reads
 * the few items it shows, not 100,000 bodies. The trailer, written last, names the format, the
 * fingerprint of what built the index and a CRC of everything before it: a truncated, corrupt or
 * foreign file is logged and ignored (a full rebuild), never half-loaded.
 */
import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { crc32 } from "node:zlib";
import type { Logger } from "../log.ts";
import { MemoryBlobs } from "./keys.ts";
import { type FrozenPartition, type Item, MemoryTable, type Value } from "./table.ts";
import { type Chunk, type Encoded, StringPool, StringWriter } from "./table-strings.ts";

const FORMAT = "dateline-index";
export const FORMAT_VERSION = 2;
const VERSION = FORMAT_VERSION;
/** Items encoded between yields to the event loop (a save runs beside serving). */
const ITEMS_PER_TURN = 4_096;
/** The trailer is one short JSON line; anything longer is not this format. */
const MAX_TRAILER = 4_096;

interface Trailer {
  format: typeof FORMAT;
  version: typeof VERSION;
  fingerprint: string;
  stringBytes: number;
  segmentBytes: number;
  directoryBytes: number;
  crc: number;
  items: number;
}

/** A partition's segment: attribute names shared by its items, each item in sort-key order. */
interface Segment {
  shapes: string[][];
  /** Each item as [shape, sk, values in the shape's order…]. */
  items: Encoded[][];
}

interface Directory {
  chunks: Chunk[];
  /** Each partition's key, segment size in bytes (segments follow each other) and item count. */
  partitions: [pk: string, bytes: number, items: number][];
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
 * then renamed over the old one, so a crash leaves the old file or the new one. The table is
 * taken as it is at the call (a snapshot: later writes do not change what is saved); encoding
 * yields to the event loop as it goes. Call it when no index write is in flight.
 */
export async function saveTable(
  path: string,
  fingerprint: string,
  table: MemoryTable,
  blobs: LocalBlobs,
): Promise<void> {
  const partitions = table.snapshot();
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
    // Segments are kept until the strings are written (they come first in the file).
    const segments: Buffer[] = [];
    const directory: Directory = { chunks: strings.chunks, partitions: [], blobs: [] };
    let turn = 0;
    let count = 0;
    for (const [pk, partition] of partitions) {
      const shapes = new Map<string, number>();
      const encoded: string[] = [];
      for (let i = 0; i < partition.keys.length; i++) {
        const item = partition.item(i);
        const names = Object.keys(item).filter((name) => name !== "pk" && name !== "sk");
        const shape = JSON.stringify(names);
        let id = shapes.get(shape);
        if (id === undefined) {
          id = shapes.size;
          shapes.set(shape, id);
        }
        const out: Encoded[] = [id, strings.encode(item.sk)];
        for (const name of names) out.push(strings.encode(item[name] as Value));
        encoded.push(JSON.stringify(out));
        if (++turn % ITEMS_PER_TURN === 0) {
          await strings.flush(false);
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
      const segment = Buffer.from(
        `{"shapes":[${[...shapes.keys()].join(",")}],"items":[${encoded.join(",")}]}`,
      );
      segments.push(segment);
      directory.partitions.push([pk, segment.byteLength, encoded.length]);
      count += encoded.length;
    }
    directory.blobs = (await stored).map(([name, text]) => [
      strings.encode(name),
      strings.encode(text),
    ]);
    await strings.flush(true);
    const stringBytes = written;
    for (const segment of segments) await emit(segment);
    const segmentBytes = written - stringBytes;
    await emit(Buffer.from(JSON.stringify(directory)));
    const trailer: Trailer = {
      format: FORMAT,
      version: VERSION,
      fingerprint,
      stringBytes,
      segmentBytes,
      directoryBytes: written - stringBytes - segmentBytes,
      crc,
      items: count,
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
    const { stringBytes, segmentBytes, directoryBytes } = trailer;
    if (
      typeof trailer.fingerprint !== "string" ||
      typeof trailer.crc !== "number" ||
      ![stringBytes, segmentBytes, directoryBytes].every(
        (n) => typeof n === "number" && Number.isInteger(n) && n >= 0,
      ) ||
      (stringBytes as number) + (segmentBytes as number) + (directoryBytes as number) !== body
    )
      throw new Error("size does not match its trailer (truncated?)");
    return trailer as Trailer;
  } finally {
    await file.close();
  }
}

async function decode(bytes: Buffer, trailer: Trailer, into: LoadedTable): Promise<LoadedTable> {
  const { stringBytes, segmentBytes, directoryBytes } = trailer;
  const bodyBytes = stringBytes + segmentBytes + directoryBytes;
  if (crc32(bytes.subarray(0, bodyBytes)) !== trailer.crc) throw new Error("checksum mismatch");
  const directory = JSON.parse(
    bytes.toString("utf8", stringBytes + segmentBytes, bodyBytes),
  ) as Partial<Directory>;
  const { chunks, partitions, blobs: blobList } = directory;
  if (![chunks, partitions, blobList].every(Array.isArray)) throw new Error("malformed file");
  const strings = new StringPool(bytes, chunks as Chunk[], stringBytes);
  let offset = stringBytes;
  let count = 0;
  const opened: [string, () => FrozenPartition][] = [];
  for (const [pk, size, items] of partitions as Directory["partitions"]) {
    if (typeof pk !== "string" || !Number.isInteger(size) || !Number.isInteger(items))
      throw new Error("malformed file");
    const at = offset;
    opened.push([pk, () => openSegment(pk, bytes.subarray(at, at + size), items, strings)]);
    offset += size;
    count += items;
  }
  if (offset !== stringBytes + segmentBytes || count !== trailer.items)
    throw new Error("malformed file");
  const blobs = (blobList as [Encoded, Encoded][]).map(([name, text]) => [
    String(strings.value(name)),
    String(strings.value(text)),
  ]);
  // Everything checked: only now is the target touched.
  for (const [pk, openPartition] of opened) into.table.loadFrozen(pk, openPartition);
  for (const [name, text] of blobs) await into.blobs.put(name as string, text as string);
  return into;
}

/** One partition's items, made on demand from its segment (parsed now, at its first use). */
function openSegment(
  pk: string,
  bytes: Buffer,
  count: number,
  strings: StringPool,
): FrozenPartition {
  const { shapes, items } = JSON.parse(bytes.toString("utf8")) as Segment;
  if (!Array.isArray(shapes) || !Array.isArray(items) || items.length !== count)
    throw new Error(`malformed partition ${pk}`);
  const keys = items.map((encoded) => String(strings.value(encoded[1] as Encoded)));
  return {
    keys,
    item(index, attributes) {
      const encoded = items[index] as Encoded[];
      const shape = shapes[encoded[0] as number] as string[];
      const item: Item = { pk, sk: keys[index] as string };
      for (let i = 0; i < shape.length; i++) {
        const name = shape[i] as string;
        if (!attributes || attributes.includes(name))
          item[name] = strings.value(encoded[i + 2] as Encoded);
      }
      return item;
    },
  };
}
