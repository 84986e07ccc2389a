/**
 * Builds one cached benchmark corpus (run by bench/corpus-cache.ts in its own process, so the
 * benchmark's dynalite never carries the build's heap): the index of `size` synthetic articles
 * built in memory (bench/index-corpus.ts), then loaded with parallel BatchWriteItem calls into
 * dynalite on the LevelDB directory `<dir>/leveldb`; `<dir>/corpus.json` says what it holds.
 *
 *   node --import tsx bench/corpus-build.ts <size> <dir> <table>
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { DynamoDb } from "../functions/aws/dynamodb.ts";
import { DYNALITE_CREDENTIALS, startDynalite } from "../tests/support/dynalite.ts";
import { copyToDynamo, memoryIndex } from "./index-corpus.ts";

export interface CorpusInfo {
  size: number;
  table: string;
  items: number;
  buildMs: number;
  loadMs: number;
}

const [sizeArg, dir, table] = process.argv.slice(2);
if (!sizeArg || !dir || !table) throw new Error("usage: corpus-build.ts <size> <dir> <table>");
const size = Number(sizeArg);
const log = (text: string) => process.stderr.write(`  [corpus ${size}] ${text}\n`);

const started = performance.now();
const memory = await memoryIndex(size);
const buildMs = performance.now() - started;
log(`index built in memory in ${(buildMs / 1000).toFixed(1)} s; loading into dynalite`);

const db = await startDynalite({ path: join(dir, "leveldb") });
try {
  await db.table(table);
  // The bulk load's own client: a loaded machine may keep a batch waiting past the default 3 s.
  const client = new DynamoDb({
    endpoint: {
      url: db.endpoint,
      region: "us-east-1",
      service: "dynamodb",
      credentials: DYNALITE_CREDENTIALS,
      timeoutMs: 120_000,
    },
    maxAttempts: 5,
  });
  const loadStarted = performance.now();
  let reported = 0;
  const items = await copyToDynamo(memory, client, table, (done, total) => {
    if (done - reported < 100_000 && done < total) return;
    reported = done;
    const s = (performance.now() - loadStarted) / 1000;
    log(`${done.toLocaleString("en")} / ${total.toLocaleString("en")} items (${s.toFixed(0)} s)`);
  });
  const loadMs = performance.now() - loadStarted;
  const info: CorpusInfo = { size, table, items, buildMs, loadMs };
  writeFileSync(join(dir, "corpus.json"), `${JSON.stringify(info)}\n`);
} finally {
  // Closes the LevelDB too: the directory is complete once this resolves.
  await db.stop();
}
