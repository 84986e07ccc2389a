import { type AwsEndpoint, AwsError, awsRequest } from "./request.ts";

/** SSM GetParameter (JSON 1.1) on the signer: the parameter's value. */
export async function getParameter(endpoint: AwsEndpoint, name: string): Promise<string> {
  const response = await awsRequest(endpoint, {
    method: "POST",
    path: "/",
    headers: {
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": "AmazonSSM.GetParameter",
    },
    body: JSON.stringify({ Name: name }),
  });
  const text = response.body.toString("utf8");
  let parsed: { Parameter?: { Value?: unknown }; __type?: string; message?: string } = {};
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    // a proxy's error page: reported by status below
  }
  const value = parsed.Parameter?.Value;
  if (response.status === 200 && typeof value === "string") return value;
  const code = parsed.__type?.split("#").pop() ?? `Http${response.status}`;
  throw new AwsError(
    `SSM GetParameter ${name}: ${code}${parsed.message ? `: ${parsed.message}` : ""}`,
    response.status,
    code,
    response.status >= 500 || code === "ThrottlingException",
  );
}
