/**
 * The operator alarms: a dead-letter queue holding a message, indexer errors, and feed function
 * 5xx/errors/throttles, each notifying one TLS-only SNS topic, with an e-mail subscription only
 * when dateline:alarmEmail is set.
 */
import { AwsSolutionsChecks } from "cdk-nag";
import { beforeAll, describe, expect, it } from "vitest";
import { synthFor } from "./support.ts";

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

function synth(context: Record<string, unknown> = {}) {
  const { stack, resources } = synthFor(context);
  return { stack, resources: resources as Resources };
}

const ofType = (resources: Resources, type: string) =>
  Object.entries(resources).filter(([, r]) => r.Type === type);

// One stack with everything (a hub, so both dead-letter queues, and an alarm e-mail), one without.
let full: ReturnType<typeof synth>;
let plain: ReturnType<typeof synth>;
beforeAll(() => {
  full = synth({
    "dateline:hubUrl": "https://hub.example.org/",
    "dateline:alarmEmail": "ops@example.com",
  });
  plain = synth();
});

describe("operator alarms", () => {
  it("watches every dead-letter queue, the indexer's errors and the feed function's failures", () => {
    const { resources } = full;
    const topic = ofType(resources, "AWS::SNS::Topic").map(([id]) => id);
    expect(topic).toHaveLength(1);
    const alarms = ofType(resources, "AWS::CloudWatch::Alarm").map(([, r]) => r.Properties);
    const dlqs = ofType(resources, "AWS::SQS::Queue")
      .filter(([, r]) => !r.Properties.RedrivePolicy)
      .map(([id]) => id)
      .sort();
    expect(dlqs).toHaveLength(2); // the article events' and the WebSub pings'
    const watchedQueues = alarms
      .filter((a) => a.MetricName === "ApproximateNumberOfMessagesVisible")
      .map(
        (a) =>
          (a.Dimensions as { Value: { "Fn::GetAtt": [string, string] } }[])[0]?.Value[
            "Fn::GetAtt"
          ][0],
      )
      .sort();
    expect(watchedQueues).toEqual(dlqs);
    const indexer = ofType(resources, "AWS::Lambda::Function").find(([id]) =>
      id.startsWith("IndexerFunction"),
    )?.[0];
    expect(alarms).toContainEqual(
      expect.objectContaining({
        MetricName: "Errors",
        Namespace: "AWS/Lambda",
        Dimensions: [{ Name: "FunctionName", Value: { Ref: indexer } }],
      }),
    );
    const feed = alarms.find((a) => Array.isArray(a.Metrics));
    const metricNames = (
      (feed?.Metrics ?? []) as { MetricStat?: { Metric: { MetricName: string } } }[]
    )
      .map((m) => m.MetricStat?.Metric.MetricName)
      .filter(Boolean)
      .sort();
    expect(metricNames).toEqual(["Errors", "Throttles", "Url5xxCount"]);
    for (const alarm of alarms) {
      expect(alarm).toMatchObject({
        ComparisonOperator: "GreaterThanThreshold",
        Threshold: 0,
        EvaluationPeriods: 1,
        TreatMissingData: "notBreaching",
        AlarmActions: [{ Ref: topic[0] }],
        OKActions: [{ Ref: topic[0] }],
      });
    }
    expect(alarms).toHaveLength(4);
  });

  it("publishes to a topic that refuses non-TLS requests", () => {
    const { resources } = plain;
    const [policy] = ofType(resources, "AWS::SNS::TopicPolicy").map(([, r]) => r.Properties);
    expect(JSON.stringify(policy?.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
  });

  it("subscribes dateline:alarmEmail by e-mail, and nobody without it", () => {
    expect(ofType(plain.resources, "AWS::SNS::Subscription")).toEqual([]);
    const { stack, resources } = full;
    expect(ofType(resources, "AWS::SNS::Subscription").map(([, r]) => r.Properties)).toEqual([
      expect.objectContaining({ Protocol: "email", Endpoint: "ops@example.com" }),
    ]);
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
  });

  it("refuses an alarm e-mail that is not an address, naming the setting", () => {
    expect(() => synth({ "dateline:alarmEmail": "ops at example" })).toThrow(
      /dateline:alarmEmail must be an e-mail address/,
    );
  });
});
