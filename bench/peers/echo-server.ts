/**
 * Peer: the ceiling for any Node HTTP JSON service on this machine. A bare `node:http` server that reads the
 * body, parses it and answers it back as JSON: no routing, no validation, no work. Run as its own process
 * (`node --import tsx bench/peers/echo-server.ts <port> [workers]`); with workers > 1, that many node:cluster
 * workers share the port, as our sidecar's WORKERS does.
 */
import cluster from "node:cluster";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ROOT } from "../paths.ts";
import { freePort, rssBytes, startChild, waitUntilReady, type Child } from "../processes.ts";

export function createEchoServer(): Server {
  return createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      let payload: string;
      try {
        payload = JSON.stringify(chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown) : {});
      } catch {
        res.writeHead(400).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(payload) });
      res.end(payload);
    });
  });
}

export interface EchoServer {
  child: Child;
  url: string;
  pid: number;
  rss(): number;
  stop(): Promise<void>;
}

export async function startEchoServer(workers = 1): Promise<EchoServer> {
  const port = await freePort();
  const child = startChild("echo", process.execPath, ["--import", "tsx", join(ROOT, "bench/peers/echo-server.ts"), String(port), String(workers)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", NODE_ENV: "production" },
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(child, `${url}/`, 30_000);
  } catch (error) {
    await child.stop();
    throw error;
  }
  return { child, url, pid: child.pid, rss: () => rssBytes(child.pid), stop: () => child.stop() };
}

const workers = Number(process.argv[3] ?? 1);
if (process.argv[1] === fileURLToPath(import.meta.url) && cluster.isPrimary && workers > 1) {
  for (let i = 0; i < workers; i++) cluster.fork();
  process.on("SIGTERM", () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill("SIGTERM");
    process.exit(0);
  });
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = createEchoServer();
  server.listen(Number(process.argv[2]), "127.0.0.1");
  process.on("SIGTERM", () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
