/**
 * A bundle's logged stacks name the TypeScript sources without `--enable-source-maps`: the map
 * beside the bundle is read when a stack is first mapped. A real esbuild bundle, minified with
 * an external map as the stack builds the feed function.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleStackMapper } from "../../functions/handlers/source-map.ts";

let dir: string;
let bundle: string;
const SOURCE = [
  "export function outer(): never {",
  "  return inner(1);",
  "}",
  "function inner(n: number): never {",
  '  throw new Error("failed at " + n);',
  "}",
  "",
].join("\n");

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "dateline-source-map-"));
  writeFileSync(join(dir, "thrower.ts"), SOURCE);
  bundle = join(dir, "out", "index.mjs");
  await build({
    entryPoints: [join(dir, "thrower.ts")],
    bundle: true,
    minify: true,
    sourcemap: true,
    format: "esm",
    platform: "node",
    outfile: bundle,
    logLevel: "error",
  });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The stack of an error thrown in the bundle, in a plain `node` (vitest maps stacks itself). */
function thrownStack(): string {
  const script = `import(${JSON.stringify(pathToFileURL(bundle).href)}).then((m) => { try { m.outer(); } catch (e) { process.stdout.write(e.stack); } })`;
  return execFileSync(process.execPath, ["-e", script], {
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "" },
  });
}

describe("bundleStackMapper", () => {
  it("maps the bundle's frames to source lines and leaves other frames alone", () => {
    const stack = thrownStack();
    // Minified: every frame of the bundle is on line 1 of index.mjs.
    expect(stack).toMatch(/index\.mjs:1:\d+/);
    const mapped = bundleStackMapper(pathToFileURL(bundle).href)(stack);
    expect(mapped).toMatch(/thrower\.ts:5:\d+/);
    expect(mapped).toMatch(/thrower\.ts:2:\d+/);
    expect(mapped).not.toMatch(/index\.mjs:1:/);
    expect(mapped.split("\n")[0]).toBe("Error: failed at 1");
  });

  it("leaves the stack as it is when the map cannot be read", () => {
    const stack = thrownStack();
    const mapper = bundleStackMapper(pathToFileURL(join(dir, "missing.mjs")).href);
    expect(mapper(stack.replaceAll(bundle, join(dir, "missing.mjs")))).toBe(
      stack.replaceAll(bundle, join(dir, "missing.mjs")),
    );
  });
});
