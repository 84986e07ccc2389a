import { type AwsEndpoint, AwsError, awsRequest } from "./request.ts";

/** SQS SendMessage (JSON protocol) on the signer; resolves the message id. */
export async function sendMessage(
  endpoint: AwsEndpoint,
  queueUrl: string,
  body: string,
): Promise<string> {
  const response = await awsRequest(endpoint, {
    method: "POST",
    path: "/",
    headers: {
      "content-type": "application/x-amz-json-1.0",
      "x-amz-target": "AmazonSQS.SendMessage",
    },
    body: JSON.stringify({ QueueUrl: queueUrl, MessageBody: body }),
  });
  const text = response.body.toString("utf8");
  let parsed: { MessageId?: string; __type?: string; message?: string } = {};
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    // not JSON: reported by status
  }
  if (response.status === 200 && parsed.MessageId) return parsed.MessageId;
  const code = parsed.__type?.split("#").pop() ?? `Http${response.status}`;
  throw new AwsError(
    `SQS SendMessage: ${code}${parsed.message ? `: ${parsed.message}` : ""}`,
    response.status,
    code,
    response.status >= 500 || /Throttl|RequestThrottled/.test(code),
  );
}
