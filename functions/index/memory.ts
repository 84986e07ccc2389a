import type { ArticleIndex } from "./index.ts";
import { MemoryBlobs } from "./keys.ts";
import { MemoryTable } from "./table.ts";
import { Index, type IndexOptions } from "./write.ts";

/** The index held in memory: `npm start` (a folder, no AWS) and the tests' reference. */
export function createMemoryIndex(options: IndexOptions = {}): ArticleIndex {
  return new Index(new MemoryTable(), new MemoryBlobs(), options);
}
