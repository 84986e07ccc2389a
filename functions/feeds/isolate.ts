import type { Logger } from "../log.ts";
import type { FeedDocument } from "./model.ts";

/**
 * Renders a feed document; if rendering throws, finds the entries that make it throw (each
 * rendered alone), logs each with its article URL and the reason, and renders the rest. A
 * failure that is not any entry's (the document itself) still throws: that is a bug, not content.
 */
export function renderIsolated(
  doc: FeedDocument,
  render: (doc: FeedDocument) => string,
  log: Logger,
): string {
  try {
    return render(doc);
  } catch (error) {
    const good = doc.entries.filter((entry) => {
      try {
        render({ ...doc, entries: [entry] });
        return true;
      } catch (entryError) {
        log.error("feed entry skipped", {
          article: entry.url,
          reason: entryError instanceof Error ? entryError.message : String(entryError),
        });
        return false;
      }
    });
    if (good.length === doc.entries.length) throw error;
    return render({ ...doc, entries: good });
  }
}
