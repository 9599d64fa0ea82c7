/**
 * Loads a generated dataset into its own PostgreSQL database through the store's import path
 * (`importDocument` of src/graph/org-graph.ts: the same validation, set-based upserts and triggers as
 * POST /v1/import), in chunks of whole trees, plus a host `orders` table. A database already holding the same
 * dataset (generator and loader source, seed, size and store migrations) is reused.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import pg from "pg";
import { pino } from "pino";
import { loadConfig } from "../src/config.ts";
import { createOrgGraph, type OrgGraph } from "../src/graph/org-graph.ts";
import { GENERATOR_VERSION, type Dataset, type GenMembership, type SizeName } from "./data-generator.ts";

export const PG_ADMIN_URL = process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379/0";

const ORGS_PER_CHUNK = 500;
const MEMBERSHIPS_PER_CHUNK = 10_000;
const USERS_PER_CHUNK = 10_000;
const ORDERS_PER_CHUNK = 100_000;
/**
 * Chunks stay small because every statement of the store has a 10 s timeout and the import resolves each org's
 * tree root one by one (about a millisecond each on this machine, more when it is busy); an upsert is idempotent,
 * so a chunk that timed out is simply imported again.
 */
const IMPORT_ATTEMPTS = 3;

export interface LoadedStore {
  databaseUrl: string;
  /** Seconds spent generating and importing (0 when the database was reused). */
  loadSeconds: number;
  reused: boolean;
}

export function databaseUrlFor(size: SizeName): string {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/b2b_authz_bench_${size}`;
  return url.toString();
}

async function adminQuery(sql: string, url = PG_ADMIN_URL): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

function fingerprint(data: Pick<Dataset, "seed" | "size">): string {
  const migrations = new URL("../src/store/migrations/", import.meta.url);
  const hash = createHash("sha256").update(JSON.stringify({ v: GENERATOR_VERSION, seed: data.seed, size: data.size }));
  // The generator's and this loader's own source: any change to what they produce means a new load.
  for (const source of ["./data-generator.ts", "./store-loader.ts"]) hash.update(readFileSync(new URL(source, import.meta.url)));
  for (const file of readdirSync(migrations).sort()) hash.update(file).update(readFileSync(new URL(file, migrations)));
  return hash.digest("hex").slice(0, 16);
}

/** The fingerprint the database holds, or null (no such database, or not a finished load). */
async function storedFingerprint(databaseUrl: string): Promise<string | null> {
  const name = new URL(databaseUrl).pathname.slice(1);
  const exists = await adminQuery(`select 1 from pg_database where datname = '${name}'`);
  if (exists.rowCount === 0) return null;
  try {
    const { rows } = await adminQuery("select fingerprint from bench_dataset", databaseUrl);
    return (rows[0] as { fingerprint?: string } | undefined)?.fingerprint ?? null;
  } catch {
    return null;
  }
}

/**
 * Makes `b2b_authz_bench_<size>` hold `data` (generated lazily by `generate` only when it must be loaded).
 * `onProgress` hears one line per step.
 */
export async function ensureStore(
  size: SizeName,
  spec: Pick<Dataset, "seed" | "size">,
  generate: () => Dataset,
  onProgress: (line: string) => void,
): Promise<LoadedStore> {
  const databaseUrl = databaseUrlFor(size);
  const want = fingerprint(spec);
  if ((await storedFingerprint(databaseUrl)) === want) return { databaseUrl, loadSeconds: 0, reused: true };

  const started = performance.now();
  const name = new URL(databaseUrl).pathname.slice(1);
  await adminQuery(`drop database if exists ${name} with (force)`);
  await adminQuery(`create database ${name}`);
  const data = generate();
  onProgress(
    `generated ${data.orgs.length.toLocaleString("en")} orgs in ${data.trees.length.toLocaleString("en")} trees, ` +
      `${data.users.length.toLocaleString("en")} users, ${data.memberships.length.toLocaleString("en")} memberships, ` +
      `${data.orders.length.toLocaleString("en")} orders in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const config = loadConfig({ DATABASE_URL: databaseUrl, LOG_LEVEL: "warn", MAX_TREE_ORGS: "500", MAX_TREE_DEPTH: "5" });
  const graph = await createOrgGraph(config, pino({ level: "warn" }));
  try {
    await importChunks(graph, data, onProgress);
  } finally {
    await graph.close();
  }
  await loadOrders(databaseUrl, data);
  // Vacuum as well as analyze: otherwise autovacuum takes up the freshly inserted million rows in the middle of a
  // run, and the store is not the steady-state database the runs mean to measure against.
  await adminQuery("vacuum analyze", databaseUrl);
  await adminQuery(`create table bench_dataset (fingerprint text not null); insert into bench_dataset values ('${want}')`, databaseUrl);
  const loadSeconds = (performance.now() - started) / 1000;
  onProgress(`loaded ${name} in ${loadSeconds.toFixed(1)} s`);
  return { databaseUrl, loadSeconds, reused: false };
}

/** Documents imported at once: two, one per PostgreSQL core (disjoint trees and users never wait on each other). */
const IMPORT_CONCURRENCY = 2;

async function importAll(graph: OrgGraph, docs: Parameters<OrgGraph["importDocument"]>[0][]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < docs.length) {
      const doc = docs[next++];
      for (let attempt = 1; ; attempt++) {
        try {
          await graph.importDocument(doc);
          break;
        } catch (error) {
          if (attempt >= IMPORT_ATTEMPTS || (error as { code?: string }).code !== "graph_unavailable") throw error;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: IMPORT_CONCURRENCY }, worker));
}

/** Roles and staff, then users, then whole trees with their memberships, then cross-tree memberships. */
async function importChunks(graph: OrgGraph, data: Dataset, onProgress: (line: string) => void): Promise<void> {
  const t0 = performance.now();
  await graph.importDocument({ roles: data.roles, staff: data.staff });
  const userDocs = [];
  for (let i = 0; i < data.users.length; i += USERS_PER_CHUNK) userDocs.push({ users: data.users.slice(i, i + USERS_PER_CHUNK) });
  await importAll(graph, userDocs);
  onProgress(`imported ${data.users.length.toLocaleString("en")} users in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const treeOf = new Map<string, string>();
  for (const t of data.trees) for (const id of t.orgs) treeOf.set(id, t.root);
  const byTree = new Map<string, GenMembership[]>();
  const crossTree: GenMembership[] = [];
  for (const m of data.memberships) {
    if (m.user.startsWith("x")) {
      crossTree.push(m);
      continue;
    }
    const root = treeOf.get(m.org)!;
    let list = byTree.get(root);
    if (!list) byTree.set(root, (list = []));
    list.push(m);
  }
  const orgById = new Map(data.orgs.map((o) => [o.id, o]));
  const treeDocs: { orgs: Dataset["orgs"]; memberships: GenMembership[] }[] = [];
  let doc: (typeof treeDocs)[number] = { orgs: [], memberships: [] };
  for (const tree of data.trees) {
    const ms = byTree.get(tree.root) ?? [];
    if (doc.orgs.length > 0 && (doc.orgs.length + tree.orgs.length > ORGS_PER_CHUNK || doc.memberships.length + ms.length > MEMBERSHIPS_PER_CHUNK)) {
      treeDocs.push(doc);
      doc = { orgs: [], memberships: [] };
    }
    for (const id of tree.orgs) doc.orgs.push(orgById.get(id)!);
    doc.memberships.push(...ms);
  }
  if (doc.orgs.length > 0) treeDocs.push(doc);
  const t1 = performance.now();
  await importAll(graph, treeDocs);
  const crossDocs = [];
  for (let i = 0; i < crossTree.length; i += MEMBERSHIPS_PER_CHUNK) crossDocs.push({ memberships: crossTree.slice(i, i + MEMBERSHIPS_PER_CHUNK) });
  await importAll(graph, crossDocs);
  onProgress(
    `imported ${data.orgs.length.toLocaleString("en")} orgs and ${data.memberships.length.toLocaleString("en")} memberships ` +
      `in ${treeDocs.length} documents in ${((performance.now() - t1) / 1000).toFixed(1)} s`,
  );
}

/** The host's orders table (the shape of the embedded demo's), which `/v1/orders/query` SQL filters. */
async function loadOrders(databaseUrl: string, data: Dataset): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`
      create table if not exists orders (
        id text primary key, org_id text not null, buyer_id text not null,
        total numeric(12, 2) not null, currency text not null default 'EUR', placed_at timestamptz not null default now());
      create index if not exists orders_org_idx on orders (org_id)`);
    for (let i = 0; i < data.orders.length; i += ORDERS_PER_CHUNK) {
      const chunk = data.orders.slice(i, i + ORDERS_PER_CHUNK);
      await client.query(
        `insert into orders (id, org_id, buyer_id, total)
         select * from unnest($1::text[], $2::text[], $3::text[], $4::numeric[])`,
        [chunk.map((o) => o.id), chunk.map((o) => o.org), chunk.map((o) => o.buyer), chunk.map((o) => o.total)],
      );
    }
  } finally {
    await client.end();
  }
}
