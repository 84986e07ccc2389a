/**
 * Table.query on both tables with the same cases: the in-memory table (npm start) must order and
 * bound exactly as DynamoDB does (dynalite, DynamoDB's own validation, on 127.0.0.1).
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { QueryOptions, Table } from "../../functions/index/table.ts";
import { tableBackends } from "./support.ts";

const backends = tableBackends("table-test");

const KEYS = ["b", "d", "f", "h"];

describe.each(backends)("Table.query on %s", (_name, makeTable) => {
  let table: Table;
  beforeAll(async () => {
    table = await makeTable();
    // Written out of order, with a neighbouring partition that must never show up.
    for (const sk of [...KEYS].reverse())
      await table.write({ put: { pk: "E", sk, n: KEYS.indexOf(sk), body: `<p>${sk}</p>` } });
    await table.write({ put: { pk: "E2", sk: "a", n: 9 } });
  });
  const sks = async (options: QueryOptions) => (await table.query("E", options)).map((i) => i.sk);

  it.each<[string, QueryOptions, string[]]>([
    ["everything, ascending", {}, ["b", "d", "f", "h"]],
    ["ascending, limited", { limit: 2 }, ["b", "d"]],
    ["after a present key", { after: "d" }, ["f", "h"]],
    ["after an absent key", { after: "c", limit: 1 }, ["d"]],
    ["up to a present key", { upTo: "f" }, ["b", "d", "f"]],
    ["up to an absent key", { upTo: "e" }, ["b", "d"]],
    ["everything, descending", { descending: true }, ["h", "f", "d", "b"]],
    ["descending, limited", { descending: true, limit: 2 }, ["h", "f"]],
    ["descending up to a present key", { descending: true, upTo: "f" }, ["f", "d", "b"]],
    ["descending up to an absent key, one", { descending: true, upTo: "e", limit: 1 }, ["d"]],
    ["descending up to below the first key", { descending: true, upTo: "a" }, []],
    ["descending up to past the last key", { descending: true, upTo: "z", limit: 1 }, ["h"]],
    ["descending after a present key: smaller keys", { descending: true, after: "f" }, ["d", "b"]],
    ["descending after an absent key", { descending: true, after: "e", limit: 1 }, ["d"]],
    ["descending after the first key", { descending: true, after: "b" }, []],
  ])("%s", async (_case, options, expected) => {
    expect(await sks(options)).toEqual(expected);
  });

  it("projects the named attributes (and the keys) only, in either order", async () => {
    for (const descending of [false, true]) {
      const items = await table.query("E", { descending, limit: 2, attributes: ["n"] });
      expect(items).toEqual(
        descending
          ? [
              { pk: "E", sk: "h", n: 3 },
              { pk: "E", sk: "f", n: 2 },
            ]
          : [
              { pk: "E", sk: "b", n: 0 },
              { pk: "E", sk: "d", n: 1 },
            ],
      );
    }
  });

  it("sees a key written after a descending read", async () => {
    const fresh = await makeTable();
    await fresh.write({ put: { pk: "E", sk: "m" } });
    expect((await fresh.query("E", { descending: true })).map((i) => i.sk)).toEqual(["m"]);
    await fresh.write({ put: { pk: "E", sk: "p" } });
    await fresh.write({ put: { pk: "E", sk: "c" } });
    expect((await fresh.query("E", { descending: true, upTo: "o" })).map((i) => i.sk)).toEqual([
      "m",
      "c",
    ]);
  });
});
