import type { ArticleMeta } from "../articles/article.ts";
import type { Config } from "../config.ts";
import type { Answer, HttpRequest } from "./exchange.ts";
import { cacheControl, PAGE_HEADERS } from "./headers.ts";
import {
  type Representation,
  represent,
  representationBytes,
  VersionedCache,
} from "./representation.ts";
import { respond } from "./respond.ts";
import { LastModifiedTracker, type ServedLog } from "./served.ts";

export const HTML = "text/html; charset=utf-8";

/** A rendered document: its text, when its content last changed, extra headers. */
export interface Rendered {
  text: string;
  lastModified: Date;
  headers?: Record<string, string>;
}

/** How the app answers from rendered representations: cached by key, dated, never backwards. */
export interface Answers {
  /** `Cache-Control` for a document that may be cached for `age` seconds. */
  cacheControl(age: number): string;
  /**
   * The representation cached under `key`, rendering it on a miss. The key starts with the
   * content version it is rendered from, then `|` and the resource (for Last-Modified).
   */
  rendered(key: string, type: string, render: () => Promise<Rendered>): Promise<Representation>;
  /**
   * Answers with `rep`. `freshUntil`: until when (ms) the app would answer the same request
   * without reading the index again (an adapter may keep the answer until then).
   */
  respond(request: HttpRequest, rep: Representation, freshUntil: number): Promise<Answer>;
  /** rendered() then respond(). */
  text(
    request: HttpRequest,
    key: string,
    type: string,
    render: () => Promise<Rendered>,
    freshUntil: number,
  ): Promise<Answer>;
  /** An HTML page (with the pages' security headers). */
  page(
    request: HttpRequest,
    key: string,
    render: () => Promise<Rendered>,
    freshUntil: number,
  ): Promise<Answer>;
}

/**
 * The answering half of the app. `served`: when each resource's bytes were first served (the
 * adapters pass one; see lastModifiedFor). Without it, Last-Modified is the content's own date.
 */
export function answers(config: Config, now: () => number, served?: ServedLog): Answers {
  const reps = new VersionedCache<Representation>(representationBytes);
  const lastModified = new LastModifiedTracker(now, served);
  const rendered: Answers["rendered"] = (key, type, render) => {
    // The resource is the key without its content version (the part up to the first "|").
    const resource = key.slice(key.indexOf("|") + 1);
    return reps.get("", key, async () => {
      const doc = await render();
      // Never in the future (a file's time can be ahead of the clock), to the second.
      const second = Math.floor(Math.min(doc.lastModified.getTime(), now()) / 1000) * 1000;
      const rep = represent(
        doc.text,
        type,
        new Date(second),
        cacheControl(config.cacheMaxAge),
        doc.headers,
      );
      return lastModified.date(resource, rep);
    });
  };
  const answer: Answers["respond"] = (request, rep, freshUntil) => {
    rep.freshUntil = freshUntil;
    return respond(request, rep);
  };
  const text: Answers["text"] = async (request, key, type, render, freshUntil) =>
    answer(request, await rendered(key, type, render), freshUntil);
  return {
    cacheControl,
    rendered,
    respond: answer,
    text,
    page: (request, key, render, freshUntil) =>
      text(
        request,
        key,
        HTML,
        async () => {
          const doc = await render();
          return { ...doc, headers: { ...PAGE_HEADERS, ...doc.headers } };
        },
        freshUntil,
      ),
  };
}

/** Newest change among articles, to the second (HTTP dates have no milliseconds). */
export function latest(articles: ArticleMeta[]): Date {
  let max = 0;
  for (const a of articles) max = Math.max(max, a.updated.getTime(), a.modified.getTime());
  return new Date(max);
}
