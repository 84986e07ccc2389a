import type { AttributeValue, DynamoDb, WireItem } from "../aws/dynamodb.ts";
import { AwsError } from "../aws/request.ts";
import {
  type Condition,
  ConflictError,
  type Item,
  type ItemKey,
  type QueryOptions,
  type Table,
  TableUnavailableError,
  type TableWrite,
  type Value,
} from "./table.ts";

export interface DynamoTableOptions {
  client: DynamoDb;
  tableName: string;
  /** Strongly consistent reads (the indexer: it must see its own writes). Default false. */
  consistent?: boolean;
}

/** The index table on DynamoDB: `pk` (hash) and `sk` (range), both strings; no GSI needed. */
export class DynamoTable implements Table {
  readonly #client: DynamoDb;
  readonly #name: string;
  readonly #consistent: boolean;

  constructor({ client, tableName, consistent = false }: DynamoTableOptions) {
    this.#client = client;
    this.#name = tableName;
    this.#consistent = consistent;
  }

  async get({ pk, sk }: ItemKey): Promise<Item | undefined> {
    const out = await this.#call<{ Item?: WireItem }>("GetItem", {
      TableName: this.#name,
      Key: { pk: { S: pk }, sk: { S: sk } },
      ConsistentRead: this.#consistent,
    });
    return out.Item ? (unmarshal(out.Item) as Item) : undefined;
  }

  async query(pk: string, options: QueryOptions = {}): Promise<Item[]> {
    if (options.after !== undefined && options.upTo !== undefined)
      throw new Error("query: after and upTo cannot be combined");
    const values: WireItem = { ":pk": { S: pk } };
    let condition = "pk = :pk";
    if (options.after !== undefined) {
      // "After" in the query's order: with ScanIndexForward false, the smaller keys.
      condition += options.descending ? " AND sk < :sk" : " AND sk > :sk";
      values[":sk"] = { S: options.after };
    } else if (options.upTo !== undefined) {
      condition += " AND sk <= :sk";
      values[":sk"] = { S: options.upTo };
    }
    const names: Record<string, string> = {};
    const projection = options.attributes
      ? ["pk", "sk", ...options.attributes].map((a, i) => {
          names[`#p${i}`] = a;
          return `#p${i}`;
        })
      : undefined;
    const items: Item[] = [];
    let start: WireItem | undefined;
    do {
      const remaining = options.limit === undefined ? undefined : options.limit - items.length;
      const out = await this.#call<{ Items?: WireItem[]; LastEvaluatedKey?: WireItem }>("Query", {
        TableName: this.#name,
        KeyConditionExpression: condition,
        ExpressionAttributeValues: values,
        ConsistentRead: this.#consistent,
        ...(options.descending ? { ScanIndexForward: false } : {}),
        ...(projection
          ? { ProjectionExpression: projection.join(", "), ExpressionAttributeNames: names }
          : {}),
        ...(remaining !== undefined ? { Limit: remaining } : {}),
        ...(start ? { ExclusiveStartKey: start } : {}),
      });
      for (const item of out.Items ?? []) items.push(unmarshal(item) as Item);
      start = out.LastEvaluatedKey;
    } while (start && (options.limit === undefined || items.length < options.limit));
    return items;
  }

  async write(write: TableWrite): Promise<void> {
    const condition = conditionOf(write.if);
    const names: Record<string, string> = { ...condition.names };
    const values: WireItem = { ...condition.values };
    const common = {
      TableName: this.#name,
      ...(condition.expression ? { ConditionExpression: condition.expression } : {}),
    };
    const expressions = () => ({
      ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
      ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
    });
    if ("put" in write) {
      await this.#call("PutItem", { ...common, Item: marshalItem(write.put), ...expressions() });
      return;
    }
    if ("delete" in write) {
      const Key = { pk: { S: write.delete.pk }, sk: { S: write.delete.sk } };
      await this.#call("DeleteItem", { ...common, Key, ...expressions() });
      return;
    }
    const name = (prefix: string, attribute: string, i: number) => {
      names[`#${prefix}${i}`] = attribute;
      return `#${prefix}${i}`;
    };
    const sets = Object.entries(write.set ?? {}).map(([a, v], i) => {
      values[`:s${i}`] = marshal(v);
      return `${name("s", a, i)} = :s${i}`;
    });
    const adds = Object.entries(write.add ?? {}).map(([a, n], i) => {
      values[`:a${i}`] = { N: String(n) };
      return `${name("a", a, i)} :a${i}`;
    });
    const removes = (write.remove ?? []).map((a, i) => name("r", a, i));
    const clauses = [
      sets.length ? `SET ${sets.join(", ")}` : "",
      adds.length ? `ADD ${adds.join(", ")}` : "",
      removes.length ? `REMOVE ${removes.join(", ")}` : "",
    ].filter(Boolean);
    await this.#call("UpdateItem", {
      ...common,
      Key: { pk: { S: write.update.pk }, sk: { S: write.update.sk } },
      UpdateExpression: clauses.join(" "),
      ...expressions(),
    });
  }

  async #call<T = Record<string, unknown>>(operation: string, input: object): Promise<T> {
    try {
      return await this.#client.call<T>(operation, input);
    } catch (error) {
      if (!(error instanceof AwsError)) throw error;
      if (error.code === "ConditionalCheckFailedException")
        throw new ConflictError(error.message, { cause: error });
      if (error.retryable) throw new TableUnavailableError(error.message, { cause: error });
      throw error;
    }
  }
}

function conditionOf(condition: Condition | undefined): {
  expression?: string;
  names?: Record<string, string>;
  values?: WireItem;
} {
  if (!condition) return {};
  if ("absent" in condition) return { expression: "attribute_not_exists(pk)" };
  if ("owner" in condition || "ownerOrAbsent" in condition) {
    const owner = "owner" in condition ? condition.owner : condition.ownerOrAbsent;
    return {
      expression: `${"owner" in condition ? "" : "attribute_not_exists(pk) OR "}#ckey = :ckey`,
      names: { "#ckey": "key" },
      values: { ":ckey": { S: owner } },
    };
  }
  return {
    expression: "#cgen = :cgen",
    names: { "#cgen": "gen" },
    values: { ":cgen": { N: String(condition.gen) } },
  };
}

function marshal(value: Value): AttributeValue {
  if (typeof value === "string") return { S: value };
  if (typeof value === "number") return { N: String(value) };
  if (typeof value === "boolean") return { BOOL: value };
  return { L: value.map(marshal) };
}

export function marshalItem(item: Item): WireItem {
  const out: WireItem = {};
  for (const [name, value] of Object.entries(item))
    if (value !== undefined) out[name] = marshal(value);
  return out;
}

function unmarshalValue(value: AttributeValue): Value {
  if ("S" in value) return value.S;
  if ("N" in value) return Number(value.N);
  if ("BOOL" in value) return value.BOOL;
  if ("L" in value) return value.L.map(unmarshalValue);
  throw new Error(`unexpected attribute type ${Object.keys(value).join()}`);
}

function unmarshal(item: WireItem): Record<string, Value> {
  const out: Record<string, Value> = {};
  for (const [name, value] of Object.entries(item)) out[name] = unmarshalValue(value);
  return out;
}

/** CreateTable input for the index table (tests and the local bundle run; infra declares the same). */
export function indexTableDefinition(tableName: string): Record<string, unknown> {
  return {
    TableName: tableName,
    AttributeDefinitions: [
      { AttributeName: "pk", AttributeType: "S" },
      { AttributeName: "sk", AttributeType: "S" },
    ],
    KeySchema: [
      { AttributeName: "pk", KeyType: "HASH" },
      { AttributeName: "sk", KeyType: "RANGE" },
    ],
    BillingMode: "PAY_PER_REQUEST",
  };
}
