/**
 * The baseline a typical tutorial Lambda implements: on every request, list the content folder,
 * read and parse every article's front matter, sort by date, render the newest ones' Markdown
 * with marked and the feed with `feed`'s rss2(). No caching of any kind.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { Feed } from "feed";
import { marked } from "marked";
import { parseYaml, splitFrontMatter } from "../functions/articles/frontmatter.ts";

export interface NaiveOptions {
  dir: string;
  siteUrl: string;
  limit: number;
}

interface Post {
  file: string;
  title: string;
  date: Date;
  author: string;
  tags: string[];
  body: string;
  draft: boolean;
}

/** Parses one file the way gray-matter would: YAML between `---` fences, the rest is the body. */
function parsePost(file: string, text: string): Post | undefined {
  const split = splitFrontMatter(text);
  if ("error" in split || split.yaml === undefined) return undefined;
  const parsed = parseYaml(split.yaml);
  if ("error" in parsed) return undefined;
  const data = (parsed.data ?? {}) as Record<string, unknown>;
  const date = new Date(String(data.date));
  if (Number.isNaN(date.getTime()) || typeof data.title !== "string") return undefined;
  const authors = (data.authors as unknown[] | undefined) ?? [data.author];
  const first = authors[0];
  return {
    file,
    title: data.title,
    date,
    author:
      typeof first === "object" && first
        ? String((first as { name: unknown }).name)
        : String(first ?? ""),
    tags: Array.isArray(data.tags) ? data.tags.map(String) : [],
    body: split.body,
    draft: data.draft === true,
  };
}

/** A request handler with no state: everything is read and rendered again for every call. */
export function naiveHandler(
  options: NaiveOptions,
): () => Promise<{ status: number; body: string }> {
  return async () => {
    const entries = await readdir(options.dir, { recursive: true, withFileTypes: true });
    const files = entries.filter((e) => e.isFile() && e.name.endsWith(".md"));
    const posts: Post[] = [];
    for (const entry of files) {
      const path = join(entry.parentPath, entry.name);
      const post = parsePost(path, await readFile(path, "utf8"));
      if (post && !post.draft) posts.push(post);
    }
    posts.sort((a, b) => b.date.getTime() - a.date.getTime());
    const feed = new Feed({
      title: "Dateline",
      description: "News from Dateline",
      id: `${options.siteUrl}/`,
      link: `${options.siteUrl}/`,
      copyright: "",
      updated: posts[0]?.date ?? new Date(0),
      feedLinks: { rss: `${options.siteUrl}/feed.xml` },
    });
    for (const post of posts.slice(0, options.limit)) {
      const slug = post.file.replace(/^.*\//, "").replace(/\.md$/, "");
      feed.addItem({
        title: post.title,
        id: `${options.siteUrl}/articles/${slug}`,
        link: `${options.siteUrl}/articles/${slug}`,
        date: post.date,
        author: [{ name: post.author }],
        category: post.tags.map((name) => ({ name })),
        content: marked.parse(post.body, { async: false }),
      });
    }
    return { status: 200, body: feed.rss2() };
  };
}
