import { defineConfig } from "vitest/config";

/**
 * Three projects, run in one pool (`npm test` prints each one's time, tests/setup/run.mjs):
 *
 * - infra: the CDK template tests. aws-cdk-lib, cdk-nag and the template validator cost seconds
 *   of CPU to load in every process, so these files share one module graph per worker
 *   (`isolate: false`) and one unbundled synth per context (tests/infra/support.ts synthFor).
 *   tests/preview loads the stack too, so it runs here.
 * - integration: tests that start servers or processes (s3rver, dynalite, the synthesized Lambda
 *   bundles, Chromium, feed readers, the CLI). Their globalSetup starts the one `cdk synth` the
 *   deploy tests share (tests/deploy/synth-cache.ts) as soon as the run begins.
 * - unit: everything else, in-process, also `isolate: false`.
 */
const INFRA = ["tests/infra/**/*.test.ts", "tests/preview/**/*.test.ts"];
const INTEGRATION = [
  "tests/deploy/**/*.test.ts",
  "tests/integration/**/*.test.ts",
  "tests/storage/**/*.test.ts",
  "tests/lambda/**/*.test.ts",
  "tests/browser/**/*.test.ts",
  "tests/readers/**/*.test.ts",
  "tests/faults/**/*.test.ts",
  "tests/conformance/**/*.test.ts",
  "tests/check/**/*.test.ts",
  "tests/aws/**/*.test.ts",
  "tests/index/indexing.test.ts",
  "tests/subscribers/job.test.ts",
  "tests/websub/notify.test.ts",
  "tests/websub/publish.test.ts",
];

const shared = {
  testTimeout: 30_000,
  hookTimeout: 120_000,
  setupFiles: process.env.VITEST_CPU ? ["tests/setup/cpu-probe.ts"] : [],
  env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
};

export default defineConfig({
  test: {
    // vitest's default is one worker less than the cores: on this 2-core machine, one file at a
    // time. Two workers (one per core; tsc runs beside them): three measured slower, the run is
    // CPU-bound. VITEST_MAX_WORKERS overrides it.
    maxWorkers: Number(process.env.VITEST_MAX_WORKERS) || 2,
    reporters: ["default", "./tests/setup/timing-reporter.ts"],
    projects: [
      { test: { ...shared, name: "infra", include: INFRA, isolate: false } },
      {
        test: {
          ...shared,
          name: "integration",
          include: INTEGRATION,
          globalSetup: ["tests/setup/synth.ts"],
        },
      },
      {
        test: {
          ...shared,
          name: "unit",
          include: ["tests/**/*.test.ts"],
          exclude: [...INFRA, ...INTEGRATION],
          // In-process files that mock no module and restore what they stub (env, timers) in
          // afterEach: they share one module graph per worker instead of re-importing it.
          isolate: false,
        },
      },
    ],
  },
});
