import { type AwsEndpoint, AwsError, awsRequest } from "./request.ts";
import { encodeRfc3986 } from "./signer.ts";

/** A one-time schedule that sends `input` to an SQS queue at `at` (ms, rounded up to a second). */
export interface OneTimeSchedule {
  name: string;
  group: string;
  at: number;
  /** The queue's ARN (the target) and the role Scheduler assumes to send to it. */
  targetArn: string;
  roleArn: string;
  input: string;
}

/**
 * EventBridge Scheduler's CreateSchedule (REST-JSON) on the signer. A schedule that exists
 * already (same name in the group: ConflictException) is "exists": names are chosen so that
 * a duplicate request collides with the first.
 */
export class Scheduler {
  readonly #endpoint: AwsEndpoint;

  constructor(endpoint: AwsEndpoint) {
    this.#endpoint = endpoint;
  }

  async createOnce(schedule: OneTimeSchedule): Promise<"created" | "exists"> {
    const response = await awsRequest(this.#endpoint, {
      method: "POST",
      path: `/schedules/${encodeRfc3986(schedule.name)}`,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        GroupName: schedule.group,
        ScheduleExpression: `at(${atExpression(schedule.at)})`,
        ScheduleExpressionTimezone: "UTC",
        FlexibleTimeWindow: { Mode: "OFF" },
        ActionAfterCompletion: "DELETE",
        // The same request retried is the same schedule (Scheduler's idempotency token).
        ClientToken: schedule.name,
        Target: { Arn: schedule.targetArn, RoleArn: schedule.roleArn, Input: schedule.input },
      }),
    });
    if (response.status === 200) return "created";
    const text = response.body.toString("utf8");
    let code = String(response.headers["x-amzn-errortype"] ?? "").split(":")[0] || "";
    let message = text.slice(0, 300);
    try {
      const parsed = JSON.parse(text) as { __type?: string; Message?: string; message?: string };
      code ||= parsed.__type?.split("#").pop() ?? "";
      message = parsed.Message ?? parsed.message ?? message;
    } catch {
      // not JSON: keep the status
    }
    code ||= `Http${response.status}`;
    if (code === "ConflictException") return "exists";
    throw new AwsError(
      `Scheduler CreateSchedule ${schedule.name}: ${code}: ${message}`,
      response.status,
      code,
      response.status >= 500 || code === "ThrottlingException",
    );
  }
}

/** `yyyy-mm-ddThh:mm:ss` in UTC, at or after `ms`: a schedule never fires before the time. */
export function atExpression(ms: number): string {
  return new Date(Math.ceil(ms / 1000) * 1000).toISOString().slice(0, 19);
}
