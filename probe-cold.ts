import pg from "pg";
import { FactLoader } from "./src/store/fact-loader.ts";
const pool = new pg.Pool({ connectionString: "postgres://postgres@127.0.0.1:5432/b2b_authz_bench_large", max: 10 });
const loader = new FactLoader(pool, true);
const { rows } = await pool.query<{ id: string; user_id: string }>("select o.id, (select user_id from memberships m where m.org_id=o.id limit 1) as user_id from orgs o where parent is null order by random() limit 400");
const t = async (f: () => Promise<unknown>) => { const s = performance.now(); await f(); return performance.now() - s; };
const pct = (a: number[], p: number) => a.sort((x, y) => x - y)[Math.floor((a.length - 1) * p)]!.toFixed(2);
for (const name of ["path", "user", "tree", "all3"]) {
  const times: number[] = [];
  for (const r of rows.slice(0, 100)) {
    rows.push(rows.shift()!);
    if (name === "path") times.push(await t(() => loader.pathsOf([r.id], r.user_id)));
    if (name === "user") times.push(await t(() => loader.user(r.user_id ?? "x")));
    if (name === "tree") times.push(await t(() => loader.treeOf(r.id)));
    if (name === "all3") times.push(await t(() => Promise.all([loader.pathsOf([r.id], r.user_id), loader.user(r.user_id ?? "x"), loader.treeOf(r.id)])));
  }
  console.log(name, "p50", pct(times, 0.5), "p90", pct(times, 0.9), "p99", pct(times, 0.99));
}
await pool.end();
