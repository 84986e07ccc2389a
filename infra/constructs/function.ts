import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Duration } from "aws-cdk-lib";
import type { Role } from "aws-cdk-lib/aws-iam";
import { Architecture, LoggingFormat, Runtime, SystemLogLevel } from "aws-cdk-lib/aws-lambda";
import { type BundlingOptions, NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import type { LogGroup } from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import { BUNDLE_ALIASES } from "../bundle/aliases.ts";
import { functionRoleWithLogs } from "../grants.ts";

/** Repository root (infra/constructs/../..): entries, the lockfile and content/ are found here. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** How every Dateline function is bundled (esbuild, locally; no Docker). */
export const BUNDLING: BundlingOptions = {
  format: OutputFormat.ESM,
  target: "node22",
  minify: true,
  sourceMap: true,
  // The Node.js runtime ships AWS SDK v3; bundling it would only add size.
  externalModules: ["@aws-sdk/*"],
  // CommonJS dependencies bundled into ESM call require(): give them one.
  banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
  // `feed` pulls in xml-js's XML parser; Dateline only writes XML (see bundle/aliases.ts).
  esbuildArgs: Object.fromEntries(
    Object.entries(BUNDLE_ALIASES).map(([name, path]) => [`--alias:${name}`, path]),
  ),
};

/** BUNDLING plus md4w's WebAssembly beside index.mjs (md4w loads it from beside the module). */
const WITH_MARKDOWN: BundlingOptions = {
  ...BUNDLING,
  commandHooks: {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (inputDir, outputDir) => [
      `cp "${inputDir}/node_modules/md4w/js/md4w-small.wasm" "${outputDir}/md4w-small.wasm"`,
    ],
  },
};

export interface DatelineFunctionProps {
  /** The entry module, relative to the repository root (e.g. `functions/handlers/feed.ts`). */
  entry: string;
  description: string;
  /** What the function's role is for (shown in IAM). */
  roleDescription: string;
  memorySize: number;
  timeout: Duration;
  environment?: Record<string, string>;
  /** The function compiles Markdown: md4w's WebAssembly ships beside its bundle. */
  markdown?: boolean;
  /**
   * The function maps the stacks it logs itself (functions/handlers/source-map.ts), so Node
   * runs without `--enable-source-maps` and a cold start does not parse the source map.
   */
  mapsOwnStacks?: boolean;
  /**
   * JSON logs with Lambda's own START/END/REPORT lines left out (WARN), the default; `text`
   * passes each line through as written (CloudWatch EMF lines must not be wrapped).
   */
  logs?: "json" | "text";
}

/**
 * A Dateline Lambda function: what the functions share (Node.js 24 on arm64, the bundling,
 * source maps, JSON logging at WARN for the system log) plus its own log group (one month) and
 * an explicit role that may write only there. The log group and role are siblings named
 * `${id}Logs` and `${id}Role`; grants go on `executionRole`.
 */
export class DatelineFunction extends NodejsFunction {
  readonly executionRole: Role;
  readonly functionLogGroup: LogGroup;

  constructor(scope: Construct, id: string, props: DatelineFunctionProps) {
    const { role, logGroup } = functionRoleWithLogs(scope, id, props.roleDescription);
    const json = (props.logs ?? "json") === "json";
    super(scope, id, {
      description: props.description,
      entry: join(REPO_ROOT, props.entry),
      handler: "handler",
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, "package-lock.json"),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role,
      logGroup,
      ...(json
        ? {
            loggingFormat: LoggingFormat.JSON,
            // START/END/REPORT lines on every invocation would cost more than the app's own logs.
            systemLogLevelV2: SystemLogLevel.WARN,
          }
        : {}),
      environment: {
        ...props.environment,
        // `sourceMap: true` alone does not make Node read the map.
        ...(props.mapsOwnStacks ? {} : { NODE_OPTIONS: "--enable-source-maps" }),
      },
      bundling: props.markdown ? WITH_MARKDOWN : BUNDLING,
    });
    this.executionRole = role;
    this.functionLogGroup = logGroup;
  }
}
