/**
 * The synchronous form of a limit store's `consume`, carried by that function itself. Internal:
 * not exported from the package.
 *
 * A store that counts in this process (the memory store, a lease held by `LeasingLimitStore`)
 * can answer a check without I/O; the `LimitStore` port must still return a promise (its public
 * contract, and what every other store does), and one promise plus one `await` between a cache
 * hit and the framework's `next()` cost several percent of an adapter's throughput
 * (docs/benchmarks.md, "Limits cost"). The limiter therefore asks for this form and awaits only
 * what is really pending.
 *
 * It hangs off the `consume` function rather than the store object, as `AUTHENTICATE_NOW` hangs
 * off `authenticate` (src/lib/authenticate-now.ts): a subclass that overrides `consume` or a
 * wrapper object (an instrumentation, a spy) has a `consume` without it, so it is always called.
 * `Symbol.for`, so that two copies of this module (bundled apart) agree on it.
 * @module
 */
import type { LimitCheck, LimitOutcome, RateLimit } from '../limits/types.js'

/** The property of a store's `consume` that holds its {@link ConsumeNow} form. */
export const CONSUME_NOW: unique symbol = Symbol.for('@vydra/auth.consumeNow')

/**
 * A slot on the check object that the limiter hands a store's synchronous form. That object is
 * the key's own (one per key and instance, reused on each of its requests: see
 * {@link ConsumeNow}; its `subject` never changes), so the store may keep there what finds the
 * key's state again without a lookup; it must check that what it finds is its own and still
 * current, as the slot is never cleared. The object is the limiter's: a `consume` call gets the
 * caller's, never written to.
 */
export const CONSUME_MEMO: unique symbol = Symbol.for('@vydra/auth.consumeMemo')

/**
 * The numbers a store keeps on a memo check for a charge that reads nothing else (the memory
 * store's same-bucket shortcut, src/limits/same-bucket-charge.ts). Over HTTP with many keys in
 * turn, each per-key object a charge reads is a read from memory (docs/benchmarks.md, "Issue 12:
 * the memory limit against a hand-written limit"): kept here, on the object the limiter already
 * holds, a charge reads no store entry at all. They are valid only while `shortcutOf` is the
 * store that wrote them and `shortcutRate` is still the check's `rate`; that store takes them
 * back (and clears `shortcutOf`) before anything else reads or drops the key's state, so it
 * keeps a reference to the check while they are there.
 * Numbers, not times: V8 keeps a time (~1.7e12) in a box of its own, one more object to read; a
 * count, a stamp and a bucket index of a window of 17 s or more fit a small integer.
 */
export interface CheckShortcut {
  /** The store whose numbers these are; `undefined`: none. */
  shortcutOf: unknown
  /** The limits they count (the check's `rate` then). */
  shortcutRate: readonly RateLimit[] | undefined
  /** The store's own numbers (./limits/same-bucket-charge.ts, `SameBucket`). */
  bucket: number
  count: number
  oldest: number
  pending: number
  /** The key's LRU stamp in the store. */
  stamp: number
}

/** A check with the {@link CONSUME_MEMO} slot and, optionally, a {@link CheckShortcut}. */
export interface MemoCheck extends LimitCheck, Partial<CheckShortcut> {
  [CONSUME_MEMO]?: unknown
}

/**
 * `consume` answering synchronously when it can: the outcome itself, or `undefined` when it
 * cannot answer without I/O (then `consume` is called, with a check of its own). Called with
 * the store as `this`. It may throw, as `consume` may reject, for a failure of the store.
 *
 * `cost` and `now` are the charge's; the check's own `cost` and `now` fields are not read (the
 * limiter does not write them per request: a time is a number V8 keeps in a box of its own,
 * one more object read from memory per charge). It may keep the check's `rate` and `credits`,
 * a memo ({@link CONSUME_MEMO}) and its own numbers on it ({@link CheckShortcut}), and may keep a
 * reference to the check only as the holder of those: the limiter hands it the same object on
 * the next request of the key.
 */
export type ConsumeNow = (
  this: unknown,
  check: LimitCheck,
  cost: number,
  now: number,
) => LimitOutcome | undefined

/** The synchronous form of `store.consume`, bound to `store`, when it carries one. */
export function consumeNowOf(
  store: { consume?: unknown } | null | undefined,
): ((check: LimitCheck, cost: number, now: number) => LimitOutcome | undefined) | undefined {
  const consume = store?.consume
  if (typeof consume !== 'function') return undefined
  const now: unknown = (consume as { [CONSUME_NOW]?: unknown })[CONSUME_NOW]
  return typeof now === 'function' ? (now as ConsumeNow).bind(store) : undefined
}
