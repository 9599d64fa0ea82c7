import { AuthzError } from "../errors.ts";
import { importDocumentSchema, type ImportDocument } from "../model/graph-schemas.ts";
import { bigcommerce } from "./bigcommerce.ts";
import { permissionCatalogSchema, type PermissionCatalog } from "./catalog.ts";
import { commercetools } from "./commercetools.ts";
import { DocumentBuilder, type Origins } from "./document-builder.ts";
import { elasticpath } from "./elasticpath.ts";
import { emporix } from "./emporix.ts";
import type { PlatformMapper } from "./platform.ts";
import { Findings, type ImportNote } from "./report.ts";
import { recordsOf, type SourceFile } from "./sources.ts";

export type { SourceFile } from "./sources.ts";
export type { ImportNote } from "./report.ts";
export type { PermissionCatalog } from "./catalog.ts";

/** The platforms `--from` and `?from=` accept. */
export const platforms = ["commercetools", "bigcommerce", "elasticpath", "emporix"] as const;
export type Platform = (typeof platforms)[number];

const mappers: Record<Platform, PlatformMapper> = { commercetools, bigcommerce, elasticpath, emporix };

export function isPlatform(value: unknown): value is Platform {
  return typeof value === "string" && (platforms as readonly string[]).includes(value);
}

export interface MappedExport {
  platform: Platform;
  /** Our import document (src/model/graph-schemas.ts), ready for the import. */
  document: ImportDocument;
  counts: Record<"roles" | "orgs" | "users" | "memberships", number>;
  /** Platform fields with no place in our model, and records left out, each naming where. */
  notes: ImportNote[];
  /** The source record of each document entry, by list and index. */
  origins: Origins;
}

/** The permission catalog of the policy bundle (its `b2b.catalog` document), checked. */
export function permissionCatalog(catalog: unknown): PermissionCatalog {
  const parsed = permissionCatalogSchema.safeParse(catalog);
  if (!parsed.success) throw new AuthzError("policy_unavailable", "the policy bundle has no permission catalog (b2b.catalog)");
  return parsed.data;
}

/**
 * Maps a platform's export (its API list responses, one file per resource type or one file holding them all)
 * to our import document. Every problem is collected, each naming the file, the record and the field, and
 * thrown together as `invalid_request`; nothing is written here.
 */
export function mapPlatformExport(platform: Platform, files: readonly SourceFile[], catalog: PermissionCatalog): MappedExport {
  const mapper = mappers[platform];
  const findings = new Findings();
  const records = recordsOf(files, mapper.resources, findings);
  const builder = new DocumentBuilder(findings);
  mapper.map(records, { builder, findings, catalog });
  findings.throwIfErrors(platform);
  const parsed = importDocumentSchema.safeParse(builder.document);
  if (!parsed.success) {
    // A value the platform allows but our document does not (an email our schema refuses, a name too long).
    for (const issue of parsed.error.issues) {
      const [list, index, ...rest] = issue.path;
      const origin = typeof list === "string" && typeof index === "number" ? builder.origins[list as keyof Origins]?.[index] : undefined;
      findings.error(origin ? `${origin} (${[list, index, ...rest].join(".")})` : issue.path.join("."), issue.message);
    }
    findings.throwIfErrors(platform);
  }
  const document = parsed.data!;
  return {
    platform,
    document,
    counts: { roles: document.roles.length, orgs: document.orgs.length, users: document.users.length, memberships: document.memberships.length },
    notes: findings.notes,
    origins: builder.origins,
  };
}

/**
 * Rewrites the import's own error paths (`orgs.3.parent`) to the source record they came from, so a tree limit
 * or an unknown reference found against the store still names the platform's file and record.
 */
export function withSourcePaths(error: unknown, origins: Origins): unknown {
  if (!(error instanceof AuthzError) || error.details.length === 0) return error;
  const details = error.details.map((d) => {
    const [list, index, ...rest] = d.path.split(".");
    const origin = list && index !== undefined ? origins[list as keyof Origins]?.[Number(index)] : undefined;
    return origin ? { path: `${origin} (${[list, index, ...rest].join(".")})`, message: d.message } : d;
  });
  return new AuthzError(error.code, error.message, { details, cause: error, ...(error.publicMessage ? { publicMessage: error.publicMessage } : {}) });
}
