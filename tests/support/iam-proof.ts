/**
 * The IAM proof: every AWS request a synthesized function really makes (recorded at the HTTP
 * level, whatever client the bundle uses), mapped to what IAM evaluates for it (action, resource
 * ARN, the condition keys AWS sets) and evaluated with a real policy evaluator
 * (@cloud-copilot/iam-simulate, a test-only dependency) against that function's synthesized role
 * policies and the target's resource policy, with every CloudFormation intrinsic resolved into
 * a fake account.
 *
 *   const proxy = await startRecordingProxy({ s3: s3rver.endpoint, sqs: stub.url });
 *   // run the bundle with proxy.env as its endpoints, then:
 *   const verdicts = await proveCalls(proof, "FeedFunction…", proxy.records());
 *
 * Services mapped: S3 (path style), SSM, SQS (JSON and query protocols), CloudFront, DynamoDB,
 * EventBridge Scheduler. A request it cannot map fails the proof: an unknown call is never
 * silently allowed.
 *
 * S3's missing-key rule is part of the mapping: a GetObject (or HEAD) of a key that does not
 * exist answers 404 only when the caller may also ListBucket that key (evaluated with
 * `s3:prefix` = the key); otherwise AWS answers 403 AccessDenied. s3rver has no IAM and answers
 * 404 either way, so every object read also requires that ListBucket: any key a function reads
 * can be missing at some time (an article deleted since the listing, a manifest not yet written).
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { anonymousPrincipal, runSimulation } from "@cloud-copilot/iam-simulate";
import type { Resolver, Resources } from "./cfn-resolve.ts";

export type Service = "s3" | "ssm" | "sqs" | "cloudfront" | "dynamodb" | "scheduler";

/** One HTTP request as it reached the proxy, and the status the backend answered. */
export interface RecordedRequest {
  service: Service;
  method: string;
  /** Path without the query, percent-encoding intact. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

/** What IAM evaluates for a request. */
export interface IamRequest {
  action: string;
  resource: string;
  context: Record<string, string | string[]>;
  /** Why this check exists, when it is not the request itself (e.g. S3's missing-key rule). */
  because?: string;
  /** The recorded request it came from, for messages. */
  from: string;
}

export interface RecordingProxy {
  /** Endpoint variables for a function's environment (AWS_ENDPOINT_URL_<SERVICE>). */
  readonly env: Record<string, string>;
  records(): RecordedRequest[];
  clear(): void;
  close(): Promise<void>;
}

const ENDPOINT_VARIABLE: Record<Service, string> = {
  s3: "AWS_ENDPOINT_URL_S3",
  ssm: "AWS_ENDPOINT_URL_SSM",
  sqs: "AWS_ENDPOINT_URL_SQS",
  cloudfront: "AWS_ENDPOINT_URL_CLOUDFRONT",
  dynamodb: "AWS_ENDPOINT_URL_DYNAMODB",
  scheduler: "AWS_ENDPOINT_URL_SCHEDULER",
};

/**
 * One forwarding proxy per service on 127.0.0.1, each in front of the given backend (s3rver, a
 * stub…), recording every request and the backend's status. Bodies are forwarded untouched, so
 * signatures stay valid.
 */
export async function startRecordingProxy(
  backends: Partial<Record<Service, string>>,
): Promise<RecordingProxy> {
  const records: RecordedRequest[] = [];
  const servers = await Promise.all(
    (Object.entries(backends) as [Service, string][]).map(async ([service, backend]) => {
      const target = new URL(backend);
      const server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
          const body = Buffer.concat(chunks);
          const upstream = httpRequest(
            {
              host: target.hostname,
              port: target.port,
              method: req.method,
              path: req.url,
              headers: { ...req.headers, host: target.host },
            },
            (answer) => {
              const url = new URL(req.url ?? "/", "http://proxy");
              records.push({
                service,
                method: req.method ?? "GET",
                path: url.pathname,
                query: url.searchParams,
                headers: req.headers,
                body: body.toString("utf8"),
                status: answer.statusCode ?? 0,
              });
              res.writeHead(answer.statusCode ?? 502, answer.headers);
              answer.pipe(res);
            },
          );
          upstream.on("error", (error) => {
            res.writeHead(502);
            res.end(String(error));
          });
          upstream.end(body);
        });
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const port = (server.address() as AddressInfo).port;
      return { service, server, url: `http://127.0.0.1:${port}` };
    }),
  );
  return {
    env: Object.fromEntries(servers.map((s) => [ENDPOINT_VARIABLE[s.service], s.url])),
    records: () => [...records],
    clear: () => {
      records.length = 0;
    },
    close: () =>
      Promise.all(
        servers.map(
          ({ server }) =>
            new Promise<void>((resolve) => {
              server.closeAllConnections();
              server.close(() => resolve());
            }),
        ),
      ).then(() => undefined),
  };
}

/** Where a request is evaluated: the fake account and region the template is resolved into. */
export interface Target {
  account: string;
  region: string;
  partition: string;
}

/** The IAM requests behind one recorded HTTP request (throws for one it cannot map). */
export function iamRequestsOf(record: RecordedRequest, target: Target): IamRequest[] {
  const { account, region, partition } = target;
  const from = `${record.service} ${record.method} ${record.path}${record.query.size ? `?${record.query}` : ""}`;
  const out: IamRequest[] = [];
  const add = (action: string, resource: string, context = {}, because?: string) =>
    out.push({ action, resource, context, from, ...(because ? { because } : {}) });
  const target_ = record.headers["x-amz-target"];
  const json = () => JSON.parse(record.body || "{}") as Record<string, unknown>;
  switch (record.service) {
    case "s3": {
      const [bucket, ...rest] = record.path.slice(1).split("/");
      if (!bucket) throw new Error(`unmapped S3 request ${from}`);
      const key = rest.map(decodeURIComponent).join("/");
      const bucketArn = `arn:${partition}:s3:::${bucket}`;
      const q = record.query;
      if (key === "") {
        if (record.method === "GET" && !q.has("location") && !q.has("versions")) {
          const context: Record<string, string> = { "s3:prefix": q.get("prefix") ?? "" };
          if (q.has("delimiter")) context["s3:delimiter"] = q.get("delimiter") as string;
          if (q.has("max-keys")) context["s3:max-keys"] = q.get("max-keys") as string;
          add("s3:ListBucket", bucketArn, context);
        } else if (record.method === "GET" && q.has("versions")) {
          add("s3:ListBucketVersions", bucketArn, { "s3:prefix": q.get("prefix") ?? "" });
        } else if (record.method === "GET" && q.has("location")) {
          add("s3:GetBucketLocation", bucketArn);
        } else if (record.method === "POST" && q.has("delete")) {
          for (const [, k] of record.body.matchAll(/<Key>([^<]*)<\/Key>/g))
            add("s3:DeleteObject", `${bucketArn}/${xmlText(k ?? "")}`);
        } else {
          throw new Error(`unmapped S3 bucket request ${from}`);
        }
        break;
      }
      const objectArn = `${bucketArn}/${key}`;
      if (record.method === "GET" || record.method === "HEAD") {
        add(q.has("versionId") ? "s3:GetObjectVersion" : "s3:GetObject", objectArn);
        add(
          "s3:ListBucket",
          bucketArn,
          { "s3:prefix": key },
          `S3 answers a GetObject of a missing key with 404 only with ListBucket on the key (else 403)${record.status === 404 ? "; this one was missing" : ""}`,
        );
      } else if (record.method === "PUT" || record.method === "POST") {
        add("s3:PutObject", objectArn);
        const source = record.headers["x-amz-copy-source"];
        if (typeof source === "string")
          add(
            "s3:GetObject",
            `arn:${partition}:s3:::${decodeURIComponent(source.replace(/^\//, ""))}`,
          );
      } else if (record.method === "DELETE") {
        add("s3:DeleteObject", objectArn);
      } else {
        throw new Error(`unmapped S3 object request ${from}`);
      }
      break;
    }
    case "ssm": {
      const op = String(target_ ?? "").replace(/^AmazonSSM\./, "");
      const body = json();
      const names = op === "GetParameters" ? (body.Names as string[]) : [String(body.Name ?? "")];
      if (!["GetParameter", "GetParameters", "PutParameter"].includes(op))
        throw new Error(`unmapped SSM request ${from} (${op})`);
      for (const name of names) {
        const resource = `arn:${partition}:ssm:${region}:${account}:parameter${name.startsWith("/") ? "" : "/"}${name}`;
        add(`ssm:${op === "GetParameters" ? "GetParameters" : op}`, resource);
      }
      break;
    }
    case "sqs": {
      let op: string;
      let params: Record<string, unknown>;
      if (typeof target_ === "string") {
        op = target_.replace(/^AmazonSQS\./, "");
        params = json();
      } else {
        const form = new URLSearchParams(record.body);
        op = form.get("Action") ?? "";
        params = Object.fromEntries(form);
      }
      const queueArn = (url: unknown) => {
        const parts = new URL(String(url)).pathname.split("/").filter(Boolean);
        const [queueAccount, name] = parts as [string, string];
        return `arn:${partition}:sqs:${region}:${queueAccount}:${name}`;
      };
      const action = { SendMessageBatch: "SendMessage", DeleteMessageBatch: "DeleteMessage" }[op];
      const known = [
        "SendMessage",
        "SendMessageBatch",
        "ReceiveMessage",
        "DeleteMessage",
        "DeleteMessageBatch",
        "ChangeMessageVisibility",
        "GetQueueAttributes",
      ];
      if (op === "GetQueueUrl") {
        add("sqs:GetQueueUrl", `arn:${partition}:sqs:${region}:${account}:${params.QueueName}`);
      } else if (known.includes(op)) {
        add(`sqs:${action ?? op}`, queueArn(params.QueueUrl));
      } else {
        throw new Error(`unmapped SQS request ${from} (${op})`);
      }
      break;
    }
    case "cloudfront": {
      const match = /^\/\d{4}-\d{2}-\d{2}\/distribution\/([^/]+)\/invalidation(\/[^/]+)?$/.exec(
        record.path,
      );
      if (!match) throw new Error(`unmapped CloudFront request ${from}`);
      const resource = `arn:${partition}:cloudfront::${account}:distribution/${match[1]}`;
      if (record.method === "POST") add("cloudfront:CreateInvalidation", resource);
      else if (record.method === "GET" && match[2]) add("cloudfront:GetInvalidation", resource);
      else if (record.method === "GET") add("cloudfront:ListInvalidations", resource);
      else throw new Error(`unmapped CloudFront request ${from}`);
      break;
    }
    case "dynamodb": {
      const op = String(target_ ?? "").replace(/^DynamoDB_\d+\./, "");
      const body = json();
      const table = (name: unknown) =>
        `arn:${partition}:dynamodb:${region}:${account}:table/${String(name)}`;
      if (op === "BatchGetItem" || op === "BatchWriteItem") {
        const items = body.RequestItems as Record<string, unknown[]>;
        for (const [name, requests] of Object.entries(items)) {
          if (op === "BatchGetItem") add("dynamodb:BatchGetItem", table(name));
          else {
            const kinds = new Set(
              (requests as Record<string, unknown>[]).map((r) =>
                "PutRequest" in r ? "PutItem" : "DeleteItem",
              ),
            );
            add("dynamodb:BatchWriteItem", table(name));
            for (const kind of kinds) add(`dynamodb:${kind}`, table(name), {}, "BatchWriteItem");
          }
        }
      } else if (op === "TransactWriteItems" || op === "TransactGetItems") {
        const ops: Record<string, string> = {
          Put: "PutItem",
          Update: "UpdateItem",
          Delete: "DeleteItem",
          ConditionCheck: "ConditionCheckItem",
          Get: "GetItem",
        };
        for (const item of body.TransactItems as Record<string, { TableName: string }>[]) {
          for (const [kind, spec] of Object.entries(item)) {
            const action = ops[kind];
            if (!action) throw new Error(`unmapped DynamoDB transaction item ${kind} in ${from}`);
            add(`dynamodb:${action}`, table(spec.TableName));
          }
        }
      } else if (
        [
          "GetItem",
          "PutItem",
          "UpdateItem",
          "DeleteItem",
          "Query",
          "Scan",
          "DescribeTable",
        ].includes(op)
      ) {
        const base = table(body.TableName);
        const index = body.IndexName;
        add(`dynamodb:${op}`, index ? `${base}/index/${String(index)}` : base);
      } else {
        throw new Error(`unmapped DynamoDB request ${from} (${op})`);
      }
      break;
    }
    case "scheduler": {
      const match = /^\/schedules\/([^/]+)$/.exec(record.path);
      if (!match) throw new Error(`unmapped Scheduler request ${from}`);
      const name = decodeURIComponent(match[1] as string);
      const body = json();
      const group = String(body.GroupName ?? record.query.get("groupName") ?? "default");
      const resource = `arn:${partition}:scheduler:${region}:${account}:schedule/${group}/${name}`;
      const action = {
        POST: "CreateSchedule",
        PUT: "UpdateSchedule",
        GET: "GetSchedule",
        DELETE: "DeleteSchedule",
      }[record.method];
      if (!action) throw new Error(`unmapped Scheduler request ${from}`);
      add(`scheduler:${action}`, resource);
      const role = (body.Target as { RoleArn?: string } | undefined)?.RoleArn;
      if (role)
        add(
          "iam:PassRole",
          role,
          { "iam:PassedToService": "scheduler.amazonaws.com" },
          "the schedule's target role",
        );
      break;
    }
  }
  return out;
}

function xmlText(s: string): string {
  return s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}

type PolicyDocument = { Version?: string; Statement: Record<string, unknown>[] };

/**
 * A synthesized template resolved into a fake account: each role's identity policies and each
 * resource's resource policy, as AWS would hold them after `cdk deploy`.
 */
export class IamProof {
  readonly target: Target;
  readonly #resources: Resources;
  readonly #resolver: Resolver;
  /** Statements removed (by Sid, per role), to show that the proof can fail. */
  readonly #without = new Map<string, Set<string>>();

  constructor(resources: Resources, resolver: Resolver) {
    this.#resources = resources;
    this.#resolver = resolver;
    const { account, region, partition } = resolver.env;
    this.target = { account, region, partition };
  }

  /** The same proof with one statement (by Sid) left out of a role's policies. */
  without(roleLogicalId: string, sid: string): IamProof {
    const copy = new IamProof(this.#resources, this.#resolver);
    for (const [role, sids] of this.#without) copy.#without.set(role, new Set(sids));
    copy.#without.set(roleLogicalId, new Set([...(copy.#without.get(roleLogicalId) ?? []), sid]));
    return copy;
  }

  /** The role a function runs as (logical id). */
  roleOf(functionLogicalId: string): string {
    const role = this.#resource(functionLogicalId).Properties?.Role as {
      "Fn::GetAtt"?: [string, string];
    };
    const id = role?.["Fn::GetAtt"]?.[0];
    if (!id) throw new Error(`${functionLogicalId} has no role of this stack`);
    return id;
  }

  roleArn(roleLogicalId: string): string {
    return this.#resolver.getAtt(roleLogicalId, "Arn");
  }

  /** Identity policies of a role: its inline Policies and every AWS::IAM::Policy attached to it. */
  identityPolicies(roleLogicalId: string): { name: string; policy: PolicyDocument }[] {
    const role = this.#resource(roleLogicalId);
    if (role.Properties?.ManagedPolicyArns)
      throw new Error(`${roleLogicalId} has managed policies, which this proof cannot read`);
    const removed = this.#without.get(roleLogicalId) ?? new Set();
    const policies: { name: string; policy: PolicyDocument }[] = [];
    const push = (name: string, document: unknown) => {
      const policy = this.#resolver.resolve(document) as PolicyDocument;
      policy.Statement = policy.Statement.filter((s) => !removed.has(String(s.Sid ?? "")));
      policies.push({ name, policy });
    };
    for (const inline of (role.Properties?.Policies ?? []) as {
      PolicyName: string;
      PolicyDocument: unknown;
    }[])
      push(inline.PolicyName, inline.PolicyDocument);
    for (const [id, resource] of Object.entries(this.#resources)) {
      if (resource.Type !== "AWS::IAM::Policy") continue;
      const roles = (resource.Properties?.Roles ?? []) as { Ref?: string }[];
      if (roles.some((r) => r.Ref === roleLogicalId)) push(id, resource.Properties?.PolicyDocument);
    }
    return policies;
  }

  /** The resource policy AWS evaluates for `request`, if the stack sets one. */
  resourcePolicy(request: Pick<IamRequest, "action" | "resource">): PolicyDocument | undefined {
    const service = request.action.split(":")[0];
    const statements: Record<string, unknown>[] = [];
    for (const resource of Object.values(this.#resources)) {
      const p = resource.Properties ?? {};
      if (service === "s3" && resource.Type === "AWS::S3::BucketPolicy") {
        const bucket = `arn:${this.target.partition}:s3:::${this.#resolver.string(p.Bucket)}`;
        if (request.resource === bucket || request.resource.startsWith(`${bucket}/`))
          statements.push(
            ...(this.#resolver.resolve(p.PolicyDocument) as PolicyDocument).Statement,
          );
      } else if (service === "sqs" && resource.Type === "AWS::SQS::QueuePolicy") {
        const queues = (this.#resolver.resolve(p.Queues) as string[]).map((url) => {
          const [account, name] = new URL(url).pathname.split("/").filter(Boolean);
          return `arn:${this.target.partition}:sqs:${this.target.region}:${account}:${name}`;
        });
        if (queues.includes(request.resource))
          statements.push(
            ...(this.#resolver.resolve(p.PolicyDocument) as PolicyDocument).Statement,
          );
      } else if (service === "lambda" && resource.Type === "AWS::Lambda::Permission") {
        const statement = this.#permissionStatement(p);
        if (statement.Resource === request.resource) statements.push(statement);
      }
    }
    return statements.length > 0 ? { Version: "2012-10-17", Statement: statements } : undefined;
  }

  /** An AWS::Lambda::Permission as the statement Lambda adds to the function's policy. */
  #permissionStatement(p: Record<string, unknown>): Record<string, unknown> {
    const r = this.#resolver;
    const principal = r.string(p.Principal);
    const condition: Record<string, Record<string, string>> = {};
    if (p.SourceArn) condition.ArnLike = { "AWS:SourceArn": r.string(p.SourceArn) };
    if (p.SourceAccount)
      condition.StringEquals = { "AWS:SourceAccount": r.string(p.SourceAccount) };
    if (p.FunctionUrlAuthType)
      condition.StringEquals = {
        ...condition.StringEquals,
        "lambda:FunctionUrlAuthType": r.string(p.FunctionUrlAuthType),
      };
    if (p.InvokedViaFunctionUrl === true)
      condition.Bool = { "lambda:InvokedViaFunctionUrl": "true" };
    let functionArn = r.string(p.FunctionName);
    if (!functionArn.startsWith("arn:"))
      functionArn = `arn:${this.target.partition}:lambda:${this.target.region}:${this.target.account}:function:${functionArn}`;
    return {
      Effect: "Allow",
      Principal: principal.endsWith(".amazonaws.com")
        ? { Service: principal }
        : principal === "*"
          ? "*"
          : {
              AWS: /^\d{12}$/.test(principal)
                ? `arn:${this.target.partition}:iam::${principal}:root`
                : principal,
            },
      Action: r.string(p.Action),
      Resource: functionArn,
      ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
    };
  }

  #resource(id: string) {
    const resource = this.#resources[id];
    if (!resource) throw new Error(`no resource ${id} in the template`);
    return resource;
  }
}

export interface Verdict {
  request: IamRequest;
  result: string;
}

/** Evaluates one request for a principal against its identity policies and the resource policy. */
export async function evaluate(
  proof: IamProof,
  principal: { roleLogicalId: string } | { service: string } | "anonymous" | { arn: string },
  request: IamRequest,
): Promise<string> {
  const identityPolicies =
    typeof principal === "object" && "roleLogicalId" in principal
      ? proof.identityPolicies(principal.roleLogicalId)
      : [];
  const principalValue =
    principal === "anonymous"
      ? anonymousPrincipal
      : "roleLogicalId" in principal
        ? proof.roleArn(principal.roleLogicalId)
        : "service" in principal
          ? principal.service
          : principal.arn;
  const resourcePolicy = proof.resourcePolicy(request);
  const principalContext: Record<string, string> =
    typeof principalValue === "string" && principalValue.startsWith("arn:")
      ? {
          "aws:PrincipalArn": principalValue,
          "aws:PrincipalAccount": principalValue.split(":")[4] ?? "",
        }
      : {};
  const result = await runSimulation(
    {
      request: {
        principal: principalValue,
        action: request.action,
        resource: { resource: request.resource, accountId: proof.target.account },
        contextVariables: {
          // On AWS every SDK call goes over HTTPS (the proxy here is plain HTTP on 127.0.0.1).
          "aws:SecureTransport": "true",
          "aws:RequestedRegion": proof.target.region,
          ...principalContext,
          ...request.context,
        },
      },
      identityPolicies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(resourcePolicy ? { resourcePolicy } : {}),
    },
    {},
  );
  if (result.resultType === "error") return `error: ${JSON.stringify(result.errors)}`;
  return result.overallResult;
}

/** Every IAM request behind `records`, evaluated for the function's role. */
export async function proveCalls(
  proof: IamProof,
  functionLogicalId: string,
  records: RecordedRequest[],
): Promise<Verdict[]> {
  const roleLogicalId = proof.roleOf(functionLogicalId);
  const verdicts: Verdict[] = [];
  for (const record of records) {
    for (const request of iamRequestsOf(record, proof.target)) {
      verdicts.push({ request, result: await evaluate(proof, { roleLogicalId }, request) });
    }
  }
  return verdicts;
}

/** The verdicts that are not "Allowed", as readable lines (empty when the proof holds). */
export function denials(verdicts: Verdict[]): string[] {
  return verdicts
    .filter((v) => v.result !== "Allowed")
    .map(
      (v) =>
        `${v.result}: ${v.request.action} on ${v.request.resource} ${JSON.stringify(v.request.context)} (from ${v.request.from}${v.request.because ? `; ${v.request.because}` : ""})`,
    );
}
