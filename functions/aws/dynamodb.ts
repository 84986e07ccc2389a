import { type AwsEndpoint, AwsError, awsRequest } from "./request.ts";

/** A DynamoDB attribute value in the JSON wire format (the subset Dateline writes). */
export type AttributeValue =
  | { S: string }
  | { N: string }
  | { BOOL: boolean }
  | { NULL: true }
  | { L: AttributeValue[] }
  | { M: Record<string, AttributeValue> };
export type WireItem = Record<string, AttributeValue>;

const THROTTLING = new Set([
  "ProvisionedThroughputExceededException",
  "ThrottlingException",
  "RequestLimitExceeded",
  "LimitExceededException",
]);

export interface DynamoDbOptions {
  endpoint: AwsEndpoint;
  /** Attempts for throttled or unanswered calls (default 2: the feed function stays bounded). */
  maxAttempts?: number;
}

/**
 * DynamoDB's JSON API on the signer: one POST per operation. Errors come back as AwsError with
 * DynamoDB's own code (`ConditionalCheckFailedException`, `TransactionCanceledException`, …).
 */
export class DynamoDb {
  readonly #endpoint: AwsEndpoint;
  readonly #maxAttempts: number;

  constructor({ endpoint, maxAttempts = 2 }: DynamoDbOptions) {
    this.#endpoint = endpoint;
    this.#maxAttempts = maxAttempts;
  }

  /** Calls `operation` (e.g. `Query`) with its JSON input; resolves its JSON output. */
  async call<T = Record<string, unknown>>(operation: string, input: object): Promise<T> {
    const body = JSON.stringify(input);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#once<T>(operation, body);
      } catch (error) {
        if (!(error instanceof AwsError) || !error.retryable || attempt >= this.#maxAttempts)
          throw error;
        await new Promise((r) => setTimeout(r, 25 * 2 ** attempt * Math.random()));
      }
    }
  }

  async #once<T>(operation: string, body: string): Promise<T> {
    const response = await awsRequest(this.#endpoint, {
      method: "POST",
      path: "/",
      headers: {
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": `DynamoDB_20120810.${operation}`,
      },
      body,
    });
    const text = response.body.toString("utf8");
    if (response.status === 200) return JSON.parse(text) as T;
    let code = `Http${response.status}`;
    let message = text.slice(0, 300);
    let reasons: unknown;
    try {
      const parsed = JSON.parse(text) as {
        __type?: string;
        message?: string;
        Message?: string;
        CancellationReasons?: unknown;
      };
      code = parsed.__type?.split("#").pop() ?? code;
      message = parsed.message ?? parsed.Message ?? message;
      reasons = parsed.CancellationReasons;
    } catch {
      // not JSON (a proxy's error page): keep the status as the code
    }
    const error = new AwsError(
      `DynamoDB ${operation}: ${code}: ${message}`,
      response.status,
      code,
      response.status >= 500 || THROTTLING.has(code),
    );
    if (reasons !== undefined) Object.assign(error, { reasons });
    throw error;
  }
}
