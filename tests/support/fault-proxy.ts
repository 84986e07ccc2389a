/**
 * A tiny HTTP/1.1 fault-injecting TCP proxy on 127.0.0.1, placed between the code under test and
 * a real server (s3rver). It reads each request (head and Content-Length body), asks `decide`
 * what to do with it, and then forwards it (one upstream connection per request, with
 * `Connection: close`), delays it, stalls it, answers it itself, or drops the connection.
 *
 *   const proxy = await startFaultProxy(s3.port);
 *   proxy.decide = () => ({ kind: "respond", status: 500 });   // every request fails
 *   proxy.decide = () => ({ kind: "stall" });                  // accepted, never answered
 *   proxy.decide = () => ({ kind: "forward", delayMs: 5_000 }); // slow
 *   proxy.decide = () => "forward";                             // healthy again
 */
import { connect, createServer, type Server, type Socket } from "node:net";

export interface ProxiedRequest {
  method: string;
  /** Path and query as sent, e.g. `/bucket/articles/a.md?x-id=GetObject`. */
  target: string;
  headers: Record<string, string>;
}

export type Fault =
  | "forward"
  | {
      kind: "forward";
      /** Wait this long before sending the response's first byte. */
      delayMs?: number;
      /** Forward only this many response bytes, then hold the connection open silently. */
      stallAfterBytes?: number;
    }
  | { kind: "respond"; status: number; body?: string; headers?: Record<string, string> }
  /** Read the request, then never answer (the connection stays open). */
  | { kind: "stall" }
  /** Close the connection abruptly (TCP reset). */
  | { kind: "reset" };

export interface FaultProxy {
  readonly port: number;
  readonly endpoint: string;
  /** Called for every request (may take its time, e.g. to change the upstream first). */
  decide: (request: ProxiedRequest) => Fault | Promise<Fault>;
  /** Requests seen since start (or the last `seen.length = 0`). */
  readonly seen: ProxiedRequest[];
  close(): Promise<void>;
}

const REASONS: Record<number, string> = {
  200: "OK",
  304: "Not Modified",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  412: "Precondition Failed",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/** An S3-style XML error body for a status. */
export function s3ErrorBody(status: number): string {
  const code =
    status === 412
      ? "PreconditionFailed"
      : status === 503
        ? "SlowDown"
        : status === 403
          ? "AccessDenied"
          : "InternalError";
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>injected by the fault proxy</Message><RequestId>FAULT</RequestId></Error>`;
}

export async function startFaultProxy(upstreamPort: number): Promise<FaultProxy> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  };

  const proxy: FaultProxy = {
    port: 0,
    endpoint: "",
    decide: () => "forward",
    seen: [],
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };

  const server: Server = createServer((client) => {
    track(client);
    let buffer = Buffer.alloc(0);
    let busy = false;
    const onData = (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!busy) next();
    };
    // One request at a time per client connection (HTTP/1.1 without pipelining).
    const next = () => {
      const end = buffer.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = buffer.subarray(0, end).toString("latin1");
      const [requestLine = "", ...lines] = head.split("\r\n");
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(":");
        if (colon > 0)
          headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers["content-length"] ?? 0);
      if (buffer.length < end + 4 + length) return;
      const body = buffer.subarray(end + 4, end + 4 + length);
      buffer = buffer.subarray(end + 4 + length);
      const [method = "", target = ""] = requestLine.split(" ");
      const request: ProxiedRequest = { method, target, headers };
      proxy.seen.push(request);
      busy = true;
      Promise.resolve(proxy.decide(request)).then(
        (fault) => handle(client, request, lines, body, fault),
        () => client.destroy(),
      );
    };
    client.on("data", onData);
  });

  const handle = (
    client: Socket,
    request: ProxiedRequest,
    headerLines: string[],
    body: Buffer,
    fault: Fault,
  ) => {
    const f = fault === "forward" ? { kind: "forward" as const } : fault;
    if (f.kind === "stall") return;
    if (f.kind === "reset") {
      client.resetAndDestroy();
      return;
    }
    if (f.kind === "respond") {
      const text = request.method === "HEAD" ? "" : (f.body ?? s3ErrorBody(f.status));
      const extra = Object.entries({ "content-type": "application/xml", ...f.headers })
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join("");
      client.end(
        `HTTP/1.1 ${f.status} ${REASONS[f.status] ?? "Error"}\r\n${extra}content-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
      );
      return;
    }
    const upstream = connect(upstreamPort, "127.0.0.1");
    track(upstream);
    const lines = headerLines.filter((l) => !/^connection\s*:/i.test(l));
    upstream.write(
      `${request.method} ${request.target} HTTP/1.1\r\n${lines.join("\r\n")}\r\nconnection: close\r\n\r\n`,
    );
    upstream.write(body);
    let sent = 0;
    let started = false;
    const pending: Buffer[] = [];
    const flush = () => {
      for (const chunk of pending.splice(0)) {
        if (f.stallAfterBytes !== undefined) {
          const room = f.stallAfterBytes - sent;
          if (room <= 0) return;
          const part = chunk.subarray(0, room);
          client.write(part);
          sent += part.length;
          if (part.length < chunk.length) return;
        } else {
          client.write(chunk);
          sent += chunk.length;
        }
      }
    };
    upstream.on("data", (chunk: Buffer) => {
      pending.push(chunk);
      if (started) flush();
    });
    const begin = () => {
      started = true;
      flush();
    };
    if (f.delayMs) setTimeout(begin, f.delayMs).unref();
    else begin();
    upstream.on("end", () => {
      const finish = () => {
        flush();
        if (f.stallAfterBytes === undefined || sent < f.stallAfterBytes) client.end();
      };
      if (started) finish();
      else setTimeout(finish, f.delayMs ?? 0).unref();
    });
    upstream.on("error", () => client.destroy());
  };

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  Object.assign(proxy, { port, endpoint: `http://127.0.0.1:${port}` });
  return proxy;
}
