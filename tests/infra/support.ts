import { readFileSync } from "node:fs";
import { App, type Stack, Validations } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import type { IConstruct } from "constructs";
import { buildDatelineStack } from "../../infra/stack.ts";

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

export type Resources = Record<
  string,
  { Type: string; Properties: Record<string, unknown> } & Record<string, unknown>
>;

/**
 * One synthesized template (NodejsFunction bundling skipped unless asked) with the lookups the
 * construct tests share: resources by type and properties, a function's role and statements.
 */
export class Synth {
  readonly app: App;
  readonly stack: Stack;
  readonly template: Template;
  readonly resources: Resources;

  constructor(
    context: Record<string, unknown> = {},
    {
      bundle = false,
      build = buildDatelineStack,
    }: { bundle?: boolean; build?: (app: App) => Stack } = {},
  ) {
    this.app = makeApp(context, { bundle });
    this.stack = build(this.app);
    this.template = Template.fromStack(this.stack);
    this.resources = this.template.toJSON().Resources;
  }

  /** The logical id of the one resource of `type` whose properties match `props`. */
  only(type: string, props: Record<string, unknown> = {}): string {
    const found = Object.keys(this.template.findResources(type, { Properties: props }));
    if (found.length !== 1)
      throw new Error(`${found.length} resources ${type} match ${JSON.stringify(props)}`);
    return found[0] as string;
  }

  /** The logical id of the function whose description matches `pattern` (a regexp source). */
  fn(pattern: string): string {
    return this.only("AWS::Lambda::Function", { Description: Match.stringLikeRegexp(pattern) });
  }

  /** A resource's Properties (throws when there is no such resource). */
  props(id: string): Record<string, unknown> {
    const resource = this.resources[id];
    if (!resource) throw new Error(`no resource ${id} in the template`);
    return resource.Properties;
  }

  env(functionId: string): Record<string, unknown> {
    return (this.props(functionId).Environment as { Variables: Record<string, unknown> }).Variables;
  }

  /** The logical id of a function's role. */
  roleOf(functionId: string): string {
    return (this.props(functionId).Role as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0];
  }

  /** Every statement of every policy attached to `role` (logical id), without Sids. */
  statementsOf(role: string): Record<string, unknown>[] {
    return policyStatements(this.resources)
      .filter(({ policy }) =>
        (this.props(policy).Roles as { Ref: string }[]).some((r) => r.Ref === role),
      )
      .map(({ statement }) => {
        const { Sid: _sid, ...rest } = statement as Statement & { Sid?: string };
        return rest;
      });
  }

  /** The findings cdk-nag's AwsSolutions pack reports (unacknowledged), as `rule @ path`. */
  nagFindings(): string[] {
    return new AwsSolutionsChecks()
      .validateScope(this.stack)
      .violations.flatMap((v) =>
        v.violatingResources.map((r) => `${v.ruleName} @ ${r.constructPath}`),
      );
  }
}

const synths = new Map<string, Synth>();

/**
 * The unbundled Synth of the stack for `context`, built once per test worker: the infra project
 * runs its files with `isolate: false` (vitest.config.ts), so the files of one worker share this
 * module, aws-cdk-lib's loaded modules and its template validator. Each context is still
 * synthesized (and validated against cdk.json's rules) once; callers only read it, they never
 * add constructs to it (a file that needs to change a stack builds its own with makeApp).
 */
export function synthFor(context: Record<string, unknown> = {}): Synth {
  const key = JSON.stringify(Object.entries(context).sort(([a], [b]) => a.localeCompare(b)));
  let synth = synths.get(key);
  if (!synth) {
    synth = new Synth(context);
    synths.set(key, synth);
  }
  return synth;
}

/** `{ "Fn::GetAtt": [id, "Arn"] }`. */
export const arnOf = (id: string) => ({ "Fn::GetAtt": [id, "Arn"] });
/** An object ARN pattern in a bucket, as CDK writes it (`<bucket arn>/<key>`). */
export const objectArn = (bucket: string, key: string) => ({
  "Fn::Join": ["", [arnOf(bucket), `/${key}`]],
});
