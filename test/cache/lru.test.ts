import { describe, expect, it } from "vitest";
import { Lru } from "../../src/cache/lru.ts";

describe("Lru (second chance)", () => {
  it("keeps at most its capacity, dropping the oldest entry not used since it was stored", () => {
    const evicted: string[] = [];
    const lru = new Lru<string, number>(3, (key) => evicted.push(key));
    lru.set("a", 1);
    lru.set("b", 2);
    lru.set("c", 3);
    expect(lru.get("a")).toBe(1);
    lru.set("d", 4);
    expect(evicted).toEqual(["b"]);
    expect([...lru.keys()].sort()).toEqual(["a", "c", "d"]);
    // "a" had its second chance at the back, behind "d": unused since, it goes after "c" and "d".
    lru.set("e", 5);
    lru.set("f", 6);
    expect(evicted).toEqual(["b", "c", "d"]);
    lru.set("g", 7);
    expect(evicted).toEqual(["b", "c", "d", "a"]);
    expect([...lru.values()]).toEqual([5, 6, 7]);
  });

  it("does not count a peek as a use, and reports replaced and deleted values", () => {
    const evicted: [string, number][] = [];
    const lru = new Lru<string, number>(2, (key, value) => evicted.push([key, value]));
    lru.set("a", 1);
    lru.set("b", 2);
    expect(lru.peek("a")).toBe(1);
    lru.set("a", 10);
    expect(evicted).toEqual([["a", 1]]);
    lru.set("c", 3);
    expect(evicted).toEqual([["a", 1], ["b", 2]]);
    expect(lru.delete("a")).toBe(true);
    expect(lru.delete("a")).toBe(false);
    expect(evicted.at(-1)).toEqual(["a", 10]);
    expect(lru.size).toBe(1);
  });

  it("evicts the oldest when every entry was used, never the one just stored", () => {
    const lru = new Lru<number, number>(2);
    lru.set(1, 1);
    lru.set(2, 2);
    lru.get(1);
    lru.get(2);
    lru.set(3, 3);
    expect(lru.size).toBe(2);
    expect(lru.peek(3)).toBe(3);
    expect(lru.peek(1)).toBeUndefined();
  });

  it("bounds the sum of the weights when given one, and keeps its total as entries come and go", () => {
    const lru = new Lru<string, string>(10, undefined, (value) => value.length);
    lru.set("a", "xxxx");
    lru.set("b", "yyyy");
    expect(lru.weight).toBe(8);
    lru.set("c", "zzzz");
    expect([...lru.keys()]).toEqual(["b", "c"]);
    expect(lru.weight).toBe(8);
    lru.set("b", "y");
    lru.delete("c");
    expect(lru.weight).toBe(1);
  });
});
