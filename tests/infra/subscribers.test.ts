/**
 * The subscriber-count construct in the synthesized template: a daily function that may read
 * only the CloudFront log files, their 30-day expiry, and the dashboard operators look at.
 */
import type { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { CLOUDFRONT_LOG_PREFIX } from "../../infra/stack.ts";
import { CLOUDFRONT_LOG_DAYS } from "../../infra/subscribers.ts";
import { actionsOf, policyStatements, synthFor } from "./support.ts";

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
let resources: Resources;
let template: Template;

beforeAll(() => {
  template = synthFor().template;
  resources = template.toJSON().Resources as Resources;
});

/** A resource's Properties (fails the test when there is no such resource). */
const propsOf = (id: string): Record<string, unknown> => {
  const resource = resources[id];
  if (!resource) throw new Error(`no resource ${id}`);
  return resource.Properties;
};
const idsOf = (type: string) =>
  Object.entries(resources)
    .filter(([, r]) => r.Type === type)
    .map(([id]) => id);
const jobId = () => {
  const ids = idsOf("AWS::Lambda::Function").filter(
    (id) =>
      (resources[id]?.Properties.Environment as { Variables?: Record<string, unknown> })?.Variables
        ?.LOG_BUCKET,
  );
  expect(ids).toHaveLength(1);
  return ids[0] as string;
};
const logBucketId = () => {
  const distribution = propsOf(idsOf("AWS::CloudFront::Distribution")[0] as string);
  const logging = (
    distribution.DistributionConfig as {
      Logging: { Bucket: { "Fn::GetAtt": [string] } };
    }
  ).Logging;
  return logging.Bucket["Fn::GetAtt"][0];
};

describe("subscriber counts", () => {
  it("reads the bucket and prefix CloudFront logs to, for this distribution", () => {
    const fn = resources[jobId()]?.Properties as Record<string, unknown>;
    const env = (fn.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env.LOG_BUCKET).toEqual({ Ref: logBucketId() });
    expect(env.LOG_PREFIX).toBe(CLOUDFRONT_LOG_PREFIX);
    expect(env.DISTRIBUTION_ID).toEqual({ Ref: idsOf("AWS::CloudFront::Distribution")[0] });
    expect(env.METRIC_NAMESPACE).toBe("Dateline/Dateline");
    const distribution = resources[idsOf("AWS::CloudFront::Distribution")[0] as string];
    expect(JSON.stringify(distribution?.Properties)).toContain(
      `"Prefix":"${CLOUDFRONT_LOG_PREFIX}"`,
    );
    expect(fn.Runtime).toBe("nodejs24.x");
    // EMF lines must reach CloudWatch Logs unwrapped: text logging, not Lambda's JSON format.
    expect((fn.LoggingConfig as { LogFormat?: string } | undefined)?.LogFormat).not.toBe("JSON");
  });

  it("may read only the CloudFront log files and write only its own log group", () => {
    const role = (propsOf(jobId()).Role as { "Fn::GetAtt": [string] })["Fn::GetAtt"][0];
    const policies = idsOf("AWS::IAM::Policy").filter((id) =>
      JSON.stringify(resources[id]?.Properties.Roles).includes(role),
    );
    const statements = policyStatements(
      Object.fromEntries(policies.map((id) => [id, resources[id]])) as Resources,
    ).map((s) => s.statement);
    const bucket = logBucketId();
    const s3 = statements.filter((s) => actionsOf(s).some((a) => a.startsWith("s3:")));
    expect(s3).toEqual([
      {
        Sid: "ReadCloudFrontLogs",
        Effect: "Allow",
        Action: "s3:GetObject",
        Resource: {
          "Fn::Join": ["", [{ "Fn::GetAtt": [bucket, "Arn"] }, `/${CLOUDFRONT_LOG_PREFIX}*`]],
        },
      },
      {
        Sid: "ListCloudFrontLogs",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: { "Fn::GetAtt": [bucket, "Arn"] },
        Condition: { StringLike: { "s3:prefix": [`${CLOUDFRONT_LOG_PREFIX}*`] } },
      },
    ]);
    const others = statements.filter((s) => !s3.includes(s));
    expect(others.flatMap(actionsOf).every((a) => a.startsWith("logs:"))).toBe(true);
    expect(JSON.stringify(others)).not.toContain('"*"');
    // No CloudWatch API at all: metrics are log lines.
    expect(statements.flatMap(actionsOf).some((a) => a.startsWith("cloudwatch:"))).toBe(false);
    expect(idsOf("AWS::IAM::ManagedPolicy")).toEqual([]);
  });

  it("runs daily at 02:30 UTC, retrying twice", () => {
    const rules = idsOf("AWS::Events::Rule").filter((id) =>
      JSON.stringify(resources[id]?.Properties.Targets).includes(jobId()),
    );
    expect(rules).toHaveLength(1);
    const rule = resources[rules[0] as string]?.Properties as Record<string, unknown>;
    expect(rule.ScheduleExpression).toBe("cron(30 2 * * ? *)");
    expect(JSON.stringify(rule.Targets)).toContain('"MaximumRetryAttempts":2');
  });

  it("expires CloudFront logs after 30 days (the rest of the log bucket keeps its rule)", () => {
    const rules = (
      propsOf(logBucketId()).LifecycleConfiguration as {
        Rules: Record<string, unknown>[];
      }
    ).Rules;
    expect(rules).toContainEqual({
      Id: "expire-cloudfront-logs",
      Prefix: CLOUDFRONT_LOG_PREFIX,
      ExpirationInDays: CLOUDFRONT_LOG_DAYS,
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      Status: "Enabled",
    });
    expect(rules.some((r) => r.Id === "expire-logs")).toBe(true);
  });

  it("has a dashboard of the metrics the job writes, and its URL as an output", () => {
    const dashboards = idsOf("AWS::CloudWatch::Dashboard");
    expect(dashboards).toHaveLength(1);
    const props = resources[dashboards[0] as string]?.Properties as {
      DashboardName: string;
      DashboardBody: { "Fn::Join": [string, unknown[]] };
    };
    expect(props.DashboardName).toBe("Dateline-subscribers");
    // The body as CloudWatch reads it, with the region and log group references filled in.
    const parts = props.DashboardBody["Fn::Join"][1];
    const body = JSON.parse(parts.map((p) => (typeof p === "string" ? p : "REF")).join("")) as {
      widgets: { type: string; properties: { metrics?: unknown[]; query?: string } }[];
    };
    const metrics = body.widgets.flatMap((w) => w.properties.metrics ?? []);
    expect(metrics).toContainEqual([
      "Dateline/Dateline",
      "Subscribers",
      "Site",
      "all feeds",
      { label: "subscriptions", period: 86400, stat: "Maximum" },
    ]);
    const expressions = JSON.stringify(metrics);
    for (const dimension of ["Aggregator", "Feed"])
      expect(expressions).toContain(
        `SEARCH('{Dateline/Dateline,${dimension}} MetricName=\\"Subscribers\\"'`,
      );
    const query = body.widgets.find((w) => w.type === "log")?.properties.query ?? "";
    expect(query).toContain("SOURCE 'REF'");
    expect(query).toContain('filter message = "subscribers"');
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const url = Object.entries(outputs).find(([id]) => id.includes("DashboardUrl"));
    expect(JSON.stringify(url?.[1].Value)).toContain("#dashboards:name=");
    expect(JSON.stringify(url?.[1].Value)).toContain(`{"Ref":"${dashboards[0]}"}`);
  });
});
