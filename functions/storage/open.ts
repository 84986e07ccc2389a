import type { Config } from "../config.ts";
import { FolderStore } from "./folder.ts";
import { S3Store } from "./s3.ts";
import type { ArticleStore } from "./store.ts";

/** The store the configuration names: a bucket when CONTENT_BUCKET is set, else a folder. */
export function openStore(config: Config): ArticleStore {
  const store = config.store;
  if (store.kind === "folder") return new FolderStore(store.dir);
  return new S3Store({
    bucket: store.bucket,
    prefix: store.prefix,
    ...(store.endpoint ? { endpoint: store.endpoint } : {}),
    ...(store.manifestKey ? { manifestKey: store.manifestKey } : {}),
  });
}
