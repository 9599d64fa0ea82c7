import pg from "pg";
import { it } from "vitest";
import { startTestSidecar } from "../http/sidecar-test-support.ts";
import { prepareStore } from "./harness.ts";

it("probe", async () => {
  const t = await startTestSidecar("oracle_probe");
  const db = new pg.Pool({ connectionString: t.databaseUrl, max: 2 });
  await prepareStore(t, db);
  const doc = {
    roles: [{ key: "req", name: "req", checkout: "approval", permissions: [{ code: "order.place", level: 2 }], limits: { maxOrderTotal: 100 } }],
    orgs: [
      { id: "A", name: "A", parent: null, overLimit: "deny" },
      { id: "B", name: "B", parent: "A" },
      { id: "C", name: "C", parent: "B", status: "pending" },
    ],
    users: [{ id: "u" }, { id: "v" }],
    memberships: [
      { user: "u", org: "B", roles: ["req"] },
      { user: "v", org: "A", roles: ["ep_buyer", "buyer"], inheritable: false },
    ],
  };
  const imp = await t.call("POST", "/v1/import", { actor: "staff:ops-admin", body: doc });
  console.log(imp.status);
  const c = { atLeast: imp.body.graphToken };
  for (const total of [50, 500]) {
    const r = await t.call("POST", "/v1/check", { body: { subject: { id: "u" }, org: "B", action: "order.place", resource: { type: "order", attributes: { total } }, consistency: c } });
    console.log(total, JSON.stringify(r.body.decision), JSON.stringify(r.body.reasons));
  }
  for (const org of ["B", "C"]) {
    const p = await t.call("POST", "/v1/permissions", { body: { subject: { id: "v" }, org, consistency: c } });
    console.log(JSON.stringify(p.body));
    const s = await t.call("POST", "/v1/permissions", { body: { subject: { id: "ops-admin", kind: "staff" }, org, consistency: c } });
    console.log(JSON.stringify(s.body).slice(0, 600));
  }
  await db.end();
  await t.sidecar.close();
});
