/** A worker thread of compilePool: compiles the articles the main thread reads. */
import type { StoredFile } from "../storage/store.ts";
import { serveTasks } from "../workers/serve.ts";
import { compileArticle } from "./compile.ts";
import type { CompileOptions } from "./compiled.ts";

export interface CompileTask {
  file: StoredFile;
  bytes: Uint8Array;
  options: CompileOptions;
}

serveTasks((task: CompileTask) => compileArticle(task.file, task.bytes, task.options));
