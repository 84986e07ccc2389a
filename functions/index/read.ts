import type {
  IndexedArticle,
  IndexFailure,
  IndexPage,
  IndexRecord,
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
  SUMMARIES,
} from "./keys.ts";
import type { Item, Table } from "./table.ts";

/** The read side of the index: what the feed function needs, and nothing that writes. */
export class IndexReader {
  constructor(
    protected readonly table: Table,
    protected readonly blobs: BlobStore,
  ) {}

  async page(scope: ScopeKey, limit: number, before?: PageCursor): Promise<IndexPage> {
    const items = await this.table.query(entryPartition(scope), {
      limit: limit + 1,
      ...(before ? { after: cursorKey(before) } : {}),
    });
    const shown = items.slice(0, limit);
    return {
      items: await Promise.all(
        shown.map((item) => resolveEntry(decodeEntry(String(item.d)), this.blobs)),
      ),
      more: items.length > limit,
    };
  }

  async article(slug: string): Promise<IndexedArticle | undefined> {
    const item = await this.table.get({ pk: PAGES, sk: slug });
    return item ? resolveEntry(decodeEntry(String(item.d)), this.blobs) : undefined;
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
