/** A worker thread of the content check: compiles the articles the main thread reads. */
import { parentPort } from "node:worker_threads";
import type { StoredFile } from "../storage/store.ts";
import { checkArticle } from "./article.ts";

export interface CheckTask {
  id: number;
  file: StoredFile;
  bytes: Uint8Array;
  siteUrl: string;
}

parentPort?.on("message", (task: CheckTask) => {
  parentPort?.postMessage({
    id: task.id,
    result: checkArticle(task.file, task.bytes, task.siteUrl),
  });
});
