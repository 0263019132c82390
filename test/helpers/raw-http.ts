/** HTTP requests with exactly the headers given (fetch will not send Host or some others as asked). */

import { request } from "node:http";

/** One request with exactly these headers (Host included); the body as text. */
export function rawHttp(
  url: string, o: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  const u = new URL(url);
  return new Promise((done, fail) => {
    const req = request({ host: u.hostname, port: u.port, method: o.method ?? "GET", path: o.path, headers: o.headers, setHost: !o.headers?.host }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => done({ status: res.statusCode!, body: Buffer.concat(chunks).toString("utf8"), headers: res.headers }));
    });
    req.on("error", fail);
    req.end(o.body);
  });
}
