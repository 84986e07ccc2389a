import type { ArticleMeta } from "../articles/article.ts";
import type {
  IndexedArticle,
  IndexFailure,
  IndexPage,
  IndexRecord,
  IndexView,
  PageCursor,
  ScopeKey,
  ScopeSummary,
} from "./index.ts";
import {
  ARTICLES,
  type BlobStore,
  cursorKey,
  decodeEntry,
  entryPartition,
  FAILURES,
  PAGES,
  resolveEntry,
  SCHEDULE,
  type StoredArticle,
  SUMMARIES,
} from "./keys.ts";
import type { Item, Table } from "./table.ts";

/** The read side of the index: what the feed function needs, and nothing that writes. */
export class IndexReader implements IndexView {
  constructor(
    protected readonly table: Table,
    protected readonly blobs: BlobStore,
  ) {}

  async page(scope: ScopeKey, limit: number, before?: PageCursor): Promise<IndexPage> {
    const { items, more } = await this.#entries(scope, limit, before);
    return { items: await Promise.all(items.map((item) => this.#resolve(item))), more };
  }

  async metas(
    scope: ScopeKey,
    limit: number,
    before?: PageCursor,
  ): Promise<{ items: ArticleMeta[]; more: boolean }> {
    const { items, more } = await this.#entries(scope, limit, before, ["d"]);
    return { items: items.map((item) => decodeEntry(String(item.d)).meta), more };
  }

  async above(scope: ScopeKey, cursor: PageCursor): Promise<ArticleMeta | undefined> {
    const [item] = await this.table.query(entryPartition(scope), {
      upTo: cursorKey(cursor),
      descending: true,
      limit: 1,
      attributes: ["d"],
    });
    return item ? decodeEntry(String(item.d)).meta : undefined;
  }

  async article(slug: string): Promise<IndexedArticle | undefined> {
    const item = await this.table.get({ pk: PAGES, sk: slug });
    return item ? this.#resolve(item) : undefined;
  }

  /** The earliest date (ms) an article is scheduled to go live at. */
  async nextRelease(): Promise<number | undefined> {
    const [first] = await this.table.query(SCHEDULE, { limit: 1, attributes: ["key"] });
    // Schedule keys start with timeKey(date): the date is read back from the key.
    return first ? Number(first.sk.slice(0, first.sk.indexOf("|"))) - 1e15 : undefined;
  }

  /** One query of limit + 1 entries: the extra one says whether older ones follow. */
  async #entries(scope: ScopeKey, limit: number, before?: PageCursor, attributes?: string[]) {
    const items = await this.table.query(entryPartition(scope), {
      limit: limit + 1,
      ...(before ? { after: cursorKey(before) } : {}),
      ...(attributes ? { attributes } : {}),
    });
    return { items: items.slice(0, limit), more: items.length > limit };
  }

  #resolve(item: Item): Promise<IndexedArticle> {
    const stored: StoredArticle = { d: String(item.d) };
    if (item.h !== undefined) stored.h = String(item.h);
    return resolveEntry(stored, this.blobs);
  }

  async summary(scope: ScopeKey): Promise<ScopeSummary | undefined> {
    const item = await this.table.get({ pk: SUMMARIES, sk: scope });
    return item?.live ? summaryOf(item) : undefined;
  }

  async scopes(): Promise<ScopeSummary[]> {
    const items = await this.table.query(SUMMARIES);
    return items.filter((item) => item.live).map(summaryOf);
  }

  async failures(): Promise<IndexFailure[]> {
    return (await this.table.query(FAILURES)).map((item) => ({
      key: item.sk,
      version: String(item.version),
      reasons: JSON.parse(String(item.reasons)) as string[],
      seenAt: Number(item.seenAt),
    }));
  }

  async records(): Promise<IndexRecord[]> {
    const items = await this.table.query(ARTICLES, {
      attributes: ["version", "seq", "state"],
    });
    return items.map((item) => ({
      key: item.sk,
      version: String(item.version ?? ""),
      sequencer: String(item.seq ?? ""),
      state: item.state as IndexRecord["state"],
    }));
  }
}

function summaryOf(item: Item): ScopeSummary {
  return {
    key: item.sk as ScopeKey,
    name: String(item.name ?? ""),
    changed: Number(item.changed ?? 0),
    revision: Number(item.gen ?? 0),
    newest: { date: Number(item.newestDate ?? 0), updated: Number(item.newestUpdated ?? 0) },
  };
}
