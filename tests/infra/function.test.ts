/**
 * What the three Dateline functions share (infra/constructs/function.ts): Node.js 24 on arm64,
 * JSON logs with Lambda's system lines at WARN, source-mapped stacks, their own log group and a role
 * that may write only there, no reserved concurrency. Template only, no bundling.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { arnOf, type Synth, synthFor } from "./support.ts";

let synth: Synth;
const FUNCTIONS = {
  feed: "^Dateline: renders",
  indexer: "^Dateline indexer",
  websub: "^Dateline: invalidates",
} as const;

beforeAll(() => {
  synth = synthFor({ "dateline:hubUrl": "https://hub.example.org/websub" });
});

describe.each(Object.entries(FUNCTIONS))("the %s function", (name, description) => {
  const fn = () => synth.fn(description);

  it("runs Node.js 24 on arm64 from an ESM bundle's handler export", () => {
    expect(synth.props(fn())).toMatchObject({
      Runtime: "nodejs24.x",
      Architectures: ["arm64"],
      Handler: "index.handler",
    });
  });

  it("logs JSON, without Lambda's START/END/REPORT lines, to a log group of its own kept a month", () => {
    const logging = synth.props(fn()).LoggingConfig as { LogGroup: { Ref: string } };
    expect(logging).toMatchObject({ LogFormat: "JSON", SystemLogLevel: "WARN" });
    expect(synth.resources[logging.LogGroup.Ref]).toMatchObject({
      Type: "AWS::Logs::LogGroup",
      Properties: { RetentionInDays: 30 },
      DeletionPolicy: "Delete",
    });
    const logStatements = synth
      .statementsOf(synth.roleOf(fn()))
      .filter((s) => JSON.stringify(s.Action).includes("logs:"));
    expect(logStatements).toEqual([
      {
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: arnOf(logging.LogGroup.Ref),
      },
    ]);
  });

  it("maps stack traces through its source map", () => {
    if (name === "feed") {
      // The feed function maps the stacks it logs itself (handlers/source-map.ts), so its cold
      // start does not parse the map; tests/deploy/feed-bundle.test.ts checks the map ships.
      expect(synth.env(fn())).not.toHaveProperty("NODE_OPTIONS");
    } else {
      expect(String(synth.env(fn()).NODE_OPTIONS)).toMatch(/^--enable-source-maps( |$)/);
    }
  });

  it("reserves no concurrency and has a role of its own with no managed policy", () => {
    expect(synth.props(fn())).not.toHaveProperty("ReservedConcurrentExecutions");
    const role = synth.roleOf(fn());
    expect(synth.props(role)).not.toHaveProperty("ManagedPolicyArns");
    const others = Object.values(FUNCTIONS)
      .filter((d) => d !== description)
      .map((d) => synth.roleOf(synth.fn(d)));
    expect(others).not.toContain(role);
  });
});
