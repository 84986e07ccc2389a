/**
 * `npm run check-content [DIR | s3://bucket/prefix/]`: compiles every article as the server
 * does and prints each problem as `file:line: reason`, then a summary; exits 1 on any error
 * (2 when the source cannot be read), so an editor's CI can refuse a broken article.
 */
import { availableParallelism } from "node:os";
import { join, relative } from "node:path";
import { checkStore, formatProblem, summaryLine } from "../check/run.ts";
import { loadConfig } from "../config.ts";
import { ConfigError, StoreUnavailableError } from "../errors.ts";
import { openBucket } from "../storage/bucket.ts";
import { FolderStore } from "../storage/folder.ts";
import type { ArticleStore } from "../storage/store.ts";

const USAGE = `usage: check-content [DIR | s3://BUCKET/PREFIX/]   (default: CONTENT_DIR or ./content)
  SITE_URL        base URL relative links resolve against (as the server's)
  AWS_ENDPOINT_URL_S3, AWS_REGION, AWS credentials: for an s3:// source`;

function openSource(target: string): { store: ArticleStore; display: (key: string) => string } {
  const s3 = /^s3:\/\/([^/]+)\/?(.*)$/.exec(target);
  if (s3) {
    const bucket = s3[1] as string;
    const store = openBucket({ bucket, prefix: s3[2] ?? "" });
    return { store, display: (key) => `${store.location}${key}` };
  }
  // Paths as the editor typed them, so an editor or CI annotator can open them.
  const shown = relative(process.cwd(), target) || ".";
  return {
    store: new FolderStore(target),
    display: (key) => join(shown.startsWith("..") ? target : shown, key),
  };
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes("-h") || argv.includes("--help")) {
    console.log(USAGE);
    return 0;
  }
  if (argv.length > 1) {
    console.error(USAGE);
    return 2;
  }
  let siteUrl: string;
  let fallbackDir: string;
  try {
    const config = loadConfig(process.env);
    siteUrl = config.siteUrl;
    fallbackDir = config.store.kind === "folder" ? config.store.dir : "./content";
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    return 2;
  }
  const { store, display } = openSource(argv[0] ?? fallbackDir);
  const started = performance.now();
  try {
    // One compiling worker per core beyond the first; a small check stays on one thread.
    const workers = Math.min(availableParallelism(), 8);
    const report = await checkStore(store, { siteUrl, now: Date.now(), workers });
    for (const problem of report.problems) console.log(formatProblem(problem, display));
    console.log(summaryLine(report, (performance.now() - started) / 1000));
    return report.errors > 0 ? 1 : 0;
  } catch (error) {
    if (!(error instanceof StoreUnavailableError)) throw error;
    console.error(`check-content: ${store.location}: ${error.message}`);
    return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
