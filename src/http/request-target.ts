import type { IncomingMessage } from "node:http";
import { fieldError, textProblem } from "../validation.ts";
import { strictUtf8 } from "./request-body.ts";

/**
 * The parts of a request outside its body, checked before any route sees them: path segments and query values
 * must decode to text the store can hold (textProblem), and text headers are read as UTF-8.
 */

interface RoutePattern {
  method: string;
  /** OpenAPI form: /v1/orgs/{id}/members/{userId}; a last {path} of the Data API takes the rest. */
  path: string;
}

type Segment = { literal: string } | { param: string; rest: boolean };

export class RequestTarget {
  private readonly patterns: Segment[][];

  constructor(routes: readonly RoutePattern[]) {
    this.patterns = routes.map((route) =>
      route.path
        .split("/")
        .slice(1)
        .map((part): Segment => {
          const param = /^\{(\w+)\}$/.exec(part)?.[1];
          return param ? { param, rest: param === "path" } : { literal: part };
        }),
    );
  }

  /** Throws invalid_request naming `path.<param>` or `query.<name>` for the first bad part of `url`. */
  check(url: string): void {
    const [pathname = "", search = ""] = url.split("?", 2);
    const segments = pathname.split("/").slice(1);
    segments.forEach((segment, i) => {
      if (!segment.includes("%")) return;
      let decoded: string | undefined;
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        decoded = undefined;
      }
      const problem = decoded === undefined ? "not a valid percent-encoded UTF-8 segment" : textProblem(decoded);
      if (problem) {
        throw fieldError(`path.${this.paramAt(segments, i) ?? String(i)}`, problem);
      }
    });
    if (search === "") return;
    for (const [name, value] of new URLSearchParams(search)) {
      const problem = textProblem(name) ?? textProblem(value);
      if (problem) {
        throw fieldError(`query.${textProblem(name) ? "(name)" : name}`, problem);
      }
    }
  }

  /** The name of the route parameter at segment `index`, from the first route whose shape fits the path. */
  private paramAt(segments: readonly string[], index: number): string | undefined {
    for (const pattern of this.patterns) {
      const rest = pattern.at(-1);
      const open = rest !== undefined && "param" in rest && rest.rest;
      if (open ? segments.length < pattern.length : segments.length !== pattern.length) continue;
      const fits = pattern.every((part, i) => "param" in part || part.literal === segments[i]);
      if (!fits) continue;
      const part = pattern[Math.min(index, pattern.length - 1)]!;
      if ("param" in part && (index < pattern.length || part.rest)) return part.param;
      // A literal segment that held a % escape: no route parameter to name.
      return undefined;
    }
    return undefined;
  }
}

/**
 * A header as UTF-8 text. Node hands header bytes over as latin1 characters, one per byte, so a non-ASCII value
 * (X-Actor: user:jürgen) is turned back into its bytes and decoded; bytes that are not UTF-8 are refused.
 */
export function utf8Header(req: IncomingMessage, name: string): string | undefined {
  const raw = req.headers[name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  // eslint-disable-next-line no-control-regex
  if (value === undefined || /^[\u0000-\u007f]*$/.test(value)) return value;
  try {
    return strictUtf8.decode(Buffer.from(value, "latin1"));
  } catch {
    throw fieldError(`headers.${name}`, "not valid UTF-8");
  }
}
