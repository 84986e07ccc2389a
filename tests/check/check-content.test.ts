/**
 * `npm run check-content` as editors run it: the real CLI in a child process over a corpus of
 * broken files (folder and an S3-compatible server), asserting the exact `file:line: reason`
 * lines, the summary and the exit code; and a clean exit on the repository's content/.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../deploy/support.ts";
import { type S3rver, startS3rver } from "../support/s3rver.ts";
import { BROKEN, EXPECTED, GOOD } from "./corpus.ts";

const run = promisify(execFile);
const CLI = join(REPO_ROOT, "functions", "cli", "check-content.ts");
const TSX = join(REPO_ROOT, "node_modules", ".bin", "tsx");

async function checkContent(
  args: string[],
  { cwd = REPO_ROOT, env = {} }: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; lines: string[]; stderr: string }> {
  const base: Record<string, string | undefined> = {
    ...process.env,
    SITE_URL: "https://news.example.com",
    ...env,
  };
  delete base.NODE_OPTIONS;
  try {
    const { stdout, stderr } = await run(TSX, [CLI, ...args], { cwd, env: base, timeout: 60_000 });
    return { code: 0, lines: stdout.trimEnd().split("\n"), stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== "number") throw error;
    return { code: e.code, lines: (e.stdout ?? "").trimEnd().split("\n"), stderr: e.stderr ?? "" };
  }
}

/** The summary the corpus must produce: its files, its error lines and the files they are in. */
const errorLines = EXPECTED.filter((line) => !/^[^:]+:\d+: warning: /.test(line));
const SUMMARY = new RegExp(
  `^checked ${Object.keys({ ...BROKEN, ...GOOD }).length} files in \\d+\\.\\d s: ` +
    `${errorLines.length} errors in ${new Set(errorLines.map((l) => l.split(":")[0])).size} files, ` +
    "1 warning \\(not yet published: 1 draft, 1 future-dated\\)$",
);

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "dateline-check-"));
  for (const [key, text] of Object.entries({ ...BROKEN, ...GOOD })) {
    await mkdir(dirname(join(root, "corpus", key)), { recursive: true });
    await writeFile(join(root, "corpus", key), text);
  }
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe("check-content on a folder", () => {
  it("prints every broken file with its line and reason, a summary, and exits 1", async () => {
    const { code, lines } = await checkContent(["corpus"], { cwd: root });
    expect(lines.slice(0, -1)).toEqual(EXPECTED.map((line) => `corpus/${line}`));
    expect(lines.at(-1)).toMatch(SUMMARY);
    expect(code).toBe(1);
  });

  it("exits 0 on the repository's content/ with no problem printed", async () => {
    const { code, lines } = await checkContent(["content"]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^checked 11 files in \d+\.\d s: no errors, 0 warnings$/);
    expect(code).toBe(0);
  });

  it("runs as `npx dateline-check-content` from the repository (package.json bin)", async () => {
    const env: Record<string, string | undefined> = { ...process.env };
    delete env.NODE_OPTIONS;
    const { stdout } = await run("npx", ["--no-install", "dateline-check-content", "content"], {
      cwd: REPO_ROOT,
      env,
      timeout: 60_000,
    });
    expect(stdout).toMatch(/^checked 11 files in \d+\.\d s: no errors, 0 warnings\n$/);
  });

  it("exits 0 when only warnings are found", async () => {
    const dir = join(root, "warnings-only");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "no-offset.md"), BROKEN["no-offset.md"] as string);
    const { code, lines } = await checkContent([dir]);
    expect(lines[0]).toBe(`${dir}/no-offset.md:3: warning: date: no UTC offset given, read as UTC`);
    expect(code).toBe(0);
  });

  it("exits 2 with a message when the folder cannot be read", async () => {
    const { code, stderr } = await checkContent([join(root, "missing")]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/cannot list .*missing/);
  });
});

describe("check-content on a bucket (s3rver)", () => {
  let s3: S3rver;
  beforeAll(async () => {
    s3 = await startS3rver();
    await s3.putMany(Object.entries({ ...BROKEN, ...GOOD }).map(([k, v]) => [`articles/${k}`, v]));
    await s3.put("elsewhere/ignored.md", "not an article");
  });
  afterAll(() => s3?.dispose());

  it("reads s3://bucket/prefix/ through the S3 store and prints the same lines", async () => {
    const { code, lines } = await checkContent([`s3://${s3.bucket}/articles`], { env: s3.env });
    const prefix = `s3://${s3.bucket}/articles/`;
    expect(lines.slice(0, -1)).toEqual(EXPECTED.map((line) => `${prefix}${line}`));
    expect(lines.at(-1)).toMatch(SUMMARY);
    expect(code).toBe(1);
  });
});
