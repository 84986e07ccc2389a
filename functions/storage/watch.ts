import { watch } from "chokidar";
import type { Logger } from "../log.ts";

/** Quiet time after the last event before a change is reported (a burst is one change). */
const SETTLE_MS = 100;
/** A steady stream of events still reports a change at least this often. */
const MAX_WAIT_MS = 1_000;

/**
 * Calls `onChange` (debounced) after anything changes under `dir`. chokidar watches each folder
 * with its own inotify watch, so a burst of changes in one big folder costs one cheap event each
 * (Node 20's recursive fs.watch re-read the whole folder synchronously per event: 4,000 touched
 * files stalled the server for 36 s). Symlinks are not followed, so a loop cannot trap it; an
 * error is logged and watching goes on. `onReady`: called once every folder is watched (a change
 * made before may not be reported). Returns a function that stops watching.
 */
export function watchFolder(
  dir: string,
  onChange: () => void,
  log: Logger,
  onReady?: () => void,
): () => Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let first = 0;
  const fire = () => {
    timer = undefined;
    first = 0;
    onChange();
  };
  const changed = () => {
    const now = Date.now();
    first ||= now;
    clearTimeout(timer);
    timer = setTimeout(fire, Math.max(0, Math.min(SETTLE_MS, first + MAX_WAIT_MS - now)));
  };
  const reported = new Set<string>();
  const watcher = watch(dir, {
    ignoreInitial: true,
    followSymlinks: false,
    persistent: false,
    ignored: (path) => /(^|[/\\])\.[^/\\]/.test(path.slice(dir.length)),
  });
  watcher.on("all", changed);
  if (onReady) watcher.once("ready", onReady);
  watcher.on("error", (error) => {
    const reason = error instanceof Error ? error.message : String(error);
    if (reported.has(reason)) return;
    reported.add(reason);
    log.warn("content watcher error; changes there show after REVALIDATE_SECONDS", { reason });
  });
  return async () => {
    clearTimeout(timer);
    await watcher.close();
  };
}
