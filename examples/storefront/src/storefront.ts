import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { AuthzClient } from "@b2b-authz/client";
import { storefrontApp } from "./app.ts";
import { startEmbeddedSidecar, type EmbeddedSidecar } from "./embedded-sidecar.ts";
import { openOrdersDb } from "./orders-db.ts";

export interface StorefrontOptions {
  /** A running sidecar and its key; unset, the repository's sidecar is started on its embedded default. */
  sidecarUrl?: string;
  sidecarApiKey?: string;
  /** The shop's orders; unset, an in-process PostgreSQL with the demo orders. */
  databaseUrl?: string;
  port?: number;
}

export interface Storefront {
  url: string;
  sidecarUrl: string;
  close(): Promise<void>;
}

/** The whole example: the sidecar (started unless given), the shop's orders database, and the order API. */
export async function startStorefront(options: StorefrontOptions = {}): Promise<Storefront> {
  let sidecar: EmbeddedSidecar | undefined;
  if (!options.sidecarUrl) sidecar = await startEmbeddedSidecar();
  const sidecarUrl = options.sidecarUrl ?? sidecar!.url;
  const apiKey = options.sidecarApiKey ?? sidecar?.apiKey;
  if (!apiKey) throw new Error("SIDECAR_API_KEY: required with SIDECAR_URL");
  const orders = await openOrdersDb(options.databaseUrl);
  const client = new AuthzClient({ baseUrl: sidecarUrl, apiKey, timeoutMs: 2000 });
  const app = storefrontApp({ client, db: orders.db, onError: (error) => console.error("authorization could not be decided:", error) });
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(options.port ?? 3000, "127.0.0.1", () => resolve(listening));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sidecarUrl,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await orders.close();
      await sidecar?.close();
    },
  };
}
