import { type Stack, Validations } from "aws-cdk-lib";
import { Bucket } from "aws-cdk-lib/aws-s3";
import { AwsSolutionsChecks } from "cdk-nag";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { buildDatelineStack } from "../../infra/stack.ts";
import { acknowledgements, makeApp, synthFor } from "./support.ts";

// cdk-nag walks the construct tree; it needs no bundling, so bundling is skipped here.
let stack: Stack;

beforeAll(() => {
  stack = synthFor().stack;
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("cdk-nag AwsSolutions", () => {
  it("reports no unacknowledged finding", () => {
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations).toEqual([]);
    expect(report.success).toBe(true);
  });

  it("acknowledges exactly the findings that occur, each with a specific reason", () => {
    const acknowledged = acknowledgements(stack);
    for (const { id, reason } of acknowledged) {
      expect(reason.length, `reason for ${id}`).toBeGreaterThan(40);
    }
    // The same stack without any acknowledgement shows which findings they cover.
    vi.spyOn(Validations.prototype, "acknowledge").mockImplementation(() => {});
    const bare = buildDatelineStack(makeApp({}, { bundle: false }));
    const findings = new AwsSolutionsChecks()
      .validateScope(bare)
      .violations.flatMap((v) =>
        v.violatingResources.map((r) => `${v.ruleName} @ ${r.constructPath}`),
      );
    expect(findings.length).toBeGreaterThan(0);
    // Every finding is acknowledged on its resource or an ancestor...
    for (const finding of findings) {
      const [rule, path] = finding.split(" @ ") as [string, string];
      expect(
        acknowledged.some(
          (a) => a.id === rule && (path === a.path || path.startsWith(`${a.path}/`)),
        ),
        finding,
      ).toBe(true);
    }
    // ...and no acknowledgement is stale.
    for (const { id, path } of acknowledged) {
      expect(
        findings.some((f) => f.startsWith(`${id} @ ${path}`)),
        `${id} on ${path} acknowledges nothing`,
      ).toBe(true);
    }
    expect([...new Set(acknowledged.map((a) => a.id.replace(/\[.*$/, "")))].sort()).toEqual([
      "AwsSolutions-CFR1",
      "AwsSolutions-CFR2",
      "AwsSolutions-CFR4",
      "AwsSolutions-IAM5",
      "AwsSolutions-L1",
    ]);
  });

  it("makes synth fail on an unacknowledged finding (as infra/app.ts registers it)", () => {
    const app = makeApp({}, { bundle: false });
    const dateline = buildDatelineStack(app);
    new Bucket(dateline, "Unlogged"); // no access logs, no TLS-only policy
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-S10/);
  });

  it("lets the real app synthesize with the plugin registered", () => {
    const app = makeApp({}, { bundle: false });
    buildDatelineStack(app);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });
});
