import { describe, expect, it } from "vitest";
import { ClockCache } from "../../src/cache/clock-cache.ts";

describe("ClockCache (second chance)", () => {
  it("keeps at most its capacity, dropping the oldest entry not used since it was stored", () => {
    const evicted: string[] = [];
    const cache = new ClockCache<string, number>(3, (key) => evicted.push(key));
    cache.set("a", 1);
    cache.set("b", 2);
    cache.set("c", 3);
    expect(cache.get("a")).toBe(1);
    cache.set("d", 4);
    expect(evicted).toEqual(["b"]);
    expect([...cache.keys()].sort()).toEqual(["a", "c", "d"]);
    // "a" had its second chance at the back, behind "d": unused since, it goes after "c" and "d".
    cache.set("e", 5);
    cache.set("f", 6);
    expect(evicted).toEqual(["b", "c", "d"]);
    cache.set("g", 7);
    expect(evicted).toEqual(["b", "c", "d", "a"]);
    expect([...cache.values()]).toEqual([5, 6, 7]);
  });

  it("does not count a peek as a use, and reports replaced and deleted values", () => {
    const evicted: [string, number][] = [];
    const cache = new ClockCache<string, number>(2, (key, value) => evicted.push([key, value]));
    cache.set("a", 1);
    cache.set("b", 2);
    expect(cache.peek("a")).toBe(1);
    cache.set("a", 10);
    expect(evicted).toEqual([["a", 1]]);
    cache.set("c", 3);
    expect(evicted).toEqual([["a", 1], ["b", 2]]);
    expect(cache.delete("a")).toBe(true);
    expect(cache.delete("a")).toBe(false);
    expect(evicted.at(-1)).toEqual(["a", 10]);
    expect(cache.size).toBe(1);
  });

  it("evicts the oldest when every entry was used, never the one just stored", () => {
    const cache = new ClockCache<number, number>(2);
    cache.set(1, 1);
    cache.set(2, 2);
    cache.get(1);
    cache.get(2);
    cache.set(3, 3);
    expect(cache.size).toBe(2);
    expect(cache.peek(3)).toBe(3);
    expect(cache.peek(1)).toBeUndefined();
  });

  it("bounds the sum of the weights when given one, and keeps its total as entries come and go", () => {
    const cache = new ClockCache<string, string>(10, undefined, (value) => value.length);
    cache.set("a", "xxxx");
    cache.set("b", "yyyy");
    expect(cache.weight).toBe(8);
    cache.set("c", "zzzz");
    expect([...cache.keys()]).toEqual(["b", "c"]);
    expect(cache.weight).toBe(8);
    cache.set("b", "y");
    cache.delete("c");
    expect(cache.weight).toBe(1);
  });
});
