// Runs one s3rver instance in its own process; started by tests/support/s3rver.ts via
// child_process.fork with `--openssl-legacy-provider` (s3rver's list continuation tokens use DES,
// which OpenSSL 3 only offers through the legacy provider).
//
// argv[2]: JSON { directory, port, bucket }. Messages to the parent:
//   { type: "ready", port } | { type: "failed", code, message } | { type: "log", id, entries }
// Messages from the parent:
//   { type: "stop" } | { type: "log", id } | { type: "clear-log", id } (both answered with "log")
import S3rver from "s3rver";

const { directory, port, bucket } = JSON.parse(process.argv[2] ?? "{}");

/** @type {{ method: string, url: string, status: number, ifNoneMatch: string | null }[]} */
let entries = [];

const send = (message) => {
  if (process.connected) process.send?.(message);
};

const server = new S3rver({
  address: "127.0.0.1",
  port,
  directory,
  silent: true,
  resetOnClose: false,
  configureBuckets: [{ name: bucket }],
});

// The parent going away (test worker crash, Ctrl-C) must not leave a server behind.
process.on("disconnect", () => process.exit(0));

let httpServer;
try {
  const address = await server.run();
  httpServer = server.httpServer;
  // Observe every request without touching s3rver's own handling.
  httpServer.on("request", (req, res) => {
    res.on("finish", () => {
      entries.push({
        method: req.method ?? "",
        url: req.url ?? "",
        status: res.statusCode,
        ifNoneMatch: req.headers["if-none-match"] ?? null,
      });
    });
  });
  send({ type: "ready", port: address.port });
} catch (error) {
  send({ type: "failed", code: error?.code ?? null, message: String(error?.message ?? error) });
  process.exit(1);
}

process.on("message", (message) => {
  if (message?.type === "log") {
    send({ type: "log", id: message.id, entries });
  } else if (message?.type === "clear-log") {
    entries = [];
    send({ type: "log", id: message.id, entries });
  } else if (message?.type === "stop") {
    // Drop keep-alive and in-flight connections at once: this simulates an outage.
    httpServer.closeAllConnections();
    httpServer.close(() => process.exit(0));
  }
});
