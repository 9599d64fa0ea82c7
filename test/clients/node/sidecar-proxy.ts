import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** What the proxy does with the n-th request (1-based): pass it on, or fail it the way a sick sidecar would. */
export type ProxyAction = "forward" | "503" | "reset" | "hang";

export interface SeenRequest {
  method: string;
  url: string;
  body: any;
}

export interface SidecarProxy {
  url: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/**
 * A real node:http server in front of a real sidecar: it answers 503 in the sidecar's error shape, resets the
 * connection, or never answers, as `plan` says per request, and otherwise forwards the request unchanged. The
 * client under test sees real sockets and real status codes; the proxy records what the client sent.
 */
export async function startSidecarProxy(target: string, plan: (n: number, seen: SeenRequest) => ProxyAction): Promise<SidecarProxy> {
  const seen: SeenRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    void readBody(req).then((raw) => {
      const entry: SeenRequest = { method: req.method ?? "", url: req.url ?? "", body: raw ? JSON.parse(raw) : undefined };
      seen.push(entry);
      const action = plan(seen.length, entry);
      if (action === "hang") return;
      if (action === "reset") {
        req.socket.destroy();
        return;
      }
      if (action === "503") {
        res.writeHead(503, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { code: "graph_unavailable", message: "graph store unreachable", details: [] } }));
        return;
      }
      const upstream = httpRequest(`${target}${req.url ?? ""}`, { method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on("error", () => req.socket.destroy());
      upstream.end(raw);
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port that was just free: nothing listens there, so a connection is refused. */
export async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
