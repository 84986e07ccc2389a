/** A worker thread of the content check: compiles the articles the main thread reads. */
import type { StoredFile } from "../storage/store.ts";
import { serveTasks } from "../workers/serve.ts";
import { checkArticle } from "./article.ts";

export interface CheckTask {
  file: StoredFile;
  bytes: Uint8Array;
  siteUrl: string;
}

serveTasks((task: CheckTask) => checkArticle(task.file, task.bytes, task.siteUrl));
