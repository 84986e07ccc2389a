/**
 * An SQS stand-in on 127.0.0.1 that accepts SendMessage (JSON protocol, as functions/aws/sqs.ts
 * speaks it) and keeps the messages, so a test can deliver them to the consuming function as
 * Lambda's event source mapping would.
 */
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface SentMessage {
  queueUrl: string;
  body: string;
  delaySeconds?: number;
  messageId: string;
}

export interface SqsStub {
  readonly url: string;
  readonly messages: SentMessage[];
  close(): Promise<void>;
}

export async function startSqsStub(): Promise<SqsStub> {
  const messages: SentMessage[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const target = String(req.headers["x-amz-target"] ?? "");
      const input = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as {
        QueueUrl?: string;
        MessageBody?: string;
        DelaySeconds?: number;
      };
      res.setHeader("content-type", "application/x-amz-json-1.0");
      if (
        target !== "AmazonSQS.SendMessage" ||
        !input.QueueUrl ||
        input.MessageBody === undefined
      ) {
        res.writeHead(400);
        res.end(JSON.stringify({ __type: "com.amazonaws.sqs#InvalidAction", message: target }));
        return;
      }
      const messageId = `00000000-0000-4000-8000-${String(messages.length + 1).padStart(12, "0")}`;
      messages.push({
        queueUrl: input.QueueUrl,
        body: input.MessageBody,
        messageId,
        ...(input.DelaySeconds !== undefined ? { delaySeconds: input.DelaySeconds } : {}),
      });
      res.writeHead(200);
      res.end(
        JSON.stringify({
          MessageId: messageId,
          MD5OfMessageBody: createHash("md5").update(input.MessageBody).digest("hex"),
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    messages,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
