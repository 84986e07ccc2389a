// Plain JavaScript so the benchmark's workers load it without a TypeScript loader.
import { isMainThread, parentPort, workerData } from "node:worker_threads";

/** The four candidate engines, each configured for CommonMark + GFM with raw HTML passed on. */
export async function loadEngine(engine) {
  if (engine === "md4w") {
    const md4w = await import("md4w");
    await md4w.init("fast");
    const f = md4w.ParseFlags;
    const parseFlags = f.TABLES | f.STRIKETHROUGH | f.TASKLISTS | f.PERMISSIVE_URL_AUTO_LINKS;
    return (md) => md4w.mdToHtml(md, { parseFlags });
  }
  if (engine === "markdown-it") {
    const { default: MarkdownIt } = await import("markdown-it");
    const md = new MarkdownIt({ html: true, linkify: false });
    return (text) => md.render(text);
  }
  if (engine === "micromark") {
    const { micromark } = await import("micromark");
    const { gfm, gfmHtml } = await import("micromark-extension-gfm");
    return (text) =>
      micromark(text, {
        allowDangerousHtml: true,
        extensions: [gfm()],
        htmlExtensions: [gfmHtml()],
      });
  }
  const { Marked } = await import("marked");
  const marked = new Marked({ gfm: true, async: false });
  return (text) => marked.parse(text);
}

if (!isMainThread && workerData?.engine) {
  const render = await loadEngine(workerData.engine);
  render("warm *up*");
  const started = performance.now();
  render(workerData.text);
  parentPort?.postMessage(performance.now() - started);
}
