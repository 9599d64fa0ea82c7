import { basename } from "node:path";
import type { Findings } from "./report.ts";

/** One input file: its name (for error paths) and its parsed JSON. */
export interface SourceFile {
  name: string;
  content: unknown;
}

/** One record of a platform list, with the path errors about it start from (`business-units.json[12]`). */
export interface SourceRecord {
  path: string;
  value: unknown;
}

export type ResourceRecords<R extends string> = Record<R, SourceRecord[]>;

const squash = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, "");

/**
 * The records of each resource type, from files that hold either one resource's list (named after it:
 * `business-units.json`, `acme-business-units-2024.json`) or all of them under their names (`{"business-units": …}`).
 * A list is what the platform's list endpoint answers: a bare array, or an envelope holding it in `results`
 * (commercetools PagedQueryResponse) or `data` (BigCommerce, Elastic Path; a single object there is one record).
 */
export function recordsOf<R extends string>(files: readonly SourceFile[], resources: readonly R[], findings: Findings): ResourceRecords<R> {
  const out = Object.fromEntries(resources.map((r) => [r, [] as SourceRecord[]])) as ResourceRecords<R>;
  const byName = new Map(resources.map((r) => [squash(r), r]));
  for (const file of files) {
    const stem = squash(basename(file.name).replace(/\.json$/i, ""));
    // The longest resource name the file name holds: `group-users.json` is group users, not users.
    const named = [...byName].filter(([squashed]) => stem.includes(squashed)).sort(([a], [b]) => b.length - a.length)[0]?.[1];
    if (named) {
      collect(out[named], file.name, file.content, findings);
      continue;
    }
    const content = file.content;
    const keys = content !== null && typeof content === "object" && !Array.isArray(content) ? Object.keys(content) : [];
    const held = keys.filter((k) => byName.has(squash(k)));
    if (held.length === 0) {
      findings.error(file.name, `cannot tell which resource it holds: name it after one of ${resources.join(", ")}, or put the lists under those keys`);
      continue;
    }
    for (const key of held) collect(out[byName.get(squash(key))!], `${file.name}.${key}`, (content as Record<string, unknown>)[key], findings);
  }
  return out;
}

function collect(into: SourceRecord[], where: string, value: unknown, findings: Findings): void {
  const list = listOf(value);
  if (list === undefined) {
    findings.error(where, "expected a list: an array, or a list response with results or data");
    return;
  }
  list.forEach((item, i) => into.push({ path: `${where}[${i}]`, value: item }));
}

const isList = (value: unknown): value is unknown[] => Array.isArray(value);

function listOf(value: unknown): unknown[] | undefined {
  if (isList(value)) return value;
  if (value === null || typeof value !== "object") return undefined;
  const envelope = value as { results?: unknown; data?: unknown };
  if (isList(envelope.results)) return envelope.results;
  if (isList(envelope.data)) return envelope.data;
  if (envelope.data !== null && typeof envelope.data === "object") return [envelope.data];
  return undefined;
}
