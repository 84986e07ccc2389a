/**
 * The article index table (infra/constructs/index-table.ts): the layout the code expects
 * (functions/index/dynamodb.ts), on-demand, point-in-time recovery, encryption, retained like the
 * bucket; read-only for the feed function, single-item writes for the indexer, nobody else.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { indexTableDefinition } from "../../functions/index/dynamodb.ts";
import { actionsOf, arnOf, policyStatements, type Synth, synthFor } from "./support.ts";

/** The feed function and the indexer wired for the index (what the stack does once their entries move). */
let synth: Synth;
/** The whole stack as it is built today, with every optional part (WebSub). */
let full: Synth;
const table = () => synth.only("AWS::DynamoDB::Table");
const feed = () => synth.fn("^Dateline: renders");
const indexer = () => synth.fn("^Dateline indexer");

beforeAll(() => {
  synth = synthFor();
  full = synthFor({ "dateline:hubUrl": "https://hub.example.org/websub" });
});

describe("index table", () => {
  it("has the key layout the index code creates (pk/sk strings, no secondary index), on demand", () => {
    const expected = indexTableDefinition("ignored");
    const props = synth.props(table());
    expect(props.KeySchema).toEqual(expected.KeySchema);
    expect(props.AttributeDefinitions).toEqual(expected.AttributeDefinitions);
    expect(props.BillingMode).toBe("PAY_PER_REQUEST");
    expect(props).not.toHaveProperty("ProvisionedThroughput");
    expect(props).not.toHaveProperty("GlobalSecondaryIndexes");
    expect(props).not.toHaveProperty("LocalSecondaryIndexes");
    // A generated name: two stacks in one account never share a table.
    expect(props).not.toHaveProperty("TableName");
  });

  it("keeps point-in-time recovery, encrypts under the AWS managed key and is retained", () => {
    synth.template.hasResource("AWS::DynamoDB::Table", {
      Properties: {
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        // SSEEnabled without a key of the stack's own: the AWS managed key (aws/dynamodb).
        SSESpecification: { SSEEnabled: true },
      },
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
    });
    const sse = synth.props(table()).SSESpecification as Record<string, unknown>;
    expect(sse).not.toHaveProperty("KMSMasterKeyId");
    expect(synth.template.findResources("AWS::KMS::Key")).toEqual({});
  });

  it("is named to both functions as INDEX_TABLE", () => {
    expect(synth.env(feed()).INDEX_TABLE).toEqual({ Ref: table() });
    expect(synth.env(indexer()).INDEX_TABLE).toEqual({ Ref: table() });
  });

  it("lets the feed function only GetItem and Query it", () => {
    const dynamo = synth
      .statementsOf(synth.roleOf(feed()))
      .filter((s) => actionsOf(s as never).some((a) => a.startsWith("dynamodb:")));
    expect(dynamo).toEqual([
      { Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:Query"], Resource: arnOf(table()) },
    ]);
  });

  it("lets the indexer read and make single-item writes, no Scan, batch or stream access", () => {
    const dynamo = synth
      .statementsOf(synth.roleOf(indexer()))
      .filter((s) => actionsOf(s as never).some((a) => a.startsWith("dynamodb:")));
    expect(dynamo).toEqual([
      {
        Effect: "Allow",
        Action: [
          "dynamodb:DeleteItem",
          "dynamodb:GetItem",
          "dynamodb:PutItem",
          "dynamodb:Query",
          "dynamodb:UpdateItem",
        ],
        Resource: arnOf(table()),
      },
    ]);
  });

  it("is reachable by no other role, and no dynamodb action anywhere is a wildcard", () => {
    for (const stack of [synth, full]) {
      const feedRole = stack.roleOf(stack.fn("^Dateline: renders"));
      const indexerRole = stack.roleOf(stack.fn("^Dateline indexer"));
      for (const { policy, statement } of policyStatements(stack.resources)) {
        const actions = actionsOf(statement).filter((a) => a.startsWith("dynamodb:"));
        if (actions.length === 0) continue;
        for (const action of actions) expect(action, policy).not.toMatch(/\*/);
        expect(statement.Resource, policy).not.toBe("*");
        const attached = (stack.props(policy).Roles as { Ref: string }[]).map((r) => r.Ref);
        for (const role of attached) expect([feedRole, indexerRole], policy).toContain(role);
      }
    }
  });

  it("leaves cdk-nag with nothing to report (DDB3: point-in-time recovery)", () => {
    for (const stack of [synth, full])
      expect(stack.nagFindings().filter((f) => f.includes("/Index/"))).toEqual([]);
  });
});
