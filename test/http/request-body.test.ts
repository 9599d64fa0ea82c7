import { describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH, parseJsonText } from "../../src/http/request-body.ts";

const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
const refusal = (text: string) => {
  try {
    parseJsonText(text);
  } catch (error) {
    return (error as { code?: string; details?: unknown }).details;
  }
  return undefined;
};

describe("parseJsonText", () => {
  it("accepts nesting up to the bound and refuses one level more, naming the body", () => {
    expect(parseJsonText(nested(MAX_JSON_DEPTH))).toBeDefined();
    expect(refusal(nested(MAX_JSON_DEPTH + 1))).toEqual([{ path: "(body)", message: `nested deeper than ${MAX_JSON_DEPTH} levels` }]);
    expect(refusal(`{"a":${"{\"b\":".repeat(MAX_JSON_DEPTH)}1${"}".repeat(MAX_JSON_DEPTH)}}`)).toEqual([
      { path: "(body)", message: `nested deeper than ${MAX_JSON_DEPTH} levels` },
    ]);
  });

  it("counts only real nesting when brackets inside strings pass the bound", () => {
    const text = JSON.stringify({ note: "[{".repeat(MAX_JSON_DEPTH), org: "ACME" });
    expect(parseJsonText(text)).toEqual({ note: "[{".repeat(MAX_JSON_DEPTH), org: "ACME" });
  });

  it("refuses a NUL written as an escape, with few brackets and with many", () => {
    expect(refusal(`{"subject":{"id":"alice\\u0000"}}`)).toEqual([{ path: "subject.id", message: expect.any(String) }]);
    const padded = `{"pad":"${"[".repeat(MAX_JSON_DEPTH * 2)}","org":"AC\\u0000ME"}`;
    expect(refusal(padded)).toEqual([{ path: "org", message: expect.any(String) }]);
  });

  it("refuses a prototype key and accepts an escaped backslash before a u", () => {
    expect(refusal(`{"__proto__":{"admin":true}}`)).toEqual([{ path: "__proto__", message: "prototype keys are not accepted" }]);
    expect(parseJsonText(`{"path":"C:\\\\users"}`)).toEqual({ path: "C:\\users" });
  });
});
