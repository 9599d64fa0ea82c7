import { z } from "zod";
import { entrypoints } from "../policy/entrypoints.ts";
import { MASK } from "../decisions/decision-log-mask.ts";

/** A request to replay: an entrypoint path and the request input, as a decision log event holds them. */
export interface ReplayRequest {
  /** `FILE:LINE`, for the report. */
  where: string;
  path: string;
  input: unknown;
  /** The decision id of a decision log line. */
  decisionId?: string | undefined;
}

export type RequestLine =
  | { kind: "request"; request: ReplayRequest }
  | { kind: "masked"; where: string; path: string }
  | { kind: "skipped"; where: string; reason: string }
  | { kind: "invalid"; where: string; message: string };

/** A decision log line (DECISION_LOG), or any `{path, input}` object: OPA's decision log fields. */
const loggedSchema = z.looseObject({ path: z.string().min(1), input: z.record(z.string(), z.unknown()), decision_id: z.string().optional() });
/** A bare API request: a check (`action`), a batch (`checks`). */
const checkShaped = z.looseObject({ action: z.string() });
const batchShaped = z.looseObject({ checks: z.array(z.unknown()) });

/**
 * One line of a decision log file or a JSON-lines file of requests (blank lines: undefined). Lines of other logs (the
 * application log beside DECISION_LOG=stdout, shadow lines) are skipped; a decision that failed is skipped (it
 * answered no decision to compare). A decision whose input holds the decision log's mask (`***`) cannot be replayed:
 * the value it had is gone. It is counted, not guessed.
 */
export function parseRequestLine(where: string, line: string): RequestLine | undefined {
  if (line.trim() === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { kind: "invalid", where, message: "not JSON" };
  }
  return classify(where, value);
}

function classify(where: string, value: unknown): RequestLine {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return { kind: "invalid", where, message: "not a JSON object" };
  const record = value as Record<string, unknown>;
  if (record.log !== undefined && record.log !== "decision") return { kind: "skipped", where, reason: `a ${JSON.stringify(record.log)} log line` };
  if (record.log === undefined && typeof record.msg === "string" && "level" in record) {
    return { kind: "skipped", where, reason: "an application log line" };
  }
  if (record.error !== undefined && record.log === "decision") return { kind: "skipped", where, reason: "a failed decision" };
  const logged = loggedSchema.safeParse(value);
  let request: ReplayRequest | undefined;
  if (logged.success) request = { where, path: logged.data.path, input: logged.data.input, decisionId: logged.data.decision_id };
  else if (batchShaped.safeParse(value).success) request = { where, path: entrypoints.batch.path, input: value };
  else if (checkShaped.safeParse(value).success) request = { where, path: entrypoints.check.path, input: value };
  if (!request) return { kind: "invalid", where, message: "neither a decision log event ({path, input}) nor a check or batch request" };
  return holdsMask(request.input) ? { kind: "masked", where, path: request.path } : { kind: "request", request };
}

function holdsMask(value: unknown): boolean {
  if (typeof value === "string") return value.includes(MASK);
  if (value === null || typeof value !== "object") return false;
  return Object.values(value).some(holdsMask);
}
