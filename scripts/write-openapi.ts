// Writes the sidecar's OpenAPI document (the route table's, as GET /openapi.json serves it) to docs/openapi.json, the
// checked-in input of the typed client's generated types (`npm run api:generate`). The handlers are never called:
// building the table only declares routes, so no store, cache or policy is needed.
import { readFileSync, writeFileSync } from "node:fs";
import { apiRoutes } from "../src/http/api-routes.ts";
import { openApiDocument } from "../src/http/openapi.ts";

const root = new URL("../", import.meta.url);
const { version } = JSON.parse(readFileSync(new URL("package.json", root), "utf8")) as { version: string };
const unused = {} as never;
const routes = apiRoutes({ decisions: unused, graph: unused, engine: unused, bundleStatus: unused, metrics: unused, keys: unused, startedAt: new Date(0), version });
writeFileSync(new URL("docs/openapi.json", root), `${JSON.stringify(openApiDocument(routes, version), null, 2)}\n`);
