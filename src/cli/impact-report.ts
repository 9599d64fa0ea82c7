import type { DecisionDiff } from "../decisions/decision-diff.ts";
import type { ReplayRequest } from "./impact-requests.ts";

export interface BundleRef {
  revision: string | null;
  digest: string | null;
  source: string | null;
}

export interface ImpactExample {
  where: string;
  decisionId?: string | undefined;
  subject: string;
  org: string;
  kind: DecisionDiff["kind"];
  change: string;
  widening: boolean;
  index?: number | undefined;
  resource?: unknown;
  live: string[];
  candidate: string[];
}

export interface ImpactGroup {
  action: string;
  tree: string;
  count: number;
  widening: number;
  kinds: Record<string, number>;
  examples: ImpactExample[];
}

export interface ImpactReport {
  live: BundleRef;
  candidate: BundleRef;
  requests: { read: number; replayed: number; unchanged: number; changed: number; masked: number; skipped: number; invalid: number; failed: number };
  /** Differences (a batch counts each of its checks) and how many of them widen access. */
  differences: number;
  widening: number;
  byAction: Record<string, number>;
  byTree: Record<string, number>;
  groups: ImpactGroup[];
  masked: string[];
  invalid: { where: string; message: string }[];
  failed: { where: string; side: "live" | "candidate" | "both" | "facts"; code: string; message: string }[];
}

/** Collects the replayed decisions into the report: every difference, grouped by action and the acting tree. */
export class ImpactCollector {
  private readonly groups = new Map<string, ImpactGroup>();
  readonly report: ImpactReport;

  constructor(
    live: BundleRef,
    candidate: BundleRef,
    private readonly examplesPerGroup: number,
  ) {
    this.report = {
      live,
      candidate,
      requests: { read: 0, replayed: 0, unchanged: 0, changed: 0, masked: 0, skipped: 0, invalid: 0, failed: 0 },
      differences: 0,
      widening: 0,
      byAction: {},
      byTree: {},
      groups: [],
      masked: [],
      invalid: [],
      failed: [],
    };
  }

  masked(where: string): void {
    this.report.requests.read++;
    this.report.requests.masked++;
    this.report.masked.push(where);
  }

  skipped(): void {
    this.report.requests.read++;
    this.report.requests.skipped++;
  }

  invalid(where: string, message: string): void {
    this.report.requests.read++;
    this.report.requests.invalid++;
    this.report.invalid.push({ where, message });
  }

  failed(where: string, side: ImpactReport["failed"][number]["side"], error: { code: string; message: string }): void {
    this.report.requests.read++;
    this.report.requests.failed++;
    this.report.failed.push({ where, side, code: error.code, message: error.message });
  }

  replayed(request: ReplayRequest, requestInput: Record<string, unknown>, tree: string | null, diffs: readonly DecisionDiff[], live: unknown, candidate: unknown): void {
    const counts = this.report.requests;
    counts.read++;
    counts.replayed++;
    if (diffs.length === 0) {
      counts.unchanged++;
      return;
    }
    counts.changed++;
    const subject = (requestInput.subject as { id?: unknown } | undefined)?.id;
    const treeName = tree ?? `(unknown org ${String(requestInput.org)})`;
    for (const diff of diffs) {
      this.report.differences++;
      if (diff.widening) this.report.widening++;
      this.report.byAction[diff.action] = (this.report.byAction[diff.action] ?? 0) + 1;
      this.report.byTree[treeName] = (this.report.byTree[treeName] ?? 0) + 1;
      const key = `${diff.action}\u0000${treeName}`;
      let group = this.groups.get(key);
      if (!group) this.groups.set(key, (group = { action: diff.action, tree: treeName, count: 0, widening: 0, kinds: {}, examples: [] }));
      group.count++;
      if (diff.widening) group.widening++;
      group.kinds[diff.kind] = (group.kinds[diff.kind] ?? 0) + 1;
      // Widening examples first: they are the ones a reviewer must see.
      const example = this.example(request, requestInput, diff, live, candidate, String(subject));
      if (group.examples.length < this.examplesPerGroup) group.examples.push(example);
      else if (diff.widening) {
        const narrower = group.examples.findIndex((e) => !e.widening);
        if (narrower !== -1) group.examples[narrower] = example;
      }
    }
  }

  finish(): ImpactReport {
    this.report.groups = [...this.groups.values()].sort((a, b) => b.widening - a.widening || (a.action < b.action ? -1 : a.action > b.action ? 1 : a.tree < b.tree ? -1 : 1));
    return this.report;
  }

  private example(request: ReplayRequest, requestInput: Record<string, unknown>, diff: DecisionDiff, live: unknown, candidate: unknown, subject: string): ImpactExample {
    const pick = (answer: unknown): unknown => (diff.index === undefined ? answer : Array.isArray(answer) ? (answer as unknown[])[diff.index] : undefined);
    const checks = requestInput.checks as { resource?: unknown }[] | undefined;
    const resource = diff.index === undefined ? requestInput.resource : checks?.[diff.index]?.resource;
    return {
      where: request.where,
      ...(request.decisionId ? { decisionId: request.decisionId } : {}),
      subject,
      org: String(requestInput.org),
      kind: diff.kind,
      change: diff.change,
      widening: diff.widening,
      ...(diff.index !== undefined ? { index: diff.index } : {}),
      ...(resource !== undefined ? { resource } : {}),
      live: reasonCodes(pick(live)),
      candidate: reasonCodes(pick(candidate)),
    };
  }
}

function reasonCodes(answer: unknown): string[] {
  const reasons = (answer as { reasons?: unknown } | undefined)?.reasons;
  if (!Array.isArray(reasons)) return [];
  // The level tells a changed template apart where the codes alone read the same.
  return reasons.map((r) => {
    const { code, level } = r as { code?: string; level?: number };
    return level === undefined ? String(code) : `${String(code)}@${level}`;
  });
}

/** The report as a reviewer reads it. */
export function formatImpact(report: ImpactReport, acceptWidening: boolean): string {
  const r = report.requests;
  const lines = [
    `policy impact: live ${report.live.revision} (${report.live.source}) → candidate ${report.candidate.revision} (${report.candidate.source})`,
    `requests: ${r.read} read, ${r.replayed} replayed, ${r.unchanged} unchanged, ${r.changed} changed; ${r.masked} masked (not replayable), ${r.skipped} skipped, ${r.invalid} invalid, ${r.failed} failed`,
    `differences: ${report.differences}, of which widening: ${report.widening}`,
  ];
  if (report.widening > 0) {
    lines.push(
      acceptWidening
        ? `WIDENING accepted (--accept-widening): the candidate allows ${report.widening} decision(s) the live bundle did not`
        : `WIDENING: the candidate allows ${report.widening} decision(s) the live bundle did not (exit 1; --accept-widening to accept)`,
    );
  }
  for (const group of report.groups) {
    const kinds = Object.entries(group.kinds).map(([k, n]) => `${k} ${n}`).join(", ");
    lines.push("", `${group.action} in tree ${group.tree}: ${group.count} (${kinds}${group.widening ? `; widening ${group.widening}` : ""})`);
    for (const e of group.examples) {
      const at = e.index !== undefined ? ` check ${e.index}` : "";
      const resource = e.resource !== undefined ? ` resource ${JSON.stringify(e.resource)}` : "";
      lines.push(`  ${e.where}${at}: ${e.subject} in ${e.org} ${e.change}${e.widening ? " [widening]" : ""}${resource}`);
      lines.push(`    reasons: ${e.live.join(", ") || "-"} → ${e.candidate.join(", ") || "-"}`);
    }
  }
  if (report.masked.length > 0) {
    lines.push("", `masked in the decision log, not replayed (${report.masked.length}): ${report.masked.slice(0, 10).join(", ")}${report.masked.length > 10 ? ", …" : ""}`);
  }
  for (const f of report.failed) lines.push(`failed ${f.where} (${f.side}): ${f.code}: ${f.message}`);
  for (const i of report.invalid) lines.push(`invalid ${i.where}: ${i.message}`);
  return `${lines.join("\n")}\n`;
}
