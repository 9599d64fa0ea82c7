import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import type { CheckRequest, Credentials, Decision, Effective, OrderScope, OrgNode, Subject } from "./api.ts";
import { asText, howHeld, mayAct, reachedAtLevel3, reasonFields } from "./describe.ts";
import type { Reason } from "./api.ts";

/** A titled panel section; the title labels it for assistive technology. */
function Section(props: { name: string; title: ComponentChildren; class?: string; live?: boolean; children: ComponentChildren }) {
  return (
    <section class={`panel-section ${props.class ?? ""}`} aria-labelledby={`${props.name}-heading`} aria-live={props.live ? "polite" : undefined}>
      <h2 id={`${props.name}-heading`}>{props.title}</h2>
      {props.children}
    </section>
  );
}

/** A form's submit handler that keeps the browser from navigating. */
const onSubmitted = (handler: () => void) => (event: Event) => {
  event.preventDefault();
  handler();
};

/** The only thing shown without a key. */
export function KeyPrompt({ onSubmit }: { onSubmit: (credentials: Credentials) => void }) {
  const [key, setKey] = useState("");
  const [actor, setActor] = useState("");
  return (
    <main class="prompt">
      <form
        class="prompt-form"
        aria-label="API key"
        onSubmit={onSubmitted(() => {
          if (key.trim() !== "") onSubmit({ key: key.trim(), actor: actor.trim() || "staff:ops-1" });
        })}
      >
        <h1>Decision explorer</h1>
        <p>The page calls the sidecar's API with your key; the key stays in this tab's session storage.</p>
        <label>
          API key
          <input name="key" type="password" autocomplete="off" required value={key} onInput={(e) => setKey(e.currentTarget.value)} />
        </label>
        <label>
          Act as (X-Actor for the tree reads)
          <input name="actor" placeholder="staff:ops-1" value={actor} onInput={(e) => setActor(e.currentTarget.value)} />
        </label>
        <button type="submit">Open</button>
      </form>
    </main>
  );
}

export function CompanyPicker(props: { trees: { root: string; name: string; size: number }[]; current: string | null; onPick: (root: string) => void }) {
  const [query, setQuery] = useState("");
  const needle = query.trim().toLowerCase();
  const matches = props.trees.filter((t) => needle === "" || t.root.toLowerCase().includes(needle) || t.name.toLowerCase().includes(needle));
  return (
    <Section name="company" title="Company">
      {/* Enter opens the org typed in, listed or not: a buyer, who may not list the companies, still reads its own tree. */}
      <form onSubmit={onSubmitted(() => query.trim() !== "" && props.onPick(matches.length === 1 ? matches[0]!.root : query.trim()))}>
        <input name="company" type="search" placeholder="search by id or name" value={query} onInput={(e) => setQuery(e.currentTarget.value)} />
      </form>
      <ul class="company-list">
        {matches.map((t) => (
          <li key={t.root}>
            <button type="button" class={t.root === props.current ? "company current" : "company"} data-root={t.root} onClick={() => props.onPick(t.root)}>
              <span class="company-id">{t.root}</span> <span class="company-name">{t.name}</span> <span class="muted">{t.size} orgs</span>
            </button>
          </li>
        ))}
        {matches.length === 0 ? <li class="muted">no company matches</li> : null}
      </ul>
    </Section>
  );
}

export function SubjectPicker({ onPick, current }: { onPick: (subject: Subject) => void; current: Subject | null }) {
  const [id, setId] = useState("");
  const [kind, setKind] = useState<Subject["kind"]>("user");
  return (
    <Section name="subject" title="Subject">
      <form
        class="row"
        onSubmit={onSubmitted(() => {
          if (id.trim() !== "") onPick({ id: id.trim(), kind });
        })}
      >
        <select name="kind" aria-label="subject kind" value={kind} onChange={(e) => setKind(e.currentTarget.value === "staff" ? "staff" : "user")}>
          <option value="user">user</option>
          <option value="staff">staff</option>
        </select>
        <input name="subject" placeholder="user id, e.g. carol" value={id} onInput={(e) => setId(e.currentTarget.value)} />
        <button type="submit">Show</button>
      </form>
      {current ? (
        <p class="muted">
          showing {current.kind} <strong>{current.id}</strong>
        </p>
      ) : null}
    </Section>
  );
}

export function CheckForm(props: { org: string; subject: Subject | null; actions: string[]; onCheck: (request: CheckRequest) => void }) {
  const [action, setAction] = useState("order.place");
  const [type, setType] = useState("order");
  const [org, setOrg] = useState("");
  const [buyer, setBuyer] = useState("");
  const [total, setTotal] = useState("");
  const subject = props.subject;
  return (
    <Section name="check" title="Check">
      <form
        class="check-form"
        onSubmit={onSubmitted(() => {
          if (!subject) return;
          const amount = total.trim() === "" ? undefined : Number(total);
          const withResource = org.trim() !== "" || buyer.trim() !== "" || amount !== undefined;
          props.onCheck({
            subject,
            org: props.org,
            action: action.trim(),
            ...(withResource
              ? {
                  resource: {
                    type: type.trim() || "order",
                    org: org.trim() || props.org,
                    ...(buyer.trim() !== "" ? { buyer: buyer.trim() } : {}),
                    ...(amount !== undefined && Number.isFinite(amount) ? { attributes: { total: amount } } : {}),
                  },
                }
              : {}),
          });
        })}
      >
        <p class="muted">
          {subject ? subject.id : "pick a subject"} acting in <strong>{props.org}</strong>
        </p>
        <label>
          action
          <input name="action" list="action-codes" required value={action} onInput={(e) => setAction(e.currentTarget.value)} />
        </label>
        <datalist id="action-codes">
          {props.actions.map((code) => (
            <option key={code} value={code} />
          ))}
        </datalist>
        <fieldset>
          <legend>resource (optional)</legend>
          <label>
            type
            <input name="type" value={type} onInput={(e) => setType(e.currentTarget.value)} />
          </label>
          <label>
            org
            <input name="resource-org" placeholder={props.org} value={org} onInput={(e) => setOrg(e.currentTarget.value)} />
          </label>
          <label>
            buyer
            <input name="buyer" value={buyer} onInput={(e) => setBuyer(e.currentTarget.value)} />
          </label>
          <label>
            total
            <input name="total" type="number" min="0" step="any" value={total} onInput={(e) => setTotal(e.currentTarget.value)} />
          </label>
        </fieldset>
        <button type="submit" disabled={!subject}>
          Check
        </button>
      </form>
    </Section>
  );
}

function Reasons({ reasons }: { reasons: Reason[] }) {
  if (reasons.length === 0) return null;
  return (
    <ul class="reasons">
      {reasons.map((reason, i) => (
        <li key={i} class="reason" data-code={reason.code}>
          <code>{reason.code}</code> {reason.message}
          {reasonFields(reason) ? <div class="reason-fields">{reasonFields(reason)}</div> : null}
        </li>
      ))}
    </ul>
  );
}

export function CheckResult({ result }: { result: Decision }) {
  return (
    <Section
      name="decision"
      class="check-result"
      live
      title={
        <>
          Decision <span class={`badge decision decision-${result.decision}`}>{result.decision}</span>
        </>
      }
    >
      <Reasons reasons={result.reasons} />
      {result.approvers ? (
        <div class="approvers">
          <h3>Approvers</h3>
          <dl>
            {Object.entries(result.approvers).map(([name, value]) => (
              <div key={name}>
                <dt>{name}</dt>
                <dd>{asText(value)}</dd>
              </div>
            ))}
          </dl>
        </div>
      ) : null}
      <dl class="stamp">
        <dt>graph token</dt>
        <dd class="token">{result.graphToken}</dd>
        <dt>decision id</dt>
        <dd>{result.decisionId}</dd>
        <dt>policy revision</dt>
        <dd>{result.policyRevision}</dd>
      </dl>
    </Section>
  );
}

export function OrgDetails({ org, effective, subject }: { org: OrgNode; effective: Effective | undefined; subject: Subject | null }) {
  const attributes = Object.entries(org.attributes ?? {});
  return (
    <Section
      name="org"
      class="org-details"
      title={
        <>
          <span class="org-id">{org.id}</span> <span class={`badge status status-${org.status}`}>{org.status}</span>
        </>
      }
    >
      <p class="org-name">{org.name}</p>
      <p class="muted">{org.inheritRoles ? "inherits roles from above" : "✂ cut: roles held above do not reach this org"}</p>
      {attributes.length > 0 ? (
        <dl class="attributes">
          {attributes.map(([name, value]) => (
            <div key={name}>
              <dt>{name}</dt>
              <dd>{asText(value)}</dd>
            </div>
          ))}
        </dl>
      ) : null}
      {subject && effective ? <SubjectHere subject={subject} effective={effective} /> : null}
    </Section>
  );
}

function SubjectHere({ subject, effective }: { subject: Subject; effective: Effective }) {
  const reached = reachedAtLevel3(effective);
  return (
    <div class="subject-here" data-subject={subject.id}>
      <h3>
        {subject.id} here: <span class={mayAct(effective) ? "badge acts" : "badge no-act"}>{mayAct(effective) ? "may act" : "no action"}</span>
      </h3>
      <ul class="held-roles">
        {effective.roles.map((role) => (
          <li key={`${role.key}@${role.from}`} class={`role via-${role.via}`}>
            <span class="role-key">{role.key}</span> <span class="role-how">{howHeld(role, effective.org)}</span>
          </li>
        ))}
        {effective.roles.length === 0 ? <li class="muted">no role held here</li> : null}
      </ul>
      {reached.length > 0 ? (
        <>
          <h4>Reached at level 3</h4>
          <ul>
            {reached.map((p) => (
              <li key={p.code}>
                <code>{p.code}</code> from {p.from.join(", ")}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      <h4>Status gate</h4>
      <p>
        org status <strong>{effective.orgStatus ?? "unknown"}</strong>
        {effective.gated && effective.gated.length > 0 ? `: refuses ${effective.gated.join(", ")}` : ": refuses nothing held"}
      </p>
      <Reasons reasons={effective.reasons} />
      {effective.permissions.length > 0 ? (
        <table class="permissions">
          <thead>
            <tr>
              <th>permission</th>
              <th>level</th>
              <th>from</th>
            </tr>
          </thead>
          <tbody>
            {effective.permissions.map((p) => (
              <tr key={p.code}>
                <td>
                  <code>{p.code}</code>
                </td>
                <td>{p.level}</td>
                <td>{p.from.join(", ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}

export function OrderScopePanel({ scope, org }: { scope: OrderScope; org: string }) {
  return (
    <Section
      name="scope"
      class="order-scope"
      title={
        <>
          Order scope in {org} <span class={`badge kind-${scope.kind}`}>{scope.kind}</span>
        </>
      }
    >
      <p>
        orders of: <span class="scope-orgs">{scope.scope.orgs.length > 0 ? scope.scope.orgs.join(", ") : "none"}</span>
      </p>
      <p>
        own orders only: <span class="scope-own">{scope.scope.ownOrgs.length > 0 ? scope.scope.ownOrgs.join(", ") : "none"}</span>
      </p>
      <pre class="sql">
        <code>{`WHERE ${scope.sql.where}\n-- params ${JSON.stringify(scope.sql.params)}`}</code>
      </pre>
      <Reasons reasons={scope.reasons} />
    </Section>
  );
}
