/**
 * A CloudFront stand-in on 127.0.0.1 for the WebSub path: an edge cache in front of an origin
 * (the bundled feed function) that keeps each response for its Cache-Control max-age, and the
 * invalidation API (CreateInvalidation / GetInvalidation, REST-XML as the SDK speaks it).
 *
 * Like CloudFront, an invalidation takes effect only when it completes: it is InProgress at
 * creation and for the next `pollsUntilComplete - 1` status checks, and cached copies keep being
 * served until then. A CreateInvalidation with a CallerReference seen before returns that
 * invalidation again. As CloudFront documents it: an exact path invalidates only the object
 * cached under exactly that path and query (`/feed.xml` leaves `/feed.xml?limit=5`), a path
 * ending in `*` every object whose path and query start with the rest; one request holds at
 * most 3,000 paths (BatchTooLarge), and a request that would put more than 3,000 exact or 15
 * wildcard paths in progress at once is refused with TooManyInvalidationsInProgress. Every
 * response with a max-age is cached, a 404 too.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface OriginResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface Invalidation {
  id: string;
  callerReference: string;
  paths: string[];
  createdAt: number;
  completedAt?: number;
  polls: number;
}

export interface Edge {
  /** Endpoint for the CloudFront API (AWS_ENDPOINT_URL_CLOUDFRONT). */
  readonly apiUrl: string;
  readonly invalidations: Invalidation[];
  /** How many requests reached the origin. */
  readonly originRequests: number;
  /** How many CreateInvalidation requests were refused as TooManyInvalidationsInProgress. */
  readonly refusals: number;
  /** Completes an invalidation now (as if CloudFront finished it), without a status check. */
  complete(id: string): void;
  /** A viewer GET of `path` (with query): from the cache, or from the origin on a miss. */
  get(pathAndQuery: string): Promise<OriginResponse & { fromCache: boolean }>;
  close(): Promise<void>;
}

export async function startEdge(options: {
  distributionId: string;
  origin: (path: string, query: string) => Promise<OriginResponse>;
  pollsUntilComplete?: number;
}): Promise<Edge> {
  const cache = new Map<string, { expires: number; response: OriginResponse }>();
  const invalidations: Invalidation[] = [];
  const pollsUntilComplete = options.pollsUntilComplete ?? 2;
  let originRequests = 0;
  let refusals = 0;

  const complete = (inv: Invalidation) => {
    inv.completedAt = Date.now();
    for (const key of [...cache.keys()]) {
      if (inv.paths.some((p) => (p.endsWith("*") ? key.startsWith(p.slice(0, -1)) : p === key)))
        cache.delete(key);
    }
  };
  const error = (code: string) =>
    `<?xml version="1.0"?><ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${code}</Message></Error></ErrorResponse>`;
  /** Exact and wildcard paths of the invalidations in progress. */
  const inProgress = () => {
    const paths = invalidations.filter((i) => !i.completedAt).flatMap((i) => i.paths);
    const wildcards = paths.filter((p) => p.endsWith("*")).length;
    return { exact: paths.length - wildcards, wildcards };
  };
  const xml = (inv: Invalidation) =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<Invalidation xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Id>${inv.id}</Id><Status>${inv.completedAt ? "Completed" : "InProgress"}</Status><CreateTime>${new Date(inv.createdAt).toISOString()}</CreateTime><InvalidationBatch><Paths><Quantity>${inv.paths.length}</Quantity><Items>${inv.paths.map((p) => `<Path>${p}</Path>`).join("")}</Items></Paths><CallerReference>${inv.callerReference}</CallerReference></InvalidationBatch></Invalidation>`;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const base = `/2020-05-31/distribution/${options.distributionId}/invalidation`;
      const url = new URL(req.url ?? "/", "http://edge");
      const send = (status: number, text: string, headers: Record<string, string> = {}) => {
        res.writeHead(status, { "content-type": "text/xml", ...headers });
        res.end(text);
      };
      if (req.method === "POST" && url.pathname === base) {
        const reference = /<CallerReference>([^<]*)<\/CallerReference>/.exec(body)?.[1] ?? "";
        const paths = [...body.matchAll(/<Path>([^<]*)<\/Path>/g)].map((m) => m[1] as string);
        let inv = invalidations.find((i) => i.callerReference === reference);
        if (!inv && paths.length > 3_000) return send(413, error("BatchTooLarge"));
        const busy = inProgress();
        const wildcards = paths.filter((p) => p.endsWith("*")).length;
        if (
          !inv &&
          (busy.exact + paths.length - wildcards > 3_000 || busy.wildcards + wildcards > 15)
        ) {
          refusals++;
          return send(400, error("TooManyInvalidationsInProgress"));
        }
        if (!inv) {
          inv = {
            id: `I${invalidations.length + 1}EXAMPLE`,
            callerReference: reference,
            paths,
            createdAt: Date.now(),
            polls: 0,
          };
          invalidations.push(inv);
        }
        send(201, xml(inv), { location: `https://cloudfront.amazonaws.com${base}/${inv.id}` });
        return;
      }
      const inv = invalidations.find((i) => url.pathname === `${base}/${i.id}`);
      if (req.method === "GET" && inv) {
        inv.polls++;
        if (!inv.completedAt && inv.polls >= pollsUntilComplete - 1) complete(inv);
        send(200, xml(inv));
        return;
      }
      send(404, error("NoSuchInvalidation"));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    apiUrl: `http://127.0.0.1:${port}`,
    invalidations,
    get originRequests() {
      return originRequests;
    },
    get refusals() {
      return refusals;
    },
    complete(id) {
      const inv = invalidations.find((i) => i.id === id);
      if (inv && !inv.completedAt) complete(inv);
    },
    async get(pathAndQuery) {
      const cached = cache.get(pathAndQuery);
      if (cached && cached.expires > Date.now()) return { ...cached.response, fromCache: true };
      const [path, query = ""] = pathAndQuery.split("?") as [string, string?];
      originRequests++;
      const response = await options.origin(path, query);
      const maxAge = /max-age=(\d+)/.exec(response.headers["cache-control"] ?? "")?.[1];
      if ((response.statusCode === 200 || response.statusCode === 404) && maxAge)
        cache.set(pathAndQuery, { expires: Date.now() + Number(maxAge) * 1000, response });
      return { ...response, fromCache: false };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
