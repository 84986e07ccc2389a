import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import { openBucket } from "./bucket.ts";
import { FolderStore } from "./folder.ts";
import type { ArticleStore } from "./store.ts";

/**
 * The store the configuration names: a bucket when CONTENT_BUCKET is set (AWS_ENDPOINT_URL_S3
 * for an S3-compatible server, credentials and region from the environment), else a folder
 * (which logs the entries it skips to `log`).
 */
export function openStore(config: Config, log?: Logger): ArticleStore {
  const store = config.store;
  if (store.kind === "folder") return new FolderStore(store.dir, log ? { log } : {});
  return openBucket({
    bucket: store.bucket,
    prefix: store.prefix,
    ...(store.endpoint ? { endpoint: store.endpoint } : {}),
  });
}
