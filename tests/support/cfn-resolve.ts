/**
 * Resolves the CloudFormation intrinsics of a synthesized template into concrete values, as a
 * deploy into a fake account would: Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split and
 * the pseudo parameters. Each resource gets a physical name derived from its logical id (or the
 * name its properties give, or an override), and its attributes (Arn, QueueUrl, DomainName…)
 * follow AWS's ARN formats. Used by the IAM proof to turn the template's policies into the
 * policies AWS would evaluate.
 */
import { createHash } from "node:crypto";

export type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

export interface Environment {
  account: string;
  region: string;
  partition: string;
  stackName: string;
  /** Physical names by logical id (e.g. the article bucket → the test server's bucket). */
  physicalIds: Record<string, string>;
}

export const FAKE_ENVIRONMENT = {
  account: "111122223333",
  region: "eu-west-1",
  partition: "aws",
} as const;

export class Resolver {
  readonly env: Environment;
  readonly #resources: Resources;

  constructor(resources: Resources, env: Partial<Environment> & { stackName: string }) {
    this.#resources = resources;
    this.env = { ...FAKE_ENVIRONMENT, physicalIds: {}, ...env };
  }

  /** Any template value with every intrinsic resolved (throws on one it cannot resolve). */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== "object") return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [key, arg] = entries[0] as [string, unknown];
      switch (key) {
        case "Ref":
          return this.ref(String(arg));
        case "Fn::GetAtt": {
          const [id, attr] = (typeof arg === "string" ? arg.split(".") : arg) as [string, string];
          return this.getAtt(id, attr);
        }
        case "Fn::Join": {
          const [sep, parts] = arg as [string, unknown[]];
          return (this.resolve(parts) as unknown[]).map(String).join(sep);
        }
        case "Fn::Sub":
          return this.sub(arg);
        case "Fn::Select": {
          const [index, list] = arg as [unknown, unknown];
          return (this.resolve(list) as unknown[])[Number(this.resolve(index))];
        }
        case "Fn::Split": {
          const [sep, source] = arg as [string, unknown];
          return String(this.resolve(source)).split(sep);
        }
        default:
          if (key.startsWith("Fn::")) throw new Error(`cannot resolve ${key}`);
      }
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(v)]));
  }

  /** A string value (fails when it resolves to something else). */
  string(value: unknown): string {
    const resolved = this.resolve(value);
    if (typeof resolved !== "string") throw new Error(`not a string: ${JSON.stringify(value)}`);
    return resolved;
  }

  ref(id: string): string {
    const { account, region, partition, stackName } = this.env;
    switch (id) {
      case "AWS::AccountId":
        return account;
      case "AWS::Region":
        return region;
      case "AWS::Partition":
        return partition;
      case "AWS::URLSuffix":
        return "amazonaws.com";
      case "AWS::StackName":
        return stackName;
      case "AWS::StackId":
        return `arn:${partition}:cloudformation:${region}:${account}:stack/${stackName}/0`;
      case "AWS::NoValue":
        return "";
    }
    const resource = this.#resource(id);
    const name = this.nameOf(id);
    switch (resource.Type) {
      case "AWS::SQS::Queue":
        return `https://sqs.${region}.amazonaws.com/${account}/${name}`;
      case "AWS::SNS::Topic":
        return `arn:${partition}:sns:${region}:${account}:${name}`;
      default:
        return name;
    }
  }

  getAtt(id: string, attribute: string): string {
    const { account, region, partition } = this.env;
    const resource = this.#resource(id);
    const name = this.nameOf(id);
    const arn = (service: string, rest: string, inRegion = true, inAccount = true) =>
      `arn:${partition}:${service}:${inRegion ? region : ""}:${inAccount ? account : ""}:${rest}`;
    const type = resource.Type;
    const key = `${type}.${attribute}`;
    switch (key) {
      case "AWS::S3::Bucket.Arn":
        return `arn:${partition}:s3:::${name}`;
      case "AWS::S3::Bucket.DomainName":
      case "AWS::S3::Bucket.RegionalDomainName":
        return `${name}.s3.${region}.amazonaws.com`;
      case "AWS::SQS::Queue.Arn":
        return arn("sqs", name);
      case "AWS::SQS::Queue.QueueName":
        return name;
      case "AWS::SQS::Queue.QueueUrl":
        return this.ref(id);
      case "AWS::Lambda::Function.Arn":
        return arn("lambda", `function:${name}`);
      case "AWS::Lambda::Url.FunctionArn":
        return this.string(resource.Properties?.TargetFunctionArn);
      case "AWS::Lambda::Url.FunctionUrl":
        return `https://${this.#token(id, 32)}.lambda-url.${region}.on.aws/`;
      case "AWS::IAM::Role.Arn":
        return `arn:${partition}:iam::${account}:role/${name}`;
      case "AWS::Logs::LogGroup.Arn":
        return arn("logs", `log-group:${name}:*`);
      case "AWS::CloudFront::Distribution.DomainName":
        return `${this.#token(id, 14)}.cloudfront.net`;
      case "AWS::DynamoDB::Table.Arn":
        return arn("dynamodb", `table/${name}`);
      case "AWS::DynamoDB::Table.StreamArn":
        return arn("dynamodb", `table/${name}/stream/2026-01-01T00:00:00.000`);
      case "AWS::Events::Rule.Arn":
        return arn("events", `rule/${name}`);
      case "AWS::Scheduler::ScheduleGroup.Arn":
        return arn("scheduler", `schedule-group/${name}`);
      case "AWS::SNS::Topic.TopicArn":
        return this.ref(id);
      case "AWS::CloudWatch::Alarm.Arn":
        return arn("cloudwatch", `alarm:${name}`);
      case "AWS::KMS::Key.Arn":
        return arn("kms", `key/${name}`);
      default:
        throw new Error(`cannot resolve Fn::GetAtt ${id}.${attribute} (${type})`);
    }
  }

  /** The physical name of a resource: an override, the name its properties set, or one made up. */
  nameOf(id: string): string {
    const override = this.env.physicalIds[id];
    if (override) return override;
    const resource = this.#resource(id);
    const p = resource.Properties ?? {};
    const named: Record<string, string> = {
      "AWS::S3::Bucket": "BucketName",
      "AWS::SQS::Queue": "QueueName",
      "AWS::Lambda::Function": "FunctionName",
      "AWS::IAM::Role": "RoleName",
      "AWS::Logs::LogGroup": "LogGroupName",
      "AWS::SSM::Parameter": "Name",
      "AWS::DynamoDB::Table": "TableName",
      "AWS::SNS::Topic": "TopicName",
      "AWS::Scheduler::ScheduleGroup": "Name",
      "AWS::Events::Rule": "Name",
    };
    const property = named[resource.Type];
    if (property && p[property] !== undefined) return this.string(p[property]);
    switch (resource.Type) {
      case "AWS::S3::Bucket":
        return `${this.env.stackName}-${id}`.toLowerCase().slice(0, 63);
      case "AWS::CloudFront::Distribution":
        return `E${this.#token(id, 13).toUpperCase()}`;
      case "AWS::Logs::LogGroup":
        return `/aws/lambda/${this.env.stackName}-${id}`;
      default:
        return `${this.env.stackName}-${id}`.slice(0, 64);
    }
  }

  #sub(template: string, vars: Record<string, unknown>): string {
    return template.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
      if (name in vars) return String(this.resolve(vars[name]));
      if (name.includes(".")) {
        const [id, attr] = name.split(".") as [string, string];
        return this.getAtt(id, attr);
      }
      return this.ref(name);
    });
  }

  sub(arg: unknown): string {
    if (typeof arg === "string") return this.#sub(arg, {});
    const [template, vars] = arg as [string, Record<string, unknown>];
    return this.#sub(template, vars);
  }

  #resource(id: string) {
    const resource = this.#resources[id];
    if (!resource) throw new Error(`no resource ${id} in the template`);
    return resource;
  }

  #token(id: string, length: number): string {
    return createHash("sha256")
      .update(`${this.env.stackName}/${id}`)
      .digest("hex")
      .replace(/[^a-z]/g, "")
      .padEnd(length, "x")
      .slice(0, length);
  }
}
