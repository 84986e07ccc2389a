import type { ArticleMeta } from "../articles/article.ts";

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
  /**
   * Optional: every article's metadata from an index kept beside the articles (the S3 manifest),
   * so a catalog need not list and read them all. Resolves undefined when there is no index
   * (the catalog then lists); the same object again while the index is unchanged. Rejects with
   * StoreUnavailableError when the store cannot be reached, with another error when the index
   * is unusable.
   */
  index?(): Promise<ArticleIndex | undefined>;
}

/** An article as an index records it: parsed metadata, or why the file cannot be served. */
export type IndexedArticle =
  | { key: string; version: string; meta: ArticleMeta }
  | { key: string; version: string; modified: Date; error: string };

/** A store's index of its articles (see ArticleStore.index). */
export interface ArticleIndex {
  entries: IndexedArticle[];
}

/** True for keys the core parses as articles. */
export function isArticleKey(key: string): boolean {
  return /\.(md|txt)$/i.test(key);
}
