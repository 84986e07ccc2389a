import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import { FolderStore } from "./folder.ts";
import { S3Store } from "./s3.ts";
import type { ArticleStore } from "./store.ts";

/**
 * The store the configuration names: a bucket when CONTENT_BUCKET is set, else a folder (which
 * logs the entries it skips to `log`).
 */
export function openStore(config: Config, log?: Logger): ArticleStore {
  const store = config.store;
  if (store.kind === "folder") return new FolderStore(store.dir, log ? { log } : {});
  return new S3Store({
    bucket: store.bucket,
    prefix: store.prefix,
    ...(store.endpoint ? { endpoint: store.endpoint } : {}),
    ...(store.manifestKey ? { manifestKey: store.manifestKey } : {}),
  });
}
