/**
 * Immutability that can be relied on. `Object.isFrozen` says nothing of what an object holds: a frozen record of
 * mutable records can still change under a reader that keys it by identity (the decision memo, the slice JSON
 * cache: src/decisions/input-json.ts). Only `deepFreeze` makes a `DeepFrozen` value, freezing every object it
 * reaches, and only what it froze passes `isDeepFrozen`.
 */
declare const deepFrozenBrand: unique symbol;

/** A value frozen at every depth by `deepFreeze`; the brand cannot be written elsewhere without a cast. */
export type DeepFrozen<T> = T & { readonly [deepFrozenBrand]: true };

/** Every object `deepFreeze` reached: shared parts (a tree's orgs, role lists) are walked once. */
const frozen = new WeakSet<object>();

export function deepFreeze<T>(value: T): DeepFrozen<T> {
  if (value !== null && typeof value === "object" && !frozen.has(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
    frozen.add(value);
  }
  return value as DeepFrozen<T>;
}

/** Whether `value` is an object `deepFreeze` froze (a primitive is not: it has no identity to key by). */
export function isDeepFrozen(value: unknown): value is DeepFrozen<object> {
  return value !== null && typeof value === "object" && frozen.has(value);
}
