/** One article file as the store lists it. `version` changes whenever the bytes change. */
export interface StoredFile {
  /** Path relative to the store root, always with `/` separators, e.g. `2024/hello.md`. */
  key: string;
  /** Opaque change marker: an S3 ETag, or size+mtime for a folder. */
  version: string;
  /** Last modification time of the stored object. */
  modified: Date;
  size: number;
}

/**
 * Where articles live. Backends only list and read bytes; parsing, caching of parsed
 * articles and every HTTP concern live in the core.
 */
export interface ArticleStore {
  /** Every `.md` and `.txt` file under the root, in any order. */
  list(): Promise<StoredFile[]>;
  /** The raw bytes of one listed file. Rejects with NotFoundError when it vanished. */
  read(key: string): Promise<Uint8Array>;
  /** Human-readable location for logs, e.g. `folder ./content` or `s3://bucket/articles/`. */
  readonly location: string;
}

/** True for keys the core parses as articles. */
export function isArticleKey(key: string): boolean {
  return /\.(md|txt)$/i.test(key);
}
