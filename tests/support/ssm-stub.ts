/**
 * An SSM stand-in on 127.0.0.1 (JSON 1.1 protocol) that knows exactly one parameter, so a
 * handler must ask for exactly that name; every name asked for is recorded.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface SsmStub {
  readonly url: string;
  readonly asked: string[];
  close(): Promise<void>;
}

export async function startSsmStub(name: string, value: string): Promise<SsmStub> {
  const asked: string[] = [];
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => {
      body += chunk;
    });
    request.on("end", () => {
      const target = request.headers["x-amz-target"];
      const asking = (JSON.parse(body || "{}") as { Name?: string }).Name ?? "";
      asked.push(asking);
      const found = target === "AmazonSSM.GetParameter" && asking === name;
      response.writeHead(found ? 200 : 400, { "content-type": "application/x-amz-json-1.1" });
      response.end(
        JSON.stringify(
          found
            ? { Parameter: { Name: name, Type: "String", Value: value, Version: 1 } }
            : { __type: "ParameterNotFound", message: `no parameter ${asking}` },
        ),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    asked,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
