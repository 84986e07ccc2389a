/**
 * What `cdk deploy` would ship, found offline: the real `cdk synth` output, the Lambda bundles
 * and the content folder located through the template and the assets manifest, and a host
 * process that runs a bundle's handler on Lambda Function URL (payload 2.0) events as CloudFront
 * sends them through origin access control, or on any other event.
 *
 * Used by the tests in tests/deploy/ and the benchmarks (bench/lambda-cold.ts).
 */
import { type ChildProcess, execFile, fork } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { Resolver } from "../support/cfn-resolve.ts";

const run = promisify(execFile);

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const HOST = fileURLToPath(new URL("./lambda-host.mjs", import.meta.url));

type Resource = { Type: string; Properties: Record<string, unknown> };
type AssetsManifest = {
  files: Record<string, { displayName?: string; source: { path: string; packaging?: string } }>;
};

/** A synthesized Lambda function and what its runtime would load. */
export interface FunctionArtifact {
  logicalId: string;
  /** Display name of its code asset in the assets manifest, e.g. `FeedFunction/Code`. */
  assetName: string;
  /** The folder Lambda would unzip: the bundle and its source map. */
  assetDir: string;
  /** The file the runtime loads, from Handler `index.handler`: `<assetDir>/index.mjs`. */
  bundleFile: string;
  exportName: string;
  runtime: string;
  memorySize: number;
  timeout: number;
  /** Environment as synthesized; CloudFormation intrinsics (e.g. the bucket Ref) kept as objects. */
  environment: Record<string, unknown>;
}

/** The synthesized functions and everything needed to run them. */
export interface Synthesized {
  /** The cloud assembly directory (`--output`). */
  outDir: string;
  stackName: string;
  resources: Record<string, Resource>;
  /** The function behind the Function URL (CloudFront's origin). */
  feedFunction: FunctionArtifact;
  /** The function fed by the article-event queue (keeps the index current), if any. */
  indexerFunction: FunctionArtifact | undefined;
  /** The WebSub publisher (only with dateline:hubUrl). */
  websubFunction: FunctionArtifact | undefined;
  content: {
    assetName: string;
    /** The BucketDeployment's source, as files on disk. */
    dir: string;
    /** Where the deployment puts them in the bucket, e.g. `articles/`. */
    destinationPrefix: string;
  };
  /** The SSM parameter holding the site URL (absent with a custom domain). */
  siteUrlParameterName: string | undefined;
  /** Any synthesized function by logical id, located like the feed function. */
  artifact(logicalId: string): FunctionArtifact;
}

/**
 * Runs the real `npx cdk synth --quiet` into `outDir` (the CLI, cdk.json, infra/app.ts with
 * its cdk-nag gate, esbuild bundling) and locates the shipped pieces.
 */
export async function synthesize(
  outDir: string,
  context: Record<string, string> = {},
): Promise<Synthesized> {
  const env = { ...process.env };
  // A test runner's loaders must not leak into the CDK app's own tsx process.
  delete env.NODE_OPTIONS;
  const contextArgs = Object.entries(context).flatMap(([k, v]) => ["-c", `${k}=${v}`]);
  try {
    await run(
      "npx",
      ["--no-install", "cdk", "synth", "--quiet", "--output", outDir, ...contextArgs],
      {
        cwd: REPO_ROOT,
        env,
        maxBuffer: 64 * 1024 * 1024,
        timeout: 170_000,
      },
    );
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string; message: string };
    throw new Error(`cdk synth failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
  }
  return locate(outDir);
}

/** Reads an existing cloud assembly (e.g. from a previous synth). */
export async function locate(outDir: string): Promise<Synthesized> {
  const manifest = JSON.parse(await readFile(join(outDir, "manifest.json"), "utf8")) as {
    artifacts: Record<string, { type: string }>;
  };
  const stacks = Object.entries(manifest.artifacts)
    .filter(([, a]) => a.type === "aws:cloudformation:stack")
    .map(([name]) => name);
  if (stacks.length !== 1) throw new Error(`expected one stack, found ${stacks.join(", ")}`);
  const stackName = stacks[0] as string;
  const template = JSON.parse(
    await readFile(join(outDir, `${stackName}.template.json`), "utf8"),
  ) as { Resources: Record<string, Resource> };
  const assets = JSON.parse(
    await readFile(join(outDir, `${stackName}.assets.json`), "utf8"),
  ) as AssetsManifest;
  const resources = template.Resources;

  /** The asset behind an object key in the template (`<hash>.zip`). */
  const assetOf = (objectKey: unknown) => {
    const hash = String(objectKey).replace(/\.zip$/, "");
    const asset = assets.files[hash];
    if (!asset) throw new Error(`no asset ${hash} in ${stackName}.assets.json`);
    return { name: asset.displayName ?? hash, path: join(outDir, asset.source.path) };
  };

  // The feed function is the one behind the Function URL (other functions may read the bucket too).
  const fronted = Object.values(resources)
    .filter((r) => r.Type === "AWS::Lambda::Url")
    .map(
      (r) =>
        (r.Properties.TargetFunctionArn as { "Fn::GetAtt"?: [string, string] })["Fn::GetAtt"]?.[0],
    );
  if (fronted.length !== 1 || fronted[0] === undefined) {
    throw new Error(`expected one function behind a Function URL, found ${fronted.length}`);
  }
  const artifactOf = (logicalId: string): FunctionArtifact => {
    const fn = resources[logicalId] as Resource;
    const codeAsset = assetOf((fn.Properties.Code as { S3Key?: string }).S3Key);
    const [fileBase, exportName] = String(fn.Properties.Handler).split(".") as [string, string];
    const bundleFile = ["mjs", "js", "cjs"]
      .map((ext) => join(codeAsset.path, `${fileBase}.${ext}`))
      .find((file) => existsSync(file));
    if (!bundleFile) throw new Error(`no ${fileBase}.mjs/.js in ${codeAsset.path}`);
    return {
      logicalId,
      assetName: codeAsset.name,
      assetDir: codeAsset.path,
      bundleFile,
      exportName,
      runtime: String(fn.Properties.Runtime),
      memorySize: Number(fn.Properties.MemorySize),
      timeout: Number(fn.Properties.Timeout),
      environment:
        (fn.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)
          ?.Variables ?? {},
    };
  };
  const feedFunction = artifactOf(fronted[0]);
  /** The function consuming the queue that `isSource` picks, if any. */
  const consumerOf = (isSource: (queueId: string) => boolean) => {
    const found = Object.values(resources)
      .filter((r) => r.Type === "AWS::Lambda::EventSourceMapping")
      .filter((r) => {
        const source = (r.Properties.EventSourceArn as { "Fn::GetAtt"?: [string, string] })[
          "Fn::GetAtt"
        ]?.[0];
        return source !== undefined && isSource(source);
      })
      .map((r) => (r.Properties.FunctionName as { Ref?: string }).Ref)
      .filter((id): id is string => id !== undefined && resources[id] !== undefined);
    if (found.length > 1) throw new Error(`expected at most one consumer: ${found}`);
    return found[0] === undefined ? undefined : artifactOf(found[0]);
  };
  // The indexer's queue is the one the bucket notifies; the WebSub queue is the one it writes to.
  const notified = new Set(
    Object.values(resources)
      .filter((r) => r.Type === "AWS::S3::Bucket")
      .flatMap(
        (r) =>
          (
            r.Properties.NotificationConfiguration as {
              QueueConfigurations?: { Queue: { "Fn::GetAtt": [string, string] } }[];
            }
          )?.QueueConfigurations ?? [],
      )
      .map((q) => q.Queue["Fn::GetAtt"][0]),
  );
  const indexerFunction = consumerOf((queue) => notified.has(queue));
  const websubFunction = consumerOf(
    (queue) =>
      !notified.has(queue) &&
      JSON.stringify(indexerFunction?.environment ?? {}).includes(`"Ref":"${queue}"`),
  );

  const deployments = Object.values(resources).filter(
    (r) => r.Type === "Custom::CDKBucketDeployment",
  );
  if (deployments.length !== 1) throw new Error("expected one BucketDeployment");
  const deployment = (deployments[0] as Resource).Properties;
  const sourceKeys = deployment.SourceObjectKeys as string[];
  if (sourceKeys.length !== 1) throw new Error("expected one BucketDeployment source");
  const contentAsset = assetOf(sourceKeys[0]);

  const parameter = Object.values(resources).find((r) => r.Type === "AWS::SSM::Parameter");
  const synthesized: Synthesized = {
    outDir,
    stackName,
    resources,
    feedFunction,
    indexerFunction,
    websubFunction,
    content: {
      assetName: contentAsset.name,
      dir: await asFolder(contentAsset.path),
      destinationPrefix: String(deployment.DestinationBucketKeyPrefix ?? ""),
    },
    siteUrlParameterName: parameter === undefined ? undefined : String(parameter.Properties.Name),
    artifact: artifactOf,
  };
  for (const fn of [feedFunction, indexerFunction, websubFunction])
    if (fn) assemblies.set(fn, synthesized);
  return synthesized;
}

/** A directory asset as is; a zip asset extracted next to it (Python's zipfile, no extra deps). */
async function asFolder(path: string): Promise<string> {
  if (statSync(path).isDirectory()) return path;
  const target = `${path}.extracted`;
  // Extracted once: assemblies shared between test files (synth-cache.ts) are read concurrently.
  if (existsSync(target)) return target;
  const partial = `${target}.${process.pid}`;
  await mkdir(partial, { recursive: true });
  await run("/usr/bin/python3", ["-m", "zipfile", "-e", path, partial]);
  await rename(partial, target).catch(async (error: NodeJS.ErrnoException) => {
    // Another process extracted it first.
    if (!existsSync(target)) throw error;
    await rm(partial, { recursive: true, force: true });
  });
  return target;
}

/** Every file under `dir` as [path relative to it with `/`, bytes], sorted. */
export async function filesOf(dir: string): Promise<[string, Uint8Array][]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split("\\").join("/"))
    .sort();
  return Promise.all(
    files.map(async (file) => [file, new Uint8Array(await readFile(join(dir, file)))] as const),
  ) as Promise<[string, Uint8Array][]>;
}

/**
 * Makes the bundle's external `@aws-sdk/*` imports resolvable where it lies, as the Lambda
 * runtime's own SDK would be: ESM ignores NODE_PATH, so `<outDir>/node_modules` links to the
 * repository's.
 */
export async function linkNodeModules(outDir: string): Promise<void> {
  const link = join(outDir, "node_modules");
  if (!existsSync(link)) await symlink(join(REPO_ROOT, "node_modules"), link, "dir");
}

/** Context the deploy tests synthesize with: a WebSub hub, so that every function is built. */
export const DEPLOY_CONTEXT = { "dateline:hubUrl": "https://hub.example.org/websub" } as const;

/** A Resolver for the synthesized template, with the article bucket named as `bucket`. */
export function resolverFor(synth: Synthesized, bucket: string): Resolver {
  const bucketRef = (synth.feedFunction.environment.CONTENT_BUCKET as { Ref?: string }).Ref;
  if (!bucketRef) throw new Error("CONTENT_BUCKET is not a reference to the article bucket");
  return new Resolver(synth.resources, {
    stackName: synth.stackName,
    physicalIds: { [bucketRef]: bucket },
  });
}

/**
 * A function's environment as the stack synthesizes it, every CloudFormation expression resolved
 * into the fake account (the article bucket named as `server`'s), `server`'s endpoint and
 * credentials, what the Lambda runtime sets, then `overrides` (undefined deletes).
 */
export function lambdaEnv(
  fn: FunctionArtifact,
  server: { bucket: string; env: Readonly<Record<string, string>> },
  overrides: Record<string, string | undefined> = {},
  resolver?: Resolver,
): Record<string, string> {
  const resolved = resolver ?? resolverFor(currentSynth(fn), server.bucket);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(fn.environment)) env[name] = resolved.string(value);
  const merged: Record<string, string | undefined> = {
    ...env,
    ...server.env,
    // What the Lambda runtime sets, and quiet the SDK's Node 20 notice (Lambda runs Node 24).
    TZ: ":UTC",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    ...overrides,
  };
  return Object.fromEntries(
    Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/** The assembly a function artifact came from (locate() records it). */
function currentSynth(fn: FunctionArtifact): Synthesized {
  const found = assemblies.get(fn);
  if (!found) throw new Error(`${fn.logicalId} was not located by locate()`);
  return found;
}
const assemblies = new WeakMap<FunctionArtifact, Synthesized>();

/** A temp directory for a cloud assembly. */
export function tempAssemblyDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "dateline-cdk-out-"));
}

export interface HttpRequest {
  method?: string;
  path: string;
  /** Raw query string without `?`, e.g. `limit=2`. */
  query?: string;
  headers?: Record<string, string>;
  /**
   * How the request reached the function URL: `cloudfront` (signed by the distribution's origin
   * access control, so Lambda fills `requestContext.authorizer.iam`; the default), or
   * `unauthenticated` (what a URL with auth type NONE would pass on: no authorizer).
   */
  via?: "cloudfront" | "unauthenticated";
}

const URL_ID = "abcdefghijklmnopqrstuvwxyz012345";
const URL_DOMAIN = `${URL_ID}.lambda-url.eu-west-1.on.aws`;

/**
 * A Lambda Function URL event (payload 2.0) for a request CloudFront forwards: the URL's own
 * host (the cache policy forwards only Sec-Fetch-Dest and the normalized Accept-Encoding),
 * CloudFront's Via and X-Amz-Cf-Id, and the IAM authorizer block Lambda adds for a signed
 * request. (Which values Lambda puts in it for CloudFront's service principal is not known
 * here: the handler only checks that the block is there.)
 */
export function httpEvent(request: HttpRequest): APIGatewayProxyEventV2 {
  const method = request.method ?? "GET";
  const query = request.query ?? "";
  const params = new URLSearchParams(query);
  const queryStringParameters: Record<string, string> = {};
  // Lambda joins repeated parameters with commas in queryStringParameters.
  for (const key of new Set(params.keys()))
    queryStringParameters[key] = params.getAll(key).join(",");
  const now = Date.now();
  const signed = (request.via ?? "cloudfront") === "cloudfront";
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: request.path,
    rawQueryString: query,
    headers: {
      accept: "*/*",
      host: URL_DOMAIN,
      "user-agent": "Amazon CloudFront",
      via: "2.0 0123456789abcdef.cloudfront.net (CloudFront)",
      "x-amz-cf-id": "test",
      "x-forwarded-for": "192.0.2.10, 198.51.100.7",
      "x-forwarded-port": "443",
      "x-forwarded-proto": "https",
      ...(signed
        ? { "x-amz-date": "20260601T000000Z", "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }
        : {}),
      ...Object.fromEntries(
        Object.entries(request.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
      ),
    },
    ...(query ? { queryStringParameters } : {}),
    requestContext: {
      accountId: signed ? "111122223333" : "anonymous",
      apiId: URL_ID,
      ...(signed
        ? {
            authorizer: {
              iam: {
                accessKey: "ASIAEXAMPLE",
                accountId: "111122223333",
                callerId: "AROAEXAMPLE:cloudfront",
                cognitoIdentity: null,
                principalOrgId: null,
                userArn: "arn:aws:sts::111122223333:assumed-role/cloudfront/edge",
                userId: "AROAEXAMPLE:cloudfront",
              },
            },
          }
        : {}),
      domainName: URL_DOMAIN,
      domainPrefix: URL_ID,
      http: {
        method,
        path: request.path,
        protocol: "HTTP/1.1",
        sourceIp: "198.51.100.7",
        userAgent: "Amazon CloudFront",
      },
      requestId: `req-${now}-${Math.random().toString(36).slice(2)}`,
      routeKey: "$default",
      stage: "$default",
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    isBase64Encoded: false,
  } as APIGatewayProxyEventV2;
}

export type LambdaResult = APIGatewayProxyStructuredResultV2 & {
  statusCode: number;
  headers: Record<string, string | number | boolean>;
  body: string;
  isBase64Encoded: boolean;
};

/** A running bundle: invoke it like Lambda does for a Function URL request. */
export interface LambdaHost {
  /** ms the `import()` of the bundle took inside the host. */
  readonly importMs: number;
  /** Resident set size (bytes) right after the import. */
  readonly importRss: number;
  /**
   * The response, how long the handler took (ms), the host's RSS (bytes) afterwards and whether
   * Node's fetch implementation (undici) is loaded by then.
   */
  invoke(
    request: HttpRequest,
  ): Promise<LambdaResult & { ms: number; rss: number; fetchLoaded?: boolean }>;
  /** Any event (e.g. an SQS batch): whatever the handler returned. */
  invokeEvent(
    event: unknown,
  ): Promise<{ result: unknown; ms: number; rss: number; fetchLoaded?: boolean }>;
  /** Warm timing in the host: the median over `rounds` of the mean of `calls` invocations. */
  repeat(
    request: HttpRequest,
    calls: number,
    rounds: number,
  ): Promise<{ perCallMs: number; rss: number }>;
  /** JSON log lines the function wrote (stdout and stderr), parsed where possible. */
  logs(): Record<string, unknown>[];
  dispose(): Promise<void>;
}

/**
 * Starts the bundle in a fresh Node process with exactly `env` (plus PATH): nothing of the
 * test runner's environment or module graph leaks in.
 */
export function startLambdaHost(
  bundleFile: string,
  exportName: string,
  env: Record<string, string>,
): Promise<LambdaHost> {
  const child: ChildProcess = fork(HOST, [bundleFile, exportName], {
    // Lambda's working directory is the unzipped bundle (/var/task): nothing of the
    // repository (e.g. ./content) is reachable through relative paths.
    cwd: dirname(bundleFile),
    execArgv: [],
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  const lines: Record<string, unknown>[] = [];
  let raw = "";
  const collect = (chunk: string) => {
    raw += chunk;
    let at = raw.indexOf("\n");
    while (at >= 0) {
      const line = raw.slice(0, at).trim();
      raw = raw.slice(at + 1);
      if (line) {
        try {
          lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          lines.push({ level: "raw", message: line });
        }
      }
      at = raw.indexOf("\n");
    }
  };
  child.stdout?.setEncoding("utf8").on("data", collect);
  child.stderr?.setEncoding("utf8").on("data", collect);

  let nextId = 0;
  const pending = new Map<
    number,
    {
      resolve: (r: { result: unknown; ms: number; rss: number; fetchLoaded?: boolean }) => void;
      reject: (e: Error) => void;
    }
  >();
  child.on("message", (message: unknown) => {
    const m = message as {
      type: string;
      id: number;
      result?: unknown;
      message?: string;
      ms: number;
      rss: number;
      fetchLoaded?: boolean;
    };
    const waiter = pending.get(m.id);
    if (!waiter) return;
    pending.delete(m.id);
    if (m.type === "result")
      waiter.resolve({ result: m.result, ms: m.ms, rss: m.rss, fetchLoaded: m.fetchLoaded });
    else waiter.reject(new Error(`handler threw: ${m.message}`));
  });
  child.on("exit", (code, signal) => {
    for (const waiter of pending.values()) {
      waiter.reject(new Error(`Lambda host exited (${code ?? signal}): ${JSON.stringify(lines)}`));
    }
    pending.clear();
  });

  return new Promise<LambdaHost>((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error("the bundle did not load within 30 s"));
    }, 30_000);
    const onStart = (message: unknown) => {
      const m = message as { type: string; importMs?: number; rss?: number; message?: string };
      if (m.type !== "ready" && m.type !== "failed") return;
      clearTimeout(timer);
      child.off("message", onStart);
      if (m.type === "failed") {
        reject(new Error(`the bundle failed to load: ${m.message}`));
        return;
      }
      const invokeEvent = (event: unknown) => {
        const id = ++nextId;
        return new Promise<{ result: unknown; ms: number; rss: number; fetchLoaded?: boolean }>(
          (resolveInvoke, rejectInvoke) => {
            pending.set(id, { resolve: resolveInvoke, reject: rejectInvoke });
            child.send({ type: "invoke", id, event });
          },
        );
      };
      resolvePromise({
        importMs: m.importMs ?? Number.NaN,
        importRss: m.rss ?? Number.NaN,
        invokeEvent,
        repeat(request, calls, rounds) {
          const id = ++nextId;
          return new Promise((resolveRepeat, rejectRepeat) => {
            pending.set(id, {
              resolve: ({ result, rss }) =>
                resolveRepeat({ perCallMs: (result as { perCallMs: number }).perCallMs, rss }),
              reject: rejectRepeat,
            });
            child.send({ type: "repeat", id, event: httpEvent(request), calls, rounds });
          });
        },
        async invoke(request) {
          const { result, ms, rss, fetchLoaded } = await invokeEvent(httpEvent(request));
          if (typeof result !== "object" || result === null || !("statusCode" in result)) {
            throw new Error(`not an HTTP API result: ${JSON.stringify(result)}`);
          }
          return { ...(result as LambdaResult), ms, rss, fetchLoaded };
        },
        logs: () => [...lines],
        dispose: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once("exit", () => done());
            child.kill("SIGTERM");
          }),
      });
    };
    child.on("message", onStart);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(
        new Error(
          `the Lambda host exited before it was ready (code ${code}): ${JSON.stringify(lines)}`,
        ),
      );
    });
  });
}

/** The response body as bytes (base64-decoded as the Function URL decodes it). */
export function bodyBytes(result: LambdaResult): Buffer {
  return result.isBase64Encoded
    ? Buffer.from(result.body, "base64")
    : Buffer.from(result.body, "utf8");
}

/** The response body as text (UTF-8, base64-decoded first when encoded). */
export function bodyText(result: LambdaResult): string {
  return bodyBytes(result).toString("utf8");
}

/** A header of a Lambda result, case-insensitively. */
export function header(result: LambdaResult, name: string): string | undefined {
  const found = Object.entries(result.headers ?? {}).find(
    ([k]) => k.toLowerCase() === name.toLowerCase(),
  );
  return found === undefined ? undefined : String(found[1]);
}
