import { readFileSync } from "node:fs";
import { App, Validations } from "aws-cdk-lib";
import type { IConstruct } from "constructs";

/** The "context" block of the repository's cdk.json: `new App()` does not read cdk.json itself. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(new URL("../../cdk.json", import.meta.url), "utf8")) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

/**
 * An App with cdk.json's context plus `overrides`. With `bundle: false` NodejsFunction skips
 * esbuild (the CLI's own mechanism for stacks it does not need), which keeps variant synths fast.
 */
export function makeApp(
  overrides: Record<string, unknown> = {},
  { bundle = true }: { bundle?: boolean } = {},
): App {
  return new App({
    context: {
      ...cdkJsonContext(),
      ...(bundle ? {} : { "aws:cdk:bundling-stacks": [] }),
      ...overrides,
    },
  });
}

/** Every rule acknowledged in the tree below `scope`: construct path, rule id, reason. */
export function acknowledgements(
  scope: IConstruct,
): { path: string; id: string; reason: string }[] {
  const found: { path: string; id: string; reason: string }[] = [];
  for (const construct of scope.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.push({ path: construct.node.path, id: id.replace(/^annotation::/i, ""), reason });
      }
    }
  }
  return found;
}

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

/** All IAM policy statements of a template, with the logical id of their policy. */
export function policyStatements(
  resources: Record<string, { Type: string; Properties: Record<string, unknown> }>,
): { policy: string; statement: Statement }[] {
  const out: { policy: string; statement: Statement }[] = [];
  for (const [id, resource] of Object.entries(resources)) {
    if (resource.Type !== "AWS::IAM::Policy") continue;
    const doc = resource.Properties.PolicyDocument as { Statement: Statement[] };
    for (const statement of doc.Statement) out.push({ policy: id, statement });
  }
  return out;
}

export function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}
