/** A person credited on an article or a feed. */
export interface Person {
  name: string;
  email?: string;
  url?: string;
}

/** A file attached to an article (podcast audio, a PDF, an image). */
export interface Attachment {
  url: string;
  type: string;
  size?: number;
  title?: string;
  durationSeconds?: number;
}

/** Everything about an article except its body: what feeds, indexes and manifests need. */
export interface ArticleMeta {
  /** Store key of the source file, e.g. `2024/hello.md`. */
  key: string;
  /** Store version of the source file (ETag or size+mtime). */
  version: string;
  /** When the stored file last changed. */
  modified: Date;
  /** Permanent, globally unique id (`urn:uuid:`), derived from the slug or set in front matter. */
  id: string;
  slug: string;
  title: string;
  date: Date;
  updated: Date;
  authors: Person[];
  tags: string[];
  summary: string;
  image?: string;
  attachments: Attachment[];
  lang?: string;
  draft: boolean;
  format: "markdown" | "wire";
  /** Hash of the stored file's bytes (set by whoever read them). */
  hash?: string;
  /** When the content last changed without a newer `updated:` (index/record.ts revisedOf). */
  revised?: Date;
}

/** A parsed article: metadata plus its body source (Markdown, or wire-format paragraphs). */
export interface Article extends ArticleMeta {
  body: string;
  /** Wire format only: `PLACE (SOURCE)` shown before the first paragraph. */
  dateline?: string;
}
