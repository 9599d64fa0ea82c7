import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import { root } from "./signed-bundle-support.ts";

/**
 * A bundle server as OPA's bundle service protocol has it, on node:http: GET of one bundle with an ETag, 304 for a
 * matching If-None-Match, 401 without the expected bearer token. It records every request it answers.
 */
export class BundleServer {
  readonly path = "/bundles/b2b.tar.gz";
  readonly requests: { ifNoneMatch: string | undefined; authorization: string | undefined; status: number }[] = [];
  private bundle: Buffer | null = null;
  private etag = "";
  private server: Server | undefined;
  url = "";

  constructor(private readonly token: string) {}

  /** Serves these bytes from now on, with an ETag of their content. */
  serve(bytes: Buffer): string {
    this.bundle = bytes;
    this.etag = `"${createHash("sha256").update(bytes).digest("hex").slice(0, 20)}"`;
    return this.etag;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const record = (status: number) => this.requests.push({ ifNoneMatch: req.headers["if-none-match"], authorization: req.headers.authorization, status });
      if (req.headers.authorization !== `Bearer ${this.token}`) {
        record(401);
        res.writeHead(401).end();
      } else if (req.url !== this.path || !this.bundle) {
        record(404);
        res.writeHead(404).end();
      } else if (req.headers["if-none-match"] === this.etag) {
        record(304);
        res.writeHead(304, { etag: this.etag }).end();
      } else {
        record(200);
        res.writeHead(200, { etag: this.etag, "content-type": "application/gzip", "content-length": this.bundle.length }).end(this.bundle);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${this.path}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.server = undefined;
  }
}

export interface SidecarProcess {
  url: string;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * `src/main.ts` (or `dist/main.js` with TEST_TARGET=dist) as its own process; resolves with its URL once it logs
 * that it listens.
 */
export function startSidecarProcess(env: Record<string, string>): Promise<SidecarProcess> {
  const args = process.env.TEST_TARGET === "dist" ? ["dist/main.js"] : ["--import", "tsx", "src/main.ts"];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: root,
    env: { PATH: process.env.PATH, PORT: "0", LOG_LEVEL: "info", DECISION_LOG: "off", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  child.stderr?.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the sidecar exited (${code}) before listening:\n${text}`)));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      text += `${line}\n`;
      let entry: { msg?: string; url?: string } = {};
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        // A line that is not the application log's JSON (the dev key notice) is only kept.
      }
      if (entry.msg === "b2b-authz listening" && entry.url) resolve({ url: entry.url, output: () => text, stop });
    });
  });
}
