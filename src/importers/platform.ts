import type { PermissionCatalog } from "./catalog.ts";
import type { DocumentBuilder } from "./document-builder.ts";
import type { Findings } from "./report.ts";
import type { ResourceRecords } from "./sources.ts";

export interface MapContext {
  builder: DocumentBuilder;
  findings: Findings;
  catalog: PermissionCatalog;
}

/** One platform: the resource types its export holds, and how their records become our document. */
export interface PlatformMapper<R extends string = string> {
  platform: string;
  resources: readonly R[];
  map(records: ResourceRecords<R>, context: MapContext): void;
}
