import { useEffect, useMemo, useState } from "preact/hooks";
import {
  Api,
  ApiError,
  storeCredentials,
  storedCredentials,
  type CheckRequest,
  type Credentials,
  type Decision,
  type Effective,
  type OrderScope,
  type OrgNode,
  type Status,
  type Subject,
} from "./api.ts";
import { CheckForm, CheckResult, CompanyPicker, KeyPrompt, OrderScopePanel, OrgDetails, SubjectPicker } from "./panels.tsx";
import { TreeView } from "./tree-view.tsx";

function findOrg(node: OrgNode, id: string): OrgNode | undefined {
  if (node.id === id) return node;
  for (const child of node.children) {
    const found = findOrg(child, id);
    if (found) return found;
  }
  return undefined;
}

const messageOf = (error: unknown) => (error instanceof ApiError ? `${error.code}: ${error.message}` : String(error));

export function App() {
  const [credentials, setCredentials] = useState<Credentials | null>(storedCredentials);
  if (!credentials) {
    return (
      <KeyPrompt
        onSubmit={(c) => {
          storeCredentials(c);
          setCredentials(c);
        }}
      />
    );
  }
  return (
    <Explorer
      credentials={credentials}
      onForget={() => {
        storeCredentials(null);
        setCredentials(null);
      }}
    />
  );
}

function Explorer({ credentials, onForget }: { credentials: Credentials; onForget: () => void }) {
  const api = useMemo(() => new Api(credentials), [credentials]);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<Status | null>(null);
  const [trees, setTrees] = useState<{ root: string; name: string; size: number }[]>([]);
  const [actions, setActions] = useState<string[]>([]);
  const [tree, setTree] = useState<OrgNode | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [subject, setSubject] = useState<Subject | null>(null);
  const [effective, setEffective] = useState<Map<string, Effective> | null>(null);
  const [scope, setScope] = useState<OrderScope | null>(null);
  const [decision, setDecision] = useState<Decision | null>(null);

  const report = (e: unknown) => setError(messageOf(e));

  useEffect(() => {
    api.status().then(setStatus, report);
    api.trees().then((answer) => setTrees(answer.trees), report);
    api
      .roles()
      .then((answer) => setActions([...new Set(answer.roles.flatMap((r) => r.permissions.map((p) => p.code)))].sort()))
      .catch(() => setActions([]));
  }, [api]);

  const pickCompany = (root: string) => {
    setError(null);
    setDecision(null);
    api.tree(root).then((answer) => {
      setTree(answer.tree);
      setSelected(answer.tree.id);
    }, report);
  };

  // The subject's answers follow the company and the selected org: the whole tree at once, the order scope where it acts.
  useEffect(() => {
    if (!subject || !tree) {
      setEffective(null);
      return;
    }
    api.permissionsTree(subject, tree.id).then((answer) => setEffective(new Map(answer.orgs.map((o) => [o.org, o]))), report);
  }, [api, subject, tree]);

  useEffect(() => {
    if (!subject || !selected) {
      setScope(null);
      return;
    }
    api.orderScope(subject, selected).then(setScope, report);
  }, [api, subject, selected]);

  const runCheck = (request: CheckRequest) => {
    setError(null);
    api.check(request).then(setDecision, (e: unknown) => {
      setDecision(null);
      report(e);
    });
  };

  const selectedOrg = tree && selected ? findOrg(tree, selected) : undefined;

  return (
    <div class="layout">
      <header class="topbar">
        <h1>Decision explorer</h1>
        <p class="policy" data-testid="policy">
          {status?.policy
            ? `policy ${status.policy.revision} (digest ${status.policy.digest.slice(0, 12)}), activated ${new Date(status.policy.activatedAt).toLocaleString()}`
            : "policy: not loaded"}
        </p>
        <p class="muted">acting as {credentials.actor}</p>
        <button type="button" onClick={onForget}>
          Forget key
        </button>
      </header>
      <aside class="controls" aria-label="controls">
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
        <CompanyPicker trees={trees} current={tree?.id ?? null} onPick={pickCompany} />
        <SubjectPicker current={subject} onPick={setSubject} />
        {selected ? <CheckForm org={selected} subject={subject} actions={actions} onCheck={runCheck} /> : null}
        {decision ? <CheckResult result={decision} /> : null}
      </aside>
      <main class="tree-panel" aria-label="org tree">
        {tree && selected ? (
          <TreeView root={tree} selected={selected} onSelect={setSelected} effective={effective} scope={scope} />
        ) : (
          <p class="muted hint">Pick a company to see its tree.</p>
        )}
      </main>
      <aside class="details" aria-label="details">
        {selectedOrg ? <OrgDetails org={selectedOrg} effective={effective?.get(selectedOrg.id)} subject={subject} /> : null}
        {scope && selected ? <OrderScopePanel scope={scope} org={selected} /> : null}
      </aside>
    </div>
  );
}
