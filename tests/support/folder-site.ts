/**
 * The app over a temporary content folder (a real FolderStore), wired as runtime.ts wires it,
 * for tests that change articles while the app runs.
 *
 *   const site = await folderSite({ files: { "a.md": article({ title: "A" }) } });
 *   await site.get("/opml.xml");
 *   await site.write("b.md", article({ title: "B", tags: ["Ports"] }));
 *   await site.dispose();
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type Config, loadConfig } from "../../functions/config.ts";
import type { App } from "../../functions/http/app.ts";
import type { LocalIndex } from "../../functions/index/local.ts";
import { memoryLogger } from "../../functions/log.ts";
import { createRuntime } from "../../functions/runtime.ts";
import { FolderStore } from "../../functions/storage/folder.ts";

export const SITE_URL = "https://news.example.com";
/** A fixed clock after every article date used in these tests. */
export const NOW = Date.parse("2026-06-01T00:00:00Z");

/** Markdown with front matter: a dated article by "Desk" plus `fields` (JSON is valid YAML). */
export function article(fields: Record<string, unknown>, body = "Body text.\n"): string {
  const all: Record<string, unknown> = { date: "2026-01-01T00:00:00Z", author: "Desk", ...fields };
  const yaml = Object.entries(all)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}: ${JSON.stringify(value)}\n`)
    .join("");
  return `---\n${yaml}---\n\n${body}`;
}

export interface FolderSite {
  readonly dir: string;
  readonly config: Config;
  readonly local: LocalIndex;
  readonly app: App;
  readonly log: ReturnType<typeof memoryLogger>;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  write(path: string, text: string): Promise<void>;
  remove(path: string): Promise<void>;
  dispose(): Promise<void>;
}

/** A temp content folder holding `files`, and the app over it (store checked on every request). */
export async function folderSite({
  files = {},
  env = {},
  now = () => NOW,
}: {
  files?: Record<string, string>;
  env?: Record<string, string>;
  now?: () => number;
} = {}): Promise<FolderSite> {
  const root = await mkdtemp(join(tmpdir(), "dateline-site-"));
  const dir = join(root, "content");
  await mkdir(dir);
  const write = async (path: string, text: string) => {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  };
  for (const [path, text] of Object.entries(files)) await write(path, text);
  const config = loadConfig({ SITE_URL, CONTENT_DIR: dir, REVALIDATE_SECONDS: "0", ...env });
  const log = memoryLogger();
  const { app, local } = createRuntime(config, new FolderStore(dir), log, now);
  return {
    dir,
    config,
    local,
    app,
    log,
    get: async (path, headers = {}) => app.request(path, { headers }),
    write,
    remove: (path) => rm(join(dir, path), { force: true }),
    dispose: () => rm(root, { recursive: true, force: true }),
  };
}
