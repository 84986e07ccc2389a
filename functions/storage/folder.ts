import { constants, type Dirent } from "node:fs";
import { type FileHandle, open, readdir, stat } from "node:fs/promises";
import { resolve, sep } from "node:path";
import { MAX_ARTICLE_BYTES } from "../articles/limits.ts";
import { ArticleError, NotFoundError, StoreUnavailableError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { type ArticleStore, isArticleKey, type StoredFile } from "./store.ts";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Error codes that mean "this file cannot be read", not "the folder is gone". */
const UNREADABLE = new Set(["EACCES", "EPERM", "ELOOP", "EISDIR", "ENXIO", "EOVERFLOW", "EINVAL"]);

/**
 * Articles in a local folder, scanned recursively (hidden files and folders skipped). One bad
 * entry never fails the scan: an unreadable subfolder, a name that is not UTF-8, a FIFO or a
 * device is skipped with one log line; a file that is too big or unreadable is reported by
 * read() as that article's error, never as the store's.
 */
export class FolderStore implements ArticleStore {
  readonly #root: string;
  readonly location: string;
  readonly #log: Logger | undefined;
  /** Problems already logged (one line each, not one per scan). */
  readonly #logged = new Set<string>();

  constructor(dir: string, { log }: { log?: Logger } = {}) {
    this.#root = resolve(dir);
    this.location = `folder ${this.#root}`;
    this.#log = log;
  }

  async list(): Promise<StoredFile[]> {
    const out: StoredFile[] = [];
    const seen = new Set<string>();
    // Folders as byte paths: a name that is not UTF-8 must be seen as such, not replaced by U+FFFD.
    const pending: { path: Buffer; key: string }[] = [{ path: Buffer.from(this.#root), key: "" }];
    for (let folder = pending.pop(); folder; folder = pending.pop()) {
      let entries: Dirent<Buffer>[];
      try {
        entries = await readdir(folder.path, { withFileTypes: true, encoding: "buffer" });
      } catch (error) {
        if (folder.key === "")
          throw new StoreUnavailableError(
            `cannot list ${this.#root}: ${(error as Error).message}`,
            5,
            { cause: error },
          );
        this.#warn(`folder:${folder.key}`, "folder skipped: cannot be listed", {
          folder: folder.key,
          reason: (error as NodeJS.ErrnoException).code ?? (error as Error).message,
        });
        continue;
      }
      const files: { path: Buffer; key: string }[] = [];
      for (const entry of entries) {
        let name: string;
        try {
          name = strictUtf8.decode(entry.name);
        } catch {
          this.#warn(
            `name:${folder.key}/${entry.name.toString("hex")}`,
            "file skipped: its name is not valid UTF-8",
            {
              folder: folder.key,
              name: entry.name.toString("latin1"),
              bytes: entry.name.toString("hex"),
            },
          );
          continue;
        }
        if (name.startsWith(".")) continue;
        const key = folder.key ? `${folder.key}/${name}` : name;
        const path = Buffer.concat([folder.path, Buffer.from(sep), entry.name]);
        if (entry.isDirectory()) pending.push({ path, key });
        else if (isArticleKey(name)) {
          if (entry.isFile()) files.push({ path, key });
          else
            this.#warn(`kind:${key}`, "file skipped", {
              file: key,
              reason: entry.isSymbolicLink()
                ? "symbolic links are not followed"
                : "not a regular file (a FIFO, device or socket)",
            });
        }
      }
      await Promise.all(
        files.map(async ({ path, key }) => {
          try {
            const info = await stat(path);
            if (seen.has(key)) return;
            seen.add(key);
            out.push({
              key,
              version: `${info.size}-${Math.floor(info.mtimeMs)}`,
              modified: info.mtime,
              size: info.size,
            });
          } catch {
            // Removed between the listing and the stat: it is simply not there any more.
          }
        }),
      );
    }
    return out;
  }

  /**
   * The bytes of one listed file: opened without blocking (a FIFO swapped in cannot hang the
   * read), checked on the open handle to be a regular file no larger than the article limit,
   * then read to the size fstat gave (a file growing meanwhile cannot make the read unbounded).
   */
  async read(key: string): Promise<Uint8Array> {
    const path = resolve(this.#root, key);
    if (!isArticleKey(key) || key.includes("\0") || !path.startsWith(this.#root + sep)) {
      throw new NotFoundError(`no article ${key}`);
    }
    let handle: FileHandle | undefined;
    try {
      handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
      const info = await handle.stat();
      if (!info.isFile())
        throw new ArticleError(key, ["not a regular file (a FIFO, device or socket)"]);
      if (info.size > MAX_ARTICLE_BYTES)
        throw new ArticleError(key, [`file is larger than ${MAX_ARTICLE_BYTES / 1024} KB`]);
      const buffer = Buffer.alloc(info.size);
      let filled = 0;
      while (filled < buffer.byteLength) {
        const { bytesRead } = await handle.read(buffer, filled, buffer.byteLength - filled, filled);
        if (bytesRead === 0) break; // truncated meanwhile: what is there is what it holds now
        filled += bytesRead;
      }
      return buffer.subarray(0, filled);
    } catch (error) {
      if (error instanceof ArticleError) throw error;
      const code = (error as NodeJS.ErrnoException).code ?? "";
      if (code === "ENOENT" || code === "ENOTDIR") throw new NotFoundError(`no article ${key}`);
      if (UNREADABLE.has(code)) throw new ArticleError(key, [`cannot be read (${code})`]);
      throw new StoreUnavailableError(`cannot read ${path}: ${(error as Error).message}`, 5, {
        cause: error,
      });
    } finally {
      await handle?.close().catch(() => {});
    }
  }

  #warn(id: string, message: string, fields: Record<string, unknown>): void {
    if (this.#logged.has(id)) return;
    this.#logged.add(id);
    this.#log?.warn(message, fields);
  }
}
