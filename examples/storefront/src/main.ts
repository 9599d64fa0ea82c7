import { startStorefront } from "./storefront.ts";

const shop = await startStorefront({
  sidecarUrl: process.env.SIDECAR_URL,
  sidecarApiKey: process.env.SIDECAR_API_KEY,
  databaseUrl: process.env.DATABASE_URL,
  port: Number(process.env.PORT ?? 3000),
});
console.log(
  [
    `storefront at ${shop.url} (authorizing with the sidecar at ${shop.sidecarUrl})`,
    "try:",
    `  curl -s ${shop.url}/orgs/ACME-DE/orders -H 'x-user: carol'`,
    `  curl -s ${shop.url}/orgs/ACME-DE/orders -H 'x-user: carol' -H 'content-type: application/json' -d '{"total": 300}'`,
    `  curl -s ${shop.url}/orgs/ACME-DE/orders -H 'x-user: carol' -H 'content-type: application/json' -d '{"total": 800}'`,
  ].join("\n"),
);
const stop = () => void shop.close().then(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
