import { type CfnElement, Stack } from "aws-cdk-lib";
import type { IConstruct } from "constructs";

/**
 * Pins the logical id of a stateful or named resource to the one it had before the stack was
 * split into constructs. Nesting a construct changes its logical id, and CloudFormation treats
 * a new logical id as a new resource: a retained bucket would be orphaned and replaced by an
 * empty one, the distribution (and with it the *.cloudfront.net site URL subscribers use)
 * replaced, and a fixed-name SSM parameter would collide with itself.
 */
export function keepLogicalId(construct: IConstruct, logicalId: string): void {
  (construct.node.defaultChild as CfnElement).overrideLogicalId(logicalId);
}

/** The logical id a construct's resource has in the template (overrides included). */
export function logicalIdOf(construct: IConstruct): string {
  const element = construct.node.defaultChild as CfnElement;
  return Stack.of(construct).resolve(element.logicalId) as string;
}
