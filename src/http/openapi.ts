import { z } from "zod";
import type { Route } from "./route.ts";

/** What the document reads of a route of the table: the same zod schemas validate the request and describe it here. */
export type ApiOperation = Pick<Route, "method" | "path" | "summary" | "scope" | "request" | "response" | "headers" | "produces" | "responseTypes">;

const errorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ path: z.string(), message: z.string() })),
  }),
});

const errorStatuses: Record<string, string> = {
  "400": "Invalid request (names each bad field) or unknown action code",
  "401": "Missing or unknown API key",
  "403": "The key lacks the scope, or the policy refused the operation",
  "413": "Request body too large (answered from Content-Length before reading)",
  "415": "unsupported_media_type: the body is not declared as JSON (application/json or application/*+json, UTF-8)",
  "503": "policy_unavailable or graph_unavailable: the sidecar fails closed",
};

type JsonSchema = Record<string, unknown>;

/**
 * A schema of the document. zod writes a named (`.meta({ id })`) schema's definitions beside it, with `$ref`s that
 * point at `#/definitions/<id>`, which only resolves inside that one schema: the definitions are moved to the
 * document's `components.schemas` and the refs pointed there, so every `$ref` of the document resolves (generators
 * such as openapi-typescript refuse one that does not). An input and an output form of one id that differ (a
 * default makes a field optional on input only) get their own names.
 */
function jsonSchema(schema: z.ZodType, io: "input" | "output", components: Record<string, JsonSchema>): JsonSchema {
  const { definitions, ...root } = z.toJSONSchema(schema, { io, unrepresentable: "any", target: "openapi-3.0" }) as JsonSchema & {
    definitions?: Record<string, JsonSchema>;
  };
  const names = new Map<string, string>();
  for (const [id, definition] of Object.entries(definitions ?? {})) {
    const text = JSON.stringify(definition);
    const existing = components[id];
    const name = existing === undefined || JSON.stringify(existing) === text ? id : `${id}${io === "input" ? "Input" : "Output"}`;
    names.set(`#/definitions/${id}`, `#/components/schemas/${name}`);
  }
  const relink = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(relink);
    if (value === null || typeof value !== "object") return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [key, key === "$ref" && typeof inner === "string" ? (names.get(inner) ?? inner) : relink(inner)]),
    );
  };
  for (const [id, definition] of Object.entries(definitions ?? {})) {
    components[(names.get(`#/definitions/${id}`) ?? id).slice("#/components/schemas/".length)] = relink(definition) as JsonSchema;
  }
  return relink(root) as JsonSchema;
}

function responseContent(response: z.ZodType, mediaTypes: readonly string[], components: Record<string, JsonSchema>) {
  const schema = jsonSchema(response, "output", components);
  return Object.fromEntries(mediaTypes.map((mediaType) => [mediaType, { schema }]));
}

/** The OpenAPI 3 document of the API, generated from the route table's zod schemas. */
export function openApiDocument(operations: readonly ApiOperation[], version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  const schemas: Record<string, JsonSchema> = {};
  for (const op of operations) {
    const pathParams = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    const headerParams = (op.headers ?? []).map((h) => ({
      name: h.name,
      in: "header",
      required: h.required,
      description: h.description,
      schema: { type: "string" },
    }));
    (paths[op.path] ??= {})[op.method] = {
      summary: op.summary,
      ...(op.scope ? { security: [{ apiKey: [] }], "x-scope": op.scope } : {}),
      ...(pathParams.length + headerParams.length > 0 ? { parameters: [...pathParams, ...headerParams] } : {}),
      ...(op.request
        ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(op.request, "input", schemas) } } } }
        : {}),
      responses: {
        "200": {
          description: "OK",
          ...(op.response ? { content: responseContent(op.response, op.responseTypes ?? ["application/json"], schemas) } : {}),
          ...(op.produces ? { content: { [op.produces]: { schema: { type: "string" } } } } : {}),
        },
        ...Object.fromEntries(
          Object.entries(errorStatuses).map(([status, description]) => [
            status,
            { description, content: { "application/json": { schema: jsonSchema(errorSchema, "output", schemas) } } },
          ]),
        ),
      },
    };
  }
  return {
    openapi: "3.0.3",
    info: {
      title: "b2b-authz",
      version,
      description: "Policy-as-code authorization sidecar for B2B commerce (org trees, roles, levels, order visibility).",
    },
    components: { schemas, securitySchemes: { apiKey: { type: "http", scheme: "bearer", description: "AUTHZ_API_KEYS key" } } },
    paths,
  };
}
