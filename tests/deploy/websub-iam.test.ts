/**
 * The write path end to end with the synthesized bundles: an upload becomes an S3 event on the
 * indexer's queue, the indexer bundle updates the index (dynalite) and announces the changed
 * scopes and article pages, the WebSub bundle invalidates what they made stale at the edge (a
 * CloudFront stand-in) and pings the hub once the invalidation completed, and the hub's fetch
 * gets the new article from the feed bundle; a deletion, published without a hub, invalidates
 * the removed article's cached page and pings nothing. Every AWS call each bundle made is recorded at its endpoints and evaluated against the
 * synthesized policies (tests/support/iam-proof.ts), which also fails without a needed statement.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changedPaths } from "../../functions/websub/paths.ts";
import { parseChange } from "../../functions/websub/queue.ts";
import { type Edge, type Invalidation, startEdge } from "../support/cloudfront-edge.ts";
import { type Hub, startHub } from "../support/hub.ts";
import {
  denials,
  IamProof,
  iamRequestsOf,
  proveCalls,
  type RecordedRequest,
  startRecordingProxy,
} from "../support/iam-proof.ts";
import { s3Record, sqsEvent } from "../support/s3-events.ts";
import { type SqsStub, startSqsStub } from "../support/sqs-stub.ts";
import { type DeployedSite, deployedSite, errorLines } from "./deployed.ts";
import {
  bodyBytes,
  type FunctionArtifact,
  type LambdaHost,
  type Synthesized,
  startLambdaHost,
} from "./support.ts";
import { sharedSynth } from "./synth-cache.ts";

const NEW_TITLE = "Night ferry resumes service";
const NEW_KEY = "articles/2026/night-ferry.md";
const NEW_PAGE = "/articles/night-ferry";
type Who = "feed" | "indexer" | "websub";

let synth: Synthesized;
let site: DeployedSite;
let sqs: SqsStub;
let edge: Edge;
let hub: Hub;
let feedHost: LambdaHost;
let siteUrl: string;
/** What each function sent to AWS, recorded at its endpoints. */
const calls: Record<Who, RecordedRequest[]> = { feed: [], indexer: [], websub: [] };
/** A feed fetched through the edge after the indexer's write, before any invalidation. */
let beforeInvalidation: { body: string; fromCache: boolean };
/** The new article's page and the site's list page at the edge, before and after the invalidation. */
type Pages = { page: number; pageBody: string; list: string; fromCache: boolean[] };
let pagesBefore: Pages;
let pagesAfter: Pages;
/** The deletion's announcement, and the removed article's page at the edge before and after. */
let deletion: { pages: string[]; before: number[]; after: number[]; pings: number };
let queueDelay: number;

const fn = (name: "indexerFunction" | "websubFunction"): FunctionArtifact => {
  const found = synth[name];
  if (!found) throw new Error(`the stack has no ${name}`);
  return found;
};

/** Runs one event through a fresh process of the indexer or publisher, its AWS calls recorded. */
async function run(
  who: "indexer" | "websub",
  event: unknown,
  overrides: Record<string, string | undefined> = {},
): Promise<void> {
  const artifact = fn(who === "indexer" ? "indexerFunction" : "websubFunction");
  const proxy = await startRecordingProxy(
    who === "indexer"
      ? { s3: site.s3.endpoint, sqs: sqs.url, dynamodb: site.db.endpoint, ssm: site.ssm.url }
      : { cloudfront: edge.apiUrl },
  );
  const queue = artifact.environment.WEBSUB_QUEUE_URL;
  const host = await startLambdaHost(
    artifact.bundleFile,
    artifact.exportName,
    site.env(artifact, {
      ...(queue ? { WEBSUB_QUEUE_URL: site.resolver.string(queue) } : {}),
      ...proxy.env,
      ...overrides,
    }),
  );
  try {
    const { result } = await host.invokeEvent(event);
    if (who === "indexer") expect(result).toEqual({ batchItemFailures: [] });
    expect(errorLines(host)).toEqual([]);
  } finally {
    await host.dispose();
    calls[who].push(...proxy.records());
    await proxy.close();
  }
}

const objectEvent = (key: string, eventName?: "ObjectRemoved:Delete") =>
  sqsEvent([[s3Record(site.s3.bucket, key, eventName)]]);

beforeAll(async () => {
  synth = await sharedSynth();
  // Not indexed yet: the first build is the recorded indexer's, so its calls are proven too.
  site = await deployedSite(synth, { indexed: false });
  const resolver = site.resolver;
  const distributionId = resolver.ref(
    Object.entries(synth.resources).find(
      ([, r]) => r.Type === "AWS::CloudFront::Distribution",
    )?.[0] as string,
  );
  siteUrl = resolver.string(fn("websubFunction").environment.SITE_URL);
  expect(siteUrl).toBe(site.siteUrl);
  sqs = await startSqsStub();

  // The feed function, warm, behind the edge; it revalidates every second here (60 s on AWS).
  const feedProxy = await startRecordingProxy({
    s3: site.s3.endpoint,
    ssm: site.ssm.url,
    dynamodb: site.db.endpoint,
  });
  feedHost = await site.feed({ ...feedProxy.env, REVALIDATE_SECONDS: "1" });
  edge = await startEdge({
    distributionId,
    origin: async (path, query) => {
      const r = await feedHost.invoke({ path, query });
      return {
        statusCode: r.statusCode,
        headers: Object.fromEntries(
          Object.entries(r.headers).map(([k, v]) => [k.toLowerCase(), String(v)]),
        ),
        body: bodyBytes(r),
      };
    },
  });
  hub = await startHub({
    fetchTopic: async (url) => (await edge.get(new URL(url).pathname)).body.toString("utf8"),
  });

  // 1. A fresh deploy: the feed function is asked before the index is built, then the first
  //    reconciliation builds it from the bucket.
  for (const path of ["/feed.json", "/feed.xml", "/atom.xml", "/articles/no-such-article"])
    await edge.get(path);
  // A reader tried the new article's address early: its 404 is cached (max-age=60).
  await edge.get(NEW_PAGE);
  await run("indexer", sqsEvent([{ rebuild: true }]));
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  for (const name of ["feed.json", "feed.xml", "atom.xml"])
    await feedHost.invoke({ path: `/${name}` });
  expect((await edge.get("/feed.json")).fromCache).toBe(true);
  await edge.get("/");

  // 2. An author uploads an article; S3's event reaches the indexer, which writes and announces.
  const sent = sqs.messages.length;
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  await site.s3.put(
    NEW_KEY,
    `---\ntitle: ${NEW_TITLE}\ndate: ${yesterday}\ntags: [Harbour, Night Ferries]\nauthor: Ines Duarte\n---\n\nThe night ferry sails again.\n`,
  );
  await run("indexer", objectEvent(NEW_KEY));
  const announced = sqs.messages.slice(sent);
  expect(announced).toHaveLength(1);
  const edgeCopy = await edge.get("/feed.json");
  beforeInvalidation = { body: edgeCopy.body.toString("utf8"), fromCache: edgeCopy.fromCache };
  const pagesNow = async (): Promise<Pages> => {
    const [page, list] = [await edge.get(NEW_PAGE), await edge.get("/")];
    return {
      page: page.statusCode,
      pageBody: page.body.toString("utf8"),
      list: list.body.toString("utf8"),
      fromCache: [page.fromCache, list.fromCache],
    };
  };
  pagesBefore = await pagesNow();

  // 3. The queue holds the message past the feed function's revalidation (90 s > 60 s on AWS;
  //    here the function revalidates every 1 s, so 1.5 s stands for the delay).
  const pings = Object.values(synth.resources).find(
    (r) => r.Type === "AWS::SQS::Queue" && r.Properties.DelaySeconds !== undefined,
  );
  queueDelay = Number(pings?.Properties.DelaySeconds);
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  await run(
    "websub",
    sqsEvent(announced.map((m) => JSON.parse(m.body) as Record<string, unknown>)),
    { HUB_URL: hub.url },
  );
  pagesAfter = await pagesNow();

  // 4. A deletion: the indexer reads the key, S3 answers 404 (the missing-key rule applies).
  //    Every article page is cached at the edge first; the publisher runs without a hub.
  const sitemap = (await edge.get("/sitemaps/1.xml")).body.toString("utf8");
  const pages = [...sitemap.matchAll(/<loc>[^<]*(\/articles\/[^<]+)<\/loc>/g)].map(
    (m) => m[1] as string,
  );
  for (const path of pages) await edge.get(path);
  const gone = `${synth.content.destinationPrefix}${site.contentKeys[0]}`;
  await site.s3.remove(gone);
  const sentBefore = sqs.messages.length;
  await run("indexer", objectEvent(gone, "ObjectRemoved:Delete"));
  const removal = sqs.messages.slice(sentBefore);
  const removed = removal.flatMap((m) => parseChange(m.body).pages).map((s) => `/articles/${s}`);
  const pingsBefore = hub.requests.length;
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const status = async () => Promise.all(removed.map(async (p) => (await edge.get(p)).statusCode));
  const before = await status();
  await run("websub", sqsEvent(removal.map((m) => JSON.parse(m.body) as Record<string, unknown>)), {
    HUB_URL: undefined,
  });
  deletion = {
    pages: removed,
    before,
    after: await status(),
    pings: hub.requests.length - pingsBefore,
  };
  calls.feed.push(...feedProxy.records());
  await feedProxy.close();
}, 240_000);

afterAll(async () => {
  await feedHost?.dispose();
  await Promise.all([hub?.close(), edge?.close(), sqs?.close()]);
  await site?.dispose();
});

describe("WebSub after the change is visible", () => {
  it("holds each ping on the queue longer than the feed function's revalidation", () => {
    expect(queueDelay).toBeGreaterThan(Number(synth.feedFunction.environment.REVALIDATE_SECONDS));
    expect(queueDelay).toBeLessThanOrEqual(900);
    const queueUrl = site.resolver.string(fn("indexerFunction").environment.WEBSUB_QUEUE_URL);
    expect(sqs.messages.length).toBeGreaterThan(0);
    expect(sqs.messages.map((m) => m.queueUrl)).toEqual(sqs.messages.map(() => queueUrl));
  });

  it("still serves the old feed from CloudFront's cache right after the write (why it invalidates)", () => {
    expect(beforeInvalidation.fromCache).toBe(true);
    expect(beforeInvalidation.body).not.toContain(NEW_TITLE);
  });

  it("invalidates exactly what the change made stale, then pings the hub's feeds once the invalidation completed", () => {
    expect(edge.invalidations).toHaveLength(2);
    const [invalidation] = edge.invalidations as [Invalidation];
    const scopes = ["", "/authors/ines-duarte", "/tags/harbour", "/tags/night-ferries"];
    expect([...invalidation.paths].sort()).toEqual(
      changedPaths({ scopes, pages: ["night-ferry"] }).sort(),
    );
    const feeds = scopes.flatMap((s) =>
      ["feed.xml", "atom.xml", "feed.json"].map((f) => `${s}/${f}`),
    );
    expect(hub.requests.flatMap((r) => r.urls).sort()).toEqual(
      feeds.map((p) => `${siteUrl}${p}`).sort(),
    );
    expect(invalidation.completedAt).toBeDefined();
    for (const request of hub.requests)
      expect(request.receivedAt).toBeGreaterThanOrEqual(invalidation.completedAt as number);
  });

  it("serves the new article's page (its cached 404 gone) and the site's list page with it", () => {
    expect(pagesBefore).toMatchObject({ page: 404, fromCache: [true, true] });
    expect(pagesBefore.list).not.toContain(NEW_TITLE);
    expect(pagesAfter).toMatchObject({ page: 200, fromCache: [false, false] });
    expect(pagesAfter.pageBody).toContain(NEW_TITLE);
    expect(pagesAfter.list).toContain(NEW_TITLE);
  });

  it("without a hub, invalidates a removed article's cached page and pings nothing", () => {
    expect(deletion.pages).toHaveLength(1);
    expect(deletion.before).toEqual([200]);
    expect(deletion.after).toEqual([404]);
    expect(deletion.pings).toBe(0);
    const removal = edge.invalidations[1] as Invalidation;
    expect(removal.paths).toEqual(expect.arrayContaining([...deletion.pages, "/", "/feed.xml"]));
    expect(removal.completedAt).toBeDefined();
  });

  it("gives the hub's fetch of every pinged feed the new article", async () => {
    expect(hub.requests.length).toBeGreaterThan(0);
    for (const request of hub.requests) {
      const [body] = (await request.fetched) as [string];
      expect(body, request.urls[0]).toContain(NEW_TITLE);
    }
  });
});

describe("every AWS call the bundles made, proven allowed", () => {
  const proof = () => new IamProof(synth.resources, site.resolver);
  const ids = (): Record<Who, string> => ({
    feed: synth.feedFunction.logicalId,
    indexer: fn("indexerFunction").logicalId,
    websub: fn("websubFunction").logicalId,
  });
  const seen = (who: Who) =>
    calls[who].flatMap((r) => iamRequestsOf(r, proof().target).map((q) => q.action));

  it("makes only AWS calls that the synthesized policies allow, for every function", async () => {
    for (const who of ["feed", "indexer", "websub"] as const) {
      expect(calls[who].length, who).toBeGreaterThan(0);
      const verdicts = await proveCalls(proof(), ids()[who], calls[who]);
      expect(denials(verdicts), who).toEqual([]);
    }
    // The calls that matter were made: the site URL, the index reads and writes, a missing
    // article's read (404: the indexer may list what it reads), the announcement, the
    // invalidation and its status.
    expect(calls.indexer.some((r) => r.path.includes("/articles/") && r.status === 404)).toBe(true);
    expect(seen("feed")).toEqual(
      expect.arrayContaining(["ssm:GetParameter", "dynamodb:GetItem", "dynamodb:Query"]),
    );
    // The feed function only reads: no write, no Scan, nothing under articles/.
    expect(seen("feed").filter((a) => /Put|Update|Delete|Write|Scan|Batch/.test(a))).toEqual([]);
    expect(calls.feed.filter((r) => r.path.includes("/articles/"))).toEqual([]);
    expect(seen("indexer")).toEqual(expect.arrayContaining(["ssm:GetParameter"]));
    expect(seen("indexer")).toEqual(
      expect.arrayContaining([
        "s3:GetObject",
        "s3:ListBucket",
        "dynamodb:GetItem",
        "dynamodb:Query",
        "sqs:SendMessage",
      ]),
    );
    expect(seen("indexer").some((a) => /^dynamodb:(Put|Update|Delete)Item$/.test(a))).toBe(true);
    expect(seen("indexer").filter((a) => /Scan|Batch/.test(a))).toEqual([]);
    expect(seen("websub")).toEqual(
      expect.arrayContaining(["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"]),
    );
  });

  it("fails the proof when a needed statement is removed", async () => {
    const p = proof();
    const without = async (who: Who, sid: string) =>
      denials(await proveCalls(p.without(p.roleOf(ids()[who]), sid), ids()[who], calls[who]));
    const noIndex = await without("indexer", "ReadWriteIndex");
    expect(noIndex.some((d) => d.includes("dynamodb:"))).toBe(true);
    const noArticles = await without("indexer", "ReadArticles");
    expect(noArticles.some((d) => d.startsWith("ImplicitlyDenied: s3:GetObject"))).toBe(true);
    const noList = await without("indexer", "ListArticles");
    expect(noList.join("\n")).toMatch(/s3:ListBucket/);
    const noInvalidation = await without("websub", "InvalidateFeeds");
    expect(noInvalidation.some((d) => d.includes("cloudfront:CreateInvalidation"))).toBe(true);
    const noRead = await without("feed", "ReadIndex");
    expect(noRead.some((d) => d.startsWith("ImplicitlyDenied: dynamodb:Query"))).toBe(true);
    const noSiteUrl = await without("feed", "ReadSiteUrl");
    expect(noSiteUrl.some((d) => d.includes("ssm:GetParameter"))).toBe(true);
  });
});
