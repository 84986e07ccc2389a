/**
 * An EventBridge Scheduler stand-in on 127.0.0.1 for CreateSchedule (REST-JSON,
 * `POST /schedules/<name>`): it keeps each schedule, answers 409 ConflictException for a name
 * already in the group as Scheduler does, and 400 ValidationException when a field the real
 * service requires is missing. It does not fire schedules: a test delivers the target's input.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface CreatedSchedule {
  name: string;
  GroupName?: string;
  ScheduleExpression: string;
  ScheduleExpressionTimezone?: string;
  FlexibleTimeWindow: { Mode: string };
  ActionAfterCompletion?: string;
  Target: { Arn: string; RoleArn: string; Input?: string };
  /** The request's SigV4 credential scope names this service. */
  signedFor: string;
}

export interface SchedulerStub {
  readonly url: string;
  readonly schedules: CreatedSchedule[];
  /** Requests answered (created, conflicts and refusals). */
  readonly requests: number;
  /** Answer every request with this status (e.g. 500) until set back to undefined. */
  failWith: number | undefined;
  close(): Promise<void>;
}

export async function startSchedulerStub(): Promise<SchedulerStub> {
  const schedules: CreatedSchedule[] = [];
  let requests = 0;
  const stub = { failWith: undefined as number | undefined };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      requests++;
      const answer = (status: number, type?: string, message = "") => {
        res.writeHead(status, {
          "content-type": "application/json",
          ...(type ? { "x-amzn-errortype": type } : {}),
        });
        res.end(JSON.stringify(type ? { Message: message } : { ScheduleArn: "arn:x" }));
      };
      if (stub.failWith) return answer(stub.failWith, "InternalServerException", "injected");
      const match = /^\/schedules\/([^/?]+)$/.exec(req.url ?? "");
      if (req.method !== "POST" || !match) return answer(404, "ResourceNotFoundException");
      const name = decodeURIComponent(match[1] as string);
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Omit<
        CreatedSchedule,
        "name" | "signedFor"
      >;
      if (!body.ScheduleExpression || !body.FlexibleTimeWindow?.Mode || !body.Target?.RoleArn)
        return answer(400, "ValidationException", "missing required field");
      const signedFor = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\//.exec(
        String(req.headers.authorization ?? ""),
      )?.[1];
      if (schedules.some((s) => s.name === name && s.GroupName === body.GroupName))
        return answer(409, "ConflictException", `Schedule ${name} already exists.`);
      schedules.push({ ...body, name, signedFor: signedFor ?? "" });
      answer(200);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    schedules,
    get requests() {
      return requests;
    },
    get failWith() {
      return stub.failWith;
    },
    set failWith(status: number | undefined) {
      stub.failWith = status;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
