/**
 * A counting HTTP proxy in front of dynalite (keep-alive both ways, as the SDK-free client uses
 * it): each DynamoDB call it forwards, with its operation and bytes sent and received, so a
 * benchmark shows that one article change reads and writes a bounded amount whatever the
 * index's size (a whole-index read at 100,000 articles would be hundreds of MB).
 *
 *   const counter = await startDynamoCounter(db.endpoint);
 *   counter.seen.length = 0; …; counter.seen   // [{ operation: "Query", sent, received }, …]
 */
import { Agent, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";

export interface CountedCall {
  /** e.g. `Query`, from the `x-amz-target` header. */
  operation: string;
  /** Request body bytes. */
  sent: number;
  /** Response body bytes. */
  received: number;
}

export interface DynamoCounter {
  readonly endpoint: string;
  /** Calls answered since start (or the last `seen.length = 0`). */
  readonly seen: CountedCall[];
  close(): Promise<void>;
}

export async function startDynamoCounter(upstream: string): Promise<DynamoCounter> {
  const target = new URL(upstream);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const seen: CountedCall[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const call: CountedCall = {
        operation: String(req.headers["x-amz-target"] ?? "").split(".")[1] ?? "",
        sent: body.length,
        received: 0,
      };
      const out = request(
        {
          hostname: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
          agent,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.on("data", (chunk: Buffer) => {
            call.received += chunk.length;
            res.write(chunk);
          });
          answer.on("end", () => {
            seen.push(call);
            res.end();
          });
        },
      );
      out.on("error", () => res.destroy());
      out.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
