/**
 * A real DynamoDB implementation (dynalite: LevelDB in memory, DynamoDB's own validation) on
 * 127.0.0.1 for tests, with the index table created.
 *
 *   const db = await startDynalite();    // free port, table `dateline-index`
 *   db.env                               // AWS_ENDPOINT_URL_DYNAMODB, region, credentials
 *   await db.stop();                     // in afterAll
 */
import type { AddressInfo } from "node:net";
import dynalite from "dynalite";
import { DynamoDb } from "../../functions/aws/dynamodb.ts";
import { AwsError } from "../../functions/aws/request.ts";
import { DynamoTable, indexTableDefinition } from "../../functions/index/dynamodb.ts";

export const DYNALITE_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" } as const;

export interface Dynalite {
  readonly endpoint: string;
  readonly tableName: string;
  readonly client: DynamoDb;
  readonly env: Readonly<Record<string, string>>;
  /** A table over a fresh, empty index table named `name` (created on first call). */
  table(name?: string, options?: { consistent?: boolean }): Promise<DynamoTable>;
  stop(): Promise<void>;
}

export interface DynaliteOptions {
  /**
   * A LevelDB directory to keep the tables in (default: in memory). Tables already in it are
   * used as they are: `table(name)` creates only a table the directory does not hold.
   */
  path?: string;
}

export async function startDynalite(options: DynaliteOptions = {}): Promise<Dynalite> {
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.path ? { path: options.path } : {}),
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDb({
    endpoint: {
      url: endpoint,
      region: "us-east-1",
      service: "dynamodb",
      credentials: DYNALITE_CREDENTIALS,
    },
  });
  const created = new Set<string>();
  const tableName = "dateline-index";
  return {
    endpoint,
    tableName,
    client,
    env: {
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: DYNALITE_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: DYNALITE_CREDENTIALS.secretAccessKey,
      INDEX_TABLE: tableName,
    },
    async table(name = tableName, tableOptions = {}) {
      if (!created.has(name) && options.path && (await tableExists(client, name)))
        created.add(name);
      if (!created.has(name)) {
        await client.call("CreateTable", indexTableDefinition(name));
        for (let i = 0; i < 100; i++) {
          const { Table } = await client.call<{ Table: { TableStatus: string } }>("DescribeTable", {
            TableName: name,
          });
          if (Table.TableStatus === "ACTIVE") break;
          await new Promise((r) => setTimeout(r, 20));
        }
        created.add(name);
      }
      return new DynamoTable({
        client,
        tableName: name,
        consistent: tableOptions.consistent ?? true,
      });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/**
 * Whether the server holds table `name` (a table kept in a LevelDB directory). DescribeTable, not
 * ListTables: on a LevelDB directory of 700,000 items dynalite's ListTables takes seconds.
 */
export async function tableExists(client: DynamoDb, name: string): Promise<boolean> {
  try {
    await client.call("DescribeTable", { TableName: name });
    return true;
  } catch (error) {
    if (error instanceof AwsError && error.code === "ResourceNotFoundException") return false;
    throw error;
  }
}
