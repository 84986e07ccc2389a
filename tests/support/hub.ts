/**
 * A WebSub hub stand-in for tests: a real node:http server on 127.0.0.1 that records every
 * request (method, content type, parsed form body) and answers with the statuses it is told to.
 *
 *   const hub = await startHub();          // answers 204 to everything
 *   hub.answer(500, 500, 204);             // the next three requests, then 204 again
 *   hub.hang();                            // keep requests open until release()
 *   await hub.close();
 *
 * `startHub({ fetchTopic })` also fetches each announced `hub.url` as a real hub does (at once,
 * after answering): `request.fetched` holds what that fetch got.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface HubRequest {
  method: string;
  path: string;
  contentType: string;
  /** The raw body. */
  body: string;
  /** `hub.mode` values, in order. */
  modes: string[];
  /** `hub.url` values, in order. */
  urls: string[];
  /** Date.now() when the request arrived. */
  receivedAt: number;
  /** With `fetchTopic`: what fetching each `hub.url` returned (or the error's message). */
  fetched?: Promise<string[]>;
}

export interface Hub {
  /** `http://127.0.0.1:<port>/hub` */
  readonly url: string;
  readonly requests: HubRequest[];
  /** Statuses for the next requests, in order; afterwards 204. */
  answer(...statuses: number[]): void;
  /** Leaves every following request unanswered until release(). */
  hang(): void;
  /** Answers the hanging requests with 204 and stops hanging. */
  release(): void;
  /** Resolves once `count` requests have arrived (their bodies read). */
  received(count: number): Promise<HubRequest[]>;
  close(): Promise<void>;
}

export async function startHub(
  options: { fetchTopic?: (url: string) => Promise<string> } = {},
): Promise<Hub> {
  const requests: HubRequest[] = [];
  const statuses: number[] = [];
  const waiting: ServerResponse[] = [];
  const watchers: { count: number; resolve: (r: HubRequest[]) => void }[] = [];
  let hanging = false;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const form = new URLSearchParams(body);
      const urls = form.getAll("hub.url");
      const fetchTopic = options.fetchTopic;
      requests.push({
        receivedAt: Date.now(),
        method: req.method ?? "",
        path: req.url ?? "",
        contentType: req.headers["content-type"] ?? "",
        body,
        modes: form.getAll("hub.mode"),
        urls,
        ...(fetchTopic
          ? {
              fetched: Promise.all(
                urls.map((url) =>
                  fetchTopic(url).catch((error: Error) => `error: ${error.message}`),
                ),
              ),
            }
          : {}),
      });
      for (const w of watchers.filter((w) => requests.length >= w.count)) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve([...requests]);
      }
      if (hanging) {
        waiting.push(res);
        return;
      }
      const status = statuses.shift() ?? 204;
      res.writeHead(status, { "content-type": "text/plain" });
      res.end(status >= 400 ? `error ${status}` : "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/hub`,
    requests,
    answer: (...next) => statuses.push(...next),
    hang: () => {
      hanging = true;
    },
    release: () => {
      hanging = false;
      for (const res of waiting.splice(0)) res.writeHead(204).end();
    },
    received: (count) =>
      requests.length >= count
        ? Promise.resolve([...requests])
        : new Promise((resolve) => watchers.push({ count, resolve })),
    close: async () => {
      for (const res of waiting.splice(0)) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
