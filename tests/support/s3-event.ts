/** S3 events as the WebSub Lambda receives them: S3 event notifications, or via EventBridge. */
import type { S3Event, S3EventRecord } from "aws-lambda";
import type { S3BridgeEvent } from "../../functions/websub/handler.ts";

/**
 * One record for `key` (written as S3 writes it: URL-encoded, `+` for spaces). `eventName` is
 * e.g. `ObjectCreated:Put` or `ObjectRemoved:DeleteMarkerCreated`.
 */
export function s3Record(
  bucket: string,
  key: string,
  eventName = "ObjectCreated:Put",
): S3EventRecord {
  return {
    eventVersion: "2.1",
    eventSource: "aws:s3",
    awsRegion: "us-east-1",
    eventTime: "2026-06-01T00:00:00.000Z",
    eventName,
    userIdentity: { principalId: "AWS:EXAMPLE" },
    requestParameters: { sourceIPAddress: "203.0.113.7" },
    responseElements: { "x-amz-request-id": "EXAMPLE", "x-amz-id-2": "EXAMPLE" },
    s3: {
      s3SchemaVersion: "1.0",
      configurationId: "dateline-websub",
      bucket: {
        name: bucket,
        ownerIdentity: { principalId: "EXAMPLE" },
        arn: `arn:aws:s3:::${bucket}`,
      },
      object: {
        key: encodeURIComponent(key).replace(/%2F/g, "/").replace(/%20/g, "+"),
        size: 100,
        eTag: "0123456789abcdef0123456789abcdef",
        sequencer: "0055AED6DCD90281E5",
      },
    },
  };
}

export function s3Event(...records: S3EventRecord[]): S3Event {
  return { Records: records };
}

/** An S3 event as EventBridge delivers it ("Object Created" / "Object Deleted"); keys are not encoded. */
export function s3BridgeEvent(
  bucket: string,
  key: string,
  detailType: "Object Created" | "Object Deleted" = "Object Created",
): S3BridgeEvent {
  return {
    version: "0",
    id: "17793124-05d4-b198-2fde-7ededc63b103",
    "detail-type": detailType,
    source: "aws.s3",
    account: "111122223333",
    time: "2026-06-01T00:00:00Z",
    region: "us-east-1",
    resources: [`arn:aws:s3:::${bucket}`],
    detail: { bucket: { name: bucket }, object: { key } },
  };
}
