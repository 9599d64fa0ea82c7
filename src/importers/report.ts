import type { z } from "zod";
import { AuthzError, type ErrorDetail } from "../errors.ts";

/**
 * What an importer found besides the mapped document: errors (the import is refused, nothing written, every one
 * listed) and notes (a platform field with no place in our model, said out loud instead of dropped silently).
 * Paths name the source file, the record's index in its list and the field: `business-units.json[12].parentUnit.key`.
 */
export interface ImportNote {
  path: string;
  message: string;
}

export class Findings {
  readonly errors: ErrorDetail[] = [];
  readonly notes: ImportNote[] = [];

  error(path: string, message: string): void {
    this.errors.push({ path, message });
  }

  note(path: string, message: string): void {
    this.notes.push({ path, message });
  }

  /**
   * The record as `schema` reads it; undefined when it does not fit, with every issue listed as an error at the
   * record's path (the importer goes on with the next record, so one run reports them all).
   */
  parse<S extends z.ZodType>(record: { path: string; value: unknown }, schema: S): z.output<S> | undefined {
    const parsed = schema.safeParse(record.value);
    if (parsed.success) return parsed.data;
    this.zodIssues(record.path, parsed.error);
    return undefined;
  }

  /** Every issue of a failed zod parse, each at `where` plus the issue's own path. */
  zodIssues(where: string, error: z.ZodError): void {
    for (const issue of error.issues) this.error(joinPath(where, issue.path), issue.message);
  }

  /** Throws the collected errors, if any, as one `invalid_request` naming each. */
  throwIfErrors(platform: string): void {
    if (this.errors.length === 0) return;
    const shown = this.errors.slice(0, 5).map((e) => `${e.path}: ${e.message}`).join("; ");
    throw new AuthzError("invalid_request", `${platform} export refused, nothing written (${this.errors.length} errors): ${shown}`, {
      details: this.errors,
    });
  }
}

/** `file[3]` + ["parentUnit", "key"] → `file[3].parentUnit.key`; numbers become `[n]`. */
export function joinPath(where: string, path: readonly PropertyKey[]): string {
  let out = where;
  for (const part of path) out += typeof part === "number" ? `[${part}]` : `.${String(part)}`;
  return out;
}
