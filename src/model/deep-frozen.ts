/**
 * Immutability that can be relied on. `Object.isFrozen` says nothing of what an object holds: a frozen record of
 * mutable records can still change under a reader that keys it by identity (the decision memo, the slice JSON
 * cache: src/decisions/input-json.ts). Only `deepFreeze` makes a `DeepFrozen` value, freezing every object it
 * reaches, and only what it froze passes `isDeepFrozen`.
 */
declare const deepFrozenBrand: unique symbol;

/** A value frozen at every depth by `deepFreeze`; the brand cannot be written elsewhere without a cast. */
export type DeepFrozen<T> = T & { readonly [deepFrozenBrand]: true };

/**
 * The mark `deepFreeze` leaves on what it froze: a symbol key, so JSON and Object.values never see it, and private
 * to this module. A mark on the object itself, not an entry in a WeakSet: a big tree's objects would each cost the
 * garbage collector an ephemeron.
 */
const MARK = Symbol("deepFrozen");

export function deepFreeze<T>(value: T): DeepFrozen<T> {
  if (value !== null && typeof value === "object") freeze(value, true);
  return value as DeepFrozen<T>;
}

/** Freezes `value` and everything it reaches, marking what it froze when `mark` (see `freezeUnmarked` for why not). */
function freeze(value: object, mark: boolean): void {
  if (Object.hasOwn(value, MARK)) return; // frozen to the bottom already
  // A value frozen by someone else cannot take the mark: its children are checked again each time (still correct).
  if (mark && !Object.isFrozen(value)) Object.defineProperty(value, MARK, { value: true });
  Object.freeze(value);
  for (const child of Object.values(value) as unknown[]) if (child !== null && typeof child === "object") freeze(child, mark);
}

/**
 * Freezes `value` at every depth as `deepFreeze` does, but leaves the mark on none of what it froze (objects marked
 * already are left as they are). For the millions of small records a cached tree holds (orgs, paths, memberships):
 * the mark is a property added after the object was made, which costs each of them about 40 bytes of heap. A
 * `deepFreeze` of a slice that holds them then walks into them again, which costs little since they are small.
 */
export function freezeUnmarked<T>(value: T): Readonly<T> {
  if (value !== null && typeof value === "object") freeze(value, false);
  return value;
}

/** Whether `value` is an object `deepFreeze` froze (a primitive is not: it has no identity to key by). */
export function isDeepFrozen(value: unknown): value is DeepFrozen<object> {
  return value !== null && typeof value === "object" && Object.hasOwn(value, MARK);
}
