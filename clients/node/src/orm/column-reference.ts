/**
 * A column reference as the adapters take it: `org_id`, `o.org_id`, `o.OrgId`, or `"o"."Org.Id"` with quotes for
 * a part that holds a dot. Each part becomes one identifier that the ORM quotes, so `OrgId` keeps its case and a
 * reference can never carry SQL.
 */
export function columnParts(reference: string): string[] {
  const parts: string[] = [];
  const pattern = /"((?:[^"]|"")+)"|([^".]+)/y;
  let at = 0;
  while (at < reference.length) {
    pattern.lastIndex = at;
    const match = pattern.exec(reference);
    if (!match) throw new TypeError(`not a column reference: ${JSON.stringify(reference)}`);
    parts.push(match[1] !== undefined ? match[1].replace(/""/g, '"') : (match[2] ?? ""));
    at = pattern.lastIndex;
    if (at < reference.length) {
      if (reference[at] !== "." || at === reference.length - 1) throw new TypeError(`not a column reference: ${JSON.stringify(reference)}`);
      at++;
    }
  }
  if (parts.length === 0 || parts.length > 3) throw new TypeError(`not a column reference: ${JSON.stringify(reference)}`);
  return parts;
}
