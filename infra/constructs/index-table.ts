import { RemovalPolicy } from "aws-cdk-lib";
import { AttributeType, BillingMode, Table, TableEncryption } from "aws-cdk-lib/aws-dynamodb";
import { PolicyStatement, type Role } from "aws-cdk-lib/aws-iam";
import { Construct } from "constructs";

/** What the feed function does with the index: one GetItem or one Query per answer. */
const READ_ACTIONS = ["dynamodb:GetItem", "dynamodb:Query"];
/** The indexer's conditional single-item writes (no batch or transaction calls). */
const WRITE_ACTIONS = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"];

/**
 * The article index: one DynamoDB table, `pk` (hash) and `sk` (range) strings, no secondary
 * index (the layout of functions/index/keys.ts), on-demand, with point-in-time recovery and
 * encryption under the AWS managed key, retained when the stack goes (like the bucket: it can
 * be rebuilt from the articles, but a rebuild of a large archive is not free).
 */
export class ArticleIndexTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new Table(this, "Table", {
      partitionKey: { name: "pk", type: AttributeType.STRING },
      sortKey: { name: "sk", type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /** GetItem and Query on the table (not Scan, not batches, not the stream). */
  grantRead(role: Role): void {
    role.addToPolicy(
      new PolicyStatement({
        sid: "ReadIndex",
        actions: READ_ACTIONS,
        resources: [this.table.tableArn],
      }),
    );
  }

  /** Reads plus the single-item writes the indexer makes (conditional Put/Update/Delete). */
  grantReadWrite(role: Role): void {
    role.addToPolicy(
      new PolicyStatement({
        sid: "ReadWriteIndex",
        actions: [...READ_ACTIONS, ...WRITE_ACTIONS],
        resources: [this.table.tableArn],
      }),
    );
  }
}
