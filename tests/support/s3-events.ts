/**
 * Lambda events as AWS delivers them to the indexer: S3 notification records (keys URL-encoded,
 * `+` for spaces), wrapped in SQS records as an S3 → SQS → Lambda subscription receives them.
 */
import type { S3EventRecord, SQSEvent, SQSRecord } from "aws-lambda";

let sequence = 0;

/** One S3 notification record for `fullKey` (e.g. `articles/a.md`) in `bucket`. */
export function s3Record(
  bucket: string,
  fullKey: string,
  eventName: "ObjectCreated:Put" | "ObjectRemoved:Delete" = "ObjectCreated:Put",
): S3EventRecord {
  sequence++;
  return {
    eventVersion: "2.1",
    eventSource: "aws:s3",
    awsRegion: "us-east-1",
    eventTime: new Date(1_700_000_000_000 + sequence * 1000).toISOString(),
    eventName,
    userIdentity: { principalId: "AWS:EXAMPLE" },
    requestParameters: { sourceIPAddress: "127.0.0.1" },
    responseElements: { "x-amz-request-id": `R${sequence}`, "x-amz-id-2": `I${sequence}` },
    s3: {
      s3SchemaVersion: "1.0",
      configurationId: "articles",
      bucket: {
        name: bucket,
        ownerIdentity: { principalId: "EXAMPLE" },
        arn: `arn:aws:s3:::${bucket}`,
      },
      object: {
        key: encodeURIComponent(fullKey).replace(/%2F/g, "/").replace(/%20/g, "+"),
        size: 1,
        eTag: "0",
        sequencer: sequence.toString(16).padStart(16, "0"),
      },
    },
  };
}

/** An SQS batch whose messages each carry one S3 notification (`{"Records":[…]}`) or `body`. */
export function sqsEvent(messages: (S3EventRecord[] | Record<string, unknown>)[]): SQSEvent {
  return {
    Records: messages.map((message, i): SQSRecord => {
      sequence++;
      return {
        messageId: `m-${sequence}-${i}`,
        receiptHandle: `h-${sequence}`,
        body: JSON.stringify(Array.isArray(message) ? { Records: message } : message),
        attributes: {
          ApproximateReceiveCount: "1",
          SentTimestamp: String(1_700_000_000_000 + sequence),
          SenderId: "s3.amazonaws.com",
          ApproximateFirstReceiveTimestamp: String(1_700_000_000_000 + sequence),
        },
        messageAttributes: {},
        md5OfBody: "",
        eventSource: "aws:sqs",
        eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:dateline-articles",
        awsRegion: "us-east-1",
      };
    }),
  };
}
