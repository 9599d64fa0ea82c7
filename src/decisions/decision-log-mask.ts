/**
 * DECISION_LOG_MASK over a whole decision event. The value at each masked input path is replaced by "***" (OPA's
 * decision log masking), and then every masked value is scrubbed from the rest of what the event carries of the
 * request (the input, the result with its reasons and messages, the error), because the policy echoes input values
 * in its reasons (an order total, an unknown subject's id) and a reason written later must not leak one either.
 *
 * Matching, so that a masked value cannot reappear and short values do not wreck the event:
 * - a string of MIN_ANYWHERE characters or more is replaced wherever it occurs in a string;
 * - a shorter string, and the text of a number, where it stands as a word (not inside a longer word or number);
 * - a number value equal to a masked number (or to a masked string's number) is replaced, wherever it is: an
 *   unrelated equal number is masked too, which errs on the safe side;
 * - booleans and null are masked at their path only (one bit cannot be told apart from the event's other ones).
 * Object keys are left as they are: they are the event's and the policy's field names.
 */
export const MASK = "***";
const MIN_ANYWHERE = 4;

type Json = unknown;

export class DecisionLogMask {
  private readonly paths: readonly (readonly string[])[];

  constructor(paths: readonly string[]) {
    this.paths = paths.map((p) => p.split("."));
  }

  get enabled(): boolean {
    return this.paths.length > 0;
  }

  /** The input with its masked paths replaced, and a scrubber for everything else the event carries. */
  prepare(input: Json): { input: Json; scrub: (value: Json) => Json } {
    if (!this.enabled || input === null || typeof input !== "object") return { input, scrub: unchanged };
    const secrets: Json[] = [];
    for (const root of batchRoots(input)) for (const segments of this.paths) secretAt(root, segments, secrets);
    const scrub = scrubber(secrets);
    // The scrubbed input is the one copy (a scrubber that replaces nothing copies nothing); the masked paths are
    // then set on it, so the original request is never written to.
    const copy = scrub === unchanged ? structuredClone(input) : scrub(input);
    for (const root of batchRoots(copy)) for (const segments of this.paths) maskAt(root, segments);
    return { input: copy, scrub };
  }
}

const unchanged = (value: Json): Json => value;

/** A batch's checks are checks: `resource.attributes.total` masks each check's total as well. */
function batchRoots(input: Json): Json[] {
  const checks = (input as { checks?: unknown }).checks;
  return [input, ...(Array.isArray(checks) ? (checks as Json[]) : [])];
}

/** The holder of the value at `segments` under `root`, if it has one of its own. */
function holderOf(root: Json, segments: readonly string[]): Record<string, Json> | undefined {
  let node: Json = root;
  for (const segment of segments.slice(0, -1)) {
    if (node === null || typeof node !== "object" || !Object.hasOwn(node, segment)) return undefined;
    node = (node as Record<string, Json>)[segment];
  }
  const last = segments.at(-1)!;
  return node !== null && typeof node === "object" && Object.hasOwn(node, last) ? (node as Record<string, Json>) : undefined;
}

/** Keeps the value at `segments` under `root` in `secrets`. */
function secretAt(root: Json, segments: readonly string[], secrets: Json[]): void {
  const holder = holderOf(root, segments);
  if (holder) secrets.push(holder[segments.at(-1)!]);
}

/** Replaces the value at `segments` under `root` by MASK. */
function maskAt(root: Json, segments: readonly string[]): void {
  const holder = holderOf(root, segments);
  // Defined, not assigned: an own "__proto__" key must be replaced, not handed to the prototype setter.
  if (holder) Object.defineProperty(holder, segments.at(-1)!, { value: MASK, enumerable: true, writable: true, configurable: true });
}

function leaves(value: Json, out: { strings: Set<string>; numbers: Set<number> }): void {
  if (typeof value === "string") {
    if (value === "" || value === MASK) return;
    out.strings.add(value);
    const asNumber = Number(value);
    if (value.trim() !== "" && Number.isFinite(asNumber) && String(asNumber) === value) out.numbers.add(asNumber);
  } else if (typeof value === "number") {
    if (Number.isFinite(value)) {
      out.numbers.add(value);
      out.strings.add(String(value));
    }
  } else if (Array.isArray(value)) {
    for (const item of value) leaves(item, out);
  } else if (value !== null && typeof value === "object") {
    for (const item of Object.values(value)) leaves(item, out);
  }
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Replaces every occurrence of the masked values in a JSON value, on a copy. */
function scrubber(secrets: Json[]): (value: Json) => Json {
  const found = { strings: new Set<string>(), numbers: new Set<number>() };
  for (const secret of secrets) leaves(secret, found);
  if (found.strings.size === 0) return unchanged;
  // Longest first, so a value containing another is replaced whole.
  const ordered = [...found.strings].sort((a, b) => b.length - a.length);
  const anywhere = ordered.filter((s) => s.length >= MIN_ANYWHERE && !found.numbers.has(Number(s)));
  const words = ordered.filter((s) => !anywhere.includes(s));
  const alternatives: string[] = [];
  if (anywhere.length > 0) alternatives.push(`(?:${anywhere.map(escape).join("|")})`);
  // A word: not inside a longer word, nor inside a number (800 in 800.5 or 1.800).
  if (words.length > 0) alternatives.push(`(?<![\\p{L}\\p{N}_]|\\p{N}\\.)(?:${words.map(escape).join("|")})(?![\\p{L}\\p{N}_]|\\.\\p{N})`);
  const pattern = new RegExp(alternatives.join("|"), "gu");
  const scrub = (value: Json): Json => {
    if (typeof value === "string") return value.replace(pattern, MASK);
    if (typeof value === "number") return found.numbers.has(value) ? MASK : value;
    if (Array.isArray(value)) return value.map(scrub);
    if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrub(item)]));
    return value;
  };
  return scrub;
}
