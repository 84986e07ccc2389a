import { readdir, readFile, stat } from "node:fs/promises";
import { relative, resolve, sep } from "node:path";
import { NotFoundError, StoreUnavailableError } from "../errors.ts";
import { type ArticleStore, isArticleKey, type StoredFile } from "./store.ts";

/** Articles in a local folder, scanned recursively (hidden files and folders skipped). */
export class FolderStore implements ArticleStore {
  readonly #root: string;
  readonly location: string;

  constructor(dir: string) {
    this.#root = resolve(dir);
    this.location = `folder ${this.#root}`;
  }

  async list(): Promise<StoredFile[]> {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await readdir(this.#root, { recursive: true, withFileTypes: true });
    } catch (error) {
      throw new StoreUnavailableError(`cannot list ${this.#root}: ${(error as Error).message}`, 5, {
        cause: error,
      });
    }
    const files = entries.filter((e) => e.isFile() && isArticleKey(e.name));
    const out: StoredFile[] = [];
    await Promise.all(
      files.map(async (entry) => {
        const path = resolve(entry.parentPath, entry.name);
        const key = relative(this.#root, path).split(sep).join("/");
        if (key.split("/").some((part) => part.startsWith("."))) return;
        try {
          const info = await stat(path);
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
    return out;
  }

  async read(key: string): Promise<Uint8Array> {
    const path = resolve(this.#root, key);
    if (!isArticleKey(key) || key.includes("\0") || !path.startsWith(this.#root + sep)) {
      throw new NotFoundError(`no article ${key}`);
    }
    try {
      return await readFile(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "EISDIR" || code === "ENOTDIR")
        throw new NotFoundError(`no article ${key}`);
      throw new StoreUnavailableError(`cannot read ${path}: ${(error as Error).message}`, 5, {
        cause: error,
      });
    }
  }
}
