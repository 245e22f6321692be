// The demo's static server (examples/browser/serve.mjs): the right MIME types (browsers compile
// wasm by streaming only when it is application/wasm, and refuse module scripts of other types),
// 404 for what it does not map, and nothing outside its four directories, however the path is
// spelled. Needs no browser.

import { request } from "node:http";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveRequest, startServer, type RunningServer } from "../../examples/browser/serve.mjs";

const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

let server: RunningServer;

beforeAll(async () => {
  server = await startServer({ port: 0 });
});

afterAll(async () => {
  await server?.close();
});

/** GET with the path sent exactly as given (fetch would normalise `..` away before sending). */
function get(path: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((done, reject) => {
    const req = request({ host: "127.0.0.1", port: server.port, path, method: "GET" }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => done({ status: res.statusCode ?? 0, type: String(res.headers["content-type"] ?? ""), body: Buffer.concat(chunks).toString("latin1") }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("examples/browser/serve.mjs", () => {
  it("listens where it says", () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
  });

  it.each([
    ["/", "text/html"],
    ["/main.js", "text/javascript"],
    ["/style.css", "text/css"],
    ["/dist/browser.js", "text/javascript"],
    ["/dist/bioplausible.wasm", "application/wasm"],
    ["/mnist/t10k-labels-idx1-ubyte", "application/octet-stream"],
    ["/tests/runtimes/determinism-job.js", "text/javascript"],
  ])("serves %s as %s", async (path, type) => {
    const res = await get(path);
    expect(res.status).toBe(200);
    expect(res.type.split(";")[0]).toBe(type);
  });

  it("sends the cross-origin isolation headers (COOP, COEP, CORP) with every response, errors included", async () => {
    for (const path of ["/", "/dist/browser.js", "/no-such-file"]) {
      const headers = await new Promise<Record<string, unknown>>((done, reject) => {
        request({ host: "127.0.0.1", port: server.port, path, method: "HEAD" }, (res) => (res.resume(), done(res.headers))).on("error", reject).end();
      });
      expect(headers, path).toMatchObject({ "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp", "cross-origin-resource-policy": "same-origin" });
    }
  });

  it("serves the bytes of the file", async () => {
    const res = await get("/mnist/t10k-labels-idx1-ubyte");
    expect(res.body.length).toBe(10008);
    expect([...res.body.slice(0, 4)].map((c) => c.charCodeAt(0))).toEqual([0, 0, 8, 1]); // IDX magic: unsigned bytes, rank 1
  });

  it.each(["/nope.js", "/dist/", "/mnist/", "/tests/runtimes/", "/tests/browser/serve.test.ts", "/package.json"])("answers 404 for %s", async (path) => {
    expect((await get(path)).status).toBe(404);
  });

  it.each([
    "/../package.json",
    "/dist/../package.json",
    "/dist/../../package.json",
    "/dist/%2e%2e/%2e%2e/package.json",
    "/dist/..%2f..%2fpackage.json",
    "/mnist/..%2F..%2F..%2Fpackage.json",
    "/tests/runtimes/..%5c..%5cpackage.json",
    "/%2e%2e/%2e%2e/package.json",
    "/dist/%00",
  ])("serves nothing outside its directories: %s", async (path) => {
    const res = await get(path);
    expect([400, 404]).toContain(res.status);
    expect(res.body).not.toContain('"name": "bioplausible"');
  });

  it("refuses a path that resolves outside its mount, and malformed escapes", () => {
    const mounts = [{ prefix: "/x/", dir: join(ROOT, "tests/runtimes") }];
    expect(resolveRequest("/x/../package.json", mounts).status).toBe(400);
    expect(resolveRequest("/x/%E0%A4%A", mounts).status).toBe(400);
    expect(resolveRequest("/y/determinism-job.js", mounts).status).toBe(404);
    expect(resolveRequest("/x/determinism-job.js", mounts).file).toBe(join(ROOT, "tests/runtimes/determinism-job.js"));
  });

  it("answers 405 to anything but GET and HEAD", async () => {
    const status = await new Promise<number>((done, reject) => {
      const req = request({ host: "127.0.0.1", port: server.port, path: "/", method: "POST" }, (res) => {
        res.resume();
        done(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(405);
  });
});
