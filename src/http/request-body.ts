import type { IncomingMessage } from "node:http";
import { AuthzError } from "../errors.ts";
import { fieldError, textProblem } from "../validation.ts";
import { bodyNotJson, bodyTooLarge } from "./error-response.ts";

/**
 * Reading a JSON request body, the one way for the decision fast path and the express routes alike: media type
 * first (415), then the declared length (413 before a byte is read), then the bytes up to the limit, strict UTF-8,
 * a bounded nesting depth, JSON, and a check of every string and key. Whatever gets past this is plain data a
 * zod schema can judge, with no value able to blow the stack, the database's text type or the Wasm's UTF-8.
 */

/** Deep enough for any document of the API (an import's org attributes included), far below any stack limit. */
export const MAX_JSON_DEPTH = 64;

/** Keys that would reach an object's prototype when a parsed body is copied by assignment. */
const PROTOTYPE_KEYS = new Set(["__proto__"]);

/** Strict: a byte sequence that is not UTF-8 throws instead of becoming U+FFFD. */
export const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Does the request carry a body at all (RFC 9112 section 6.3: a length or a transfer coding)? */
export function hasBody(req: IncomingMessage): boolean {
  if (req.headers["transfer-encoding"] !== undefined) return true;
  const length = req.headers["content-length"];
  return length !== undefined && length !== "0";
}

/**
 * The declared media type must be JSON: `application/json` or `application/<anything>+json`, in UTF-8. No
 * content-type at all is read as JSON, because OPA clients send none.
 */
export function checkJsonMediaType(header: string | undefined): AuthzError | undefined {
  if (header === undefined || header.trim() === "") return undefined;
  const [type = "", ...parameters] = header.split(";");
  const media = type.trim().toLowerCase();
  const json = media === "application/json" || /^application\/[a-z0-9!#$&^_.-]+\+json$/.test(media);
  const charset = parameters
    .map((p) => p.trim().toLowerCase())
    .find((p) => p.startsWith("charset="))
    ?.slice("charset=".length)
    .replace(/^"|"$/g, "");
  if (json && (charset === undefined || charset === "utf-8" || charset === "utf8")) return undefined;
  return new AuthzError("unsupported_media_type", "request body must be JSON (application/json) in UTF-8", {
    details: [{ path: "headers.content-type", message: json ? "charset must be utf-8" : "must be application/json" }],
  });
}

/**
 * The request's JSON body, or undefined when it has none. Rejects with an AuthzError (415, 413, 400), after which
 * the connection should not be reused: the rest of the body may still be on its way.
 */
export function readJsonBody(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  if (!hasBody(req)) return Promise.resolve(undefined);
  const refused = checkJsonMediaType(req.headers["content-type"]) ?? declaredTooLarge(req, limitBytes);
  if (refused) {
    req.resume();
    return Promise.reject(refused);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        req.off("data", onData).off("end", onEnd);
        req.resume();
        reject(bodyTooLarge(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      try {
        resolve(parseJsonText(decodeUtf8(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks))));
      } catch (error) {
        reject(error instanceof Error ? error : bodyNotJson());
      }
    };
    req.on("data", onData).on("end", onEnd).on("error", () => reject(bodyNotJson()));
  });
}

function declaredTooLarge(req: IncomingMessage, limitBytes: number): AuthzError | undefined {
  const declared = Number(req.headers["content-length"] ?? "0");
  return declared > limitBytes ? bodyTooLarge(limitBytes) : undefined;
}

function decodeUtf8(bytes: Buffer): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new AuthzError("invalid_request", "request body is not valid UTF-8", {
      details: [{ path: "(body)", message: "not valid UTF-8" }],
    });
  }
}

/** JSON text to a value, refusing what the rest of the sidecar must never see (see the module comment). */
export function parseJsonText(text: string): unknown {
  // Nesting needs an opening bracket per level: a text with few of them (a check's body has about five) cannot be
  // too deep, and native searches find them and any \u (or an escaped backslash before a u: checked, harmlessly)
  // faster than the character walk, which only texts with many brackets still take.
  const escapes = openingBrackets(text, MAX_JSON_DEPTH + 1) <= MAX_JSON_DEPTH ? text.includes("\\u") : scanDepth(text);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw bodyNotJson();
  }
  // Strict UTF-8 already ruled out raw surrogates, and JSON forbids raw control characters in strings: a NUL or a
  // lone surrogate can only come from a \u escape, and a prototype key only from its name or an escape.
  if (escapes || text.includes("__proto__")) checkStrings(value);
  return value;
}

/** The opening brackets (`{` and `[`, in strings too) of `text`, counted up to `atMost`. */
function openingBrackets(text: string, atMost: number): number {
  let count = 0;
  for (const bracket of ["{", "["]) {
    for (let i = text.indexOf(bracket); i !== -1 && count < atMost; i = text.indexOf(bracket, i + 1)) count++;
  }
  return count;
}

/**
 * Walks the text once, counting nesting outside strings; throws past MAX_JSON_DEPTH, before JSON.parse and
 * everything after it (zod, JSON.stringify, the Wasm's JSON reader) recurse into it. Returns whether a string holds
 * a \u escape.
 */
function scanDepth(text: string): boolean {
  let depth = 0;
  let inString = false;
  let escapes = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) {
        if (text.charCodeAt(i + 1) === 0x75 /* u */) escapes = true;
        i++;
      } else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > MAX_JSON_DEPTH) {
        throw new AuthzError("invalid_request", `request body is nested deeper than ${MAX_JSON_DEPTH} levels`, {
          details: [{ path: "(body)", message: `nested deeper than ${MAX_JSON_DEPTH} levels` }],
        });
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return escapes;
}

/** Every key and string of a parsed body: no NUL, no lone surrogate, no prototype key; names the first bad one. */
function checkStrings(root: unknown): void {
  const stack: { value: unknown; path: string[] }[] = [{ value: root, path: [] }];
  const refuse = (path: string[], message: string) => {
    throw fieldError(path.join(".") || "(body)", message);
  };
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value === "string") {
      const problem = textProblem(value);
      if (problem) refuse(path, problem);
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: [...path, String(i)] });
    } else if (value !== null && typeof value === "object") {
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        const problem = PROTOTYPE_KEYS.has(key) ? "prototype keys are not accepted" : textProblem(key);
        if (problem) refuse([...path, key], problem);
        stack.push({ value: (value as Record<string, unknown>)[key], path: [...path, key] });
      }
    }
  }
}
