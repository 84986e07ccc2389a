import { afterAll, beforeAll } from "vitest";
import type { ArticleMeta } from "../../functions/articles/article.ts";
import { articleId } from "../../functions/articles/ids.ts";
import type { CompiledArticle, IndexChange } from "../../functions/index/index.ts";
import { MemoryTable, type Table } from "../../functions/index/table.ts";
import { meta } from "../fixtures/index.ts";
import { type Dynalite, startDynalite } from "../support/dynalite.ts";

/** A compiled article: the meta fixture with the slug's own id, plus overrides. */
export function compiled(
  key: string,
  overrides: Partial<ArticleMeta> = {},
  html?: string,
): CompiledArticle {
  const slug = overrides.slug ?? key.replace(/\.md$/, "").replace(/[^a-z0-9]+/g, "-");
  return {
    meta: meta({ key, slug, id: articleId(slug), title: `Title of ${slug}`, ...overrides }),
    html: html ?? `<p>Body of ${slug}.</p>`,
  };
}

let counter = 0;
/** A put event for `article`; `sequencer` defaults to an increasing hex value. */
export function put(
  article: CompiledArticle,
  options: { sequencer?: string; version?: string; seenAt?: number } = {},
): IndexChange {
  return {
    kind: "put",
    key: article.meta.key,
    sequencer: options.sequencer ?? (++counter).toString(16).padStart(8, "0"),
    version: options.version ?? `v${counter}`,
    seenAt: options.seenAt ?? Date.parse("2024-06-01T00:00:00Z"),
    article,
  };
}

export function remove(
  key: string,
  sequencer: string,
  seenAt = Date.parse("2024-06-02T00:00:00Z"),
): IndexChange {
  return { kind: "delete", key, sequencer, seenAt };
}

/** Newest-first date `n` days after 2024-01-01. */
export function day(n: number): Date {
  return new Date(Date.UTC(2024, 0, 1 + n, 12));
}

/**
 * Both tables, for describe.each: in memory, and DynamoDB (dynalite on 127.0.0.1, started for
 * the calling file); each call of a maker gives a fresh, empty table.
 */
export function tableBackends(prefix: string): [string, () => Promise<Table>][] {
  let db: Dynalite | undefined;
  let tables = 0;
  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(async () => {
    await db?.stop();
  });
  return [
    ["memory", async () => new MemoryTable()],
    ["dynamodb", async () => (db as Dynalite).table(`${prefix}-${++tables}`)],
  ];
}
