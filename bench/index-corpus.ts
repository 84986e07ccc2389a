/**
 * A synthetic archive for the index benchmarks: compiled articles (as the indexer would store
 * them) built into an in-memory index, then copied into DynamoDB (dynalite) with BatchWriteItem
 * — the indexer's own path would take hours at 100,000 articles on dynalite.
 */
import { articleId } from "../functions/articles/ids.ts";
import type { DynamoDb } from "../functions/aws/dynamodb.ts";
import { marshalItem } from "../functions/index/dynamodb.ts";
import type { CompiledArticle, IndexChange } from "../functions/index/index.ts";
import { MemoryBlobs } from "../functions/index/keys.ts";
import { type Item, MemoryTable } from "../functions/index/table.ts";
import { Index } from "../functions/index/write.ts";

export const NOW = Date.parse("2026-01-01T00:00:00Z");

/** Article `i`: hourly dates going back, 200 topics, 30 regions, 40 authors, a ~2 KB body. */
export function article(i: number, title = `Article ${i}`): CompiledArticle {
  const slug = `article-${i}`;
  return {
    meta: {
      key: `${2000 + (i % 25)}/${slug}.md`,
      version: "v1",
      modified: new Date(NOW - i * 60_000),
      id: articleId(slug),
      slug,
      title,
      date: new Date(NOW - i * 3_600_000),
      updated: new Date(NOW - i * 3_600_000),
      authors: [{ name: `Author ${i % 40}` }],
      tags: [`Topic ${i % 200}`, `Region ${i % 30}`],
      summary: `Summary of article ${i}.`,
      attachments: [],
      draft: false,
      format: "markdown",
    },
    html: `<p>${"Body text of a typical wire article. ".repeat(60)}</p>`,
  };
}

let seq = 0;
/** A put of `a` under the next sequencer. */
export const change = (a: CompiledArticle): IndexChange => ({
  kind: "put",
  key: a.meta.key,
  sequencer: (++seq).toString(16).padStart(16, "0"),
  version: `e${seq}`,
  seenAt: NOW,
  article: a,
});

/** The index of articles 0…size-1, built in memory. */
export async function memoryIndex(size: number): Promise<MemoryTable> {
  const memory = new MemoryTable();
  const built = new Index(memory, new MemoryBlobs(), { now: () => NOW });
  await built.applyMany(Array.from({ length: size }, (_, i) => change(article(i))));
  return memory;
}

/**
 * Copies every item into `tableName` (25 per BatchWriteItem, 16 calls in flight); `progress`
 * hears of each completed batch.
 */
export async function copyToDynamo(
  source: MemoryTable,
  client: DynamoDb,
  tableName: string,
  progress?: (done: number, total: number) => void,
): Promise<number> {
  const items = [...source.items()];
  const batches: Item[][] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < batches.length) {
        const batch = batches[next++] ?? [];
        let requests = batch.map((item) => ({ PutRequest: { Item: marshalItem(item) } }));
        while (requests.length) {
          const out = await client.call<{ UnprocessedItems?: Record<string, typeof requests> }>(
            "BatchWriteItem",
            { RequestItems: { [tableName]: requests } },
          );
          requests = out.UnprocessedItems?.[tableName] ?? [];
        }
        done += batch.length;
        progress?.(done, items.length);
      }
    }),
  );
  return items.length;
}
