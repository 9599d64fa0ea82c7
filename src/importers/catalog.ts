import { z } from "zod";

/**
 * The policy's permission catalog as the importers need it: the levels each code supports and the BigCommerce
 * aliases. It is read from the policy bundle's data (`b2b.catalog`), never copied here, so a store that extends
 * the catalog imports against its own.
 */
export const permissionCatalogSchema = z.object({
  permissions: z.record(z.string(), z.object({ levels: z.array(z.number().int()).min(1) })),
  aliases: z.record(z.string(), z.string()).default({}),
});
export type PermissionCatalog = z.infer<typeof permissionCatalogSchema>;

export type Level = 1 | 2 | 3;

/**
 * The entry of `table` named `name`, own properties only: platform values are untrusted text, and `constructor`
 * or `__proto__` must read as the unknown names they are, not as Object.prototype's members.
 */
export function own<T>(table: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(table, name) ? table[name] : undefined;
}

/** Grants being collected for one role: one entry per code, the highest level asked for. */
export class Grants {
  private readonly levels = new Map<string, Level>();

  constructor(private readonly catalog: PermissionCatalog) {}

  /**
   * Grants `code` at the supported level nearest `level`: a platform "own" scope on a code the catalog holds
   * only for the organization (creating carts, placing orders) becomes level 2, which is what our templates do.
   * Returns false when the catalog has no such code.
   */
  add(code: string, level: Level): boolean {
    const entry = own(this.catalog.permissions, code);
    if (!entry) return false;
    const supported = [...entry.levels].sort((a, b) => a - b);
    const fitted = (supported.find((l) => l >= level) ?? supported[supported.length - 1]) as Level;
    const held = this.levels.get(code);
    if (held === undefined || fitted > held) this.levels.set(code, fitted);
    return true;
  }

  /** The canonical code a BigCommerce permission code stands for, if the catalog has it. */
  canonical(code: string): string | undefined {
    if (own(this.catalog.permissions, code)) return code;
    const alias = own(this.catalog.aliases, code);
    return alias && own(this.catalog.permissions, alias) ? alias : undefined;
  }

  list(): { code: string; level: Level }[] {
    return [...this.levels].sort(([a], [b]) => (a < b ? -1 : 1)).map(([code, level]) => ({ code, level }));
  }
}

/**
 * What every member of a buyer organization may do on any of the platforms without a permission for it: see
 * the catalog and prices, and the organization it acts in. Imported custom roles start from these.
 */
export const baselineGrants: readonly { code: string; level: Level }[] = [
  { code: "catalog.browse", level: 2 },
  { code: "price.view", level: 2 },
  { code: "org.view", level: 2 },
];
