import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

/**
 * The b2b-authz sidecar of this repository as a child process on its embedded default (in-process PostgreSQL with
 * the demo graph), on a free loopback port, with a key made here. It is what `npm start` at the repository's root
 * runs; the shop talks to it over HTTP like to any sidecar.
 */
export interface EmbeddedSidecar {
  url: string;
  apiKey: string;
  close(): Promise<void>;
}

const main = fileURLToPath(new URL("../../../dist/main.js", import.meta.url));

export async function startEmbeddedSidecar(): Promise<EmbeddedSidecar> {
  if (!existsSync(main)) throw new Error(`the sidecar is not built: run npm ci (or npm run build) at the repository's root`);
  const port = await freePort();
  const apiKey = `storefront-${randomBytes(12).toString("base64url")}`;
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: "127.0.0.1", AUTHZ_API_KEYS: `${apiKey}=check+admin`, LOG_LEVEL: "warn" };
  // The embedded default: no DATABASE_URL, no REDIS_URL (the shop's own settings are not the sidecar's).
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  delete env.WORKERS;
  const child = spawn(process.execPath, [main], { env, stdio: ["ignore", "ignore", "inherit"] });
  // A shop that exits without close() (a crash, a second Ctrl-C) takes its sidecar with it.
  const orphanGuard = () => child.kill("SIGTERM");
  process.once("exit", orphanGuard);
  child.once("exit", () => process.off("exit", orphanGuard));
  const url = `http://127.0.0.1:${port}`;
  try {
    await ready(url, child);
  } catch (error) {
    child.kill("SIGTERM");
    throw error;
  }
  return {
    url,
    apiKey,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

async function ready(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the sidecar exited with code ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/health/ready`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error("the sidecar was not ready within 60 s");
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (address && typeof address === "object" ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}
