/**
 * `@vydra/auth/store-kit`: the rules of the lifecycle store methods (docs/stores.md, "Writing
 * your own store") as pure functions over records, for anyone writing a `KeyStore` whose
 * atomicity comes from a lock or a transaction around plain JavaScript (the built-in memory and
 * SQLite stores use exactly these). Apply them inside your store's atomic operation; they do
 * no I/O and hold no state. A store that applies its rules in the database instead (a
 * conditional update, a script) needs none of this: the conformance kit (`@vydra/auth/testing`)
 * holds every store to the same contract.
 *
 * @example
 * ```ts
 * import { rollRefusal, rolledRecord, retireRolled } from '@vydra/auth/store-kit'
 * // inside the store's transaction, with `old` read under a lock:
 * const refusal = rollRefusal(old, request.at.getTime())
 * if (refusal === null) {
 *   const next = rolledRecord(old, request)
 *   retireRolled(old, request) // then write `old` and insert `next`
 * }
 * ```
 * @module
 */
export { effectiveExpiryMs, keyStatus } from './key-record.js'
export {
  comparePosition,
  countsTowardCap,
  expectationHolds,
  firstUseGraceEnd,
  graceRunning,
  limitsExpectationHolds,
  pageOf,
  retireRolled,
  rolledRecord,
  rollRefusal,
} from './store-rules.js'

// The types the rules take, as the root entry exports them, so a store needs one import.
export type {
  KeyPageQuery,
  KeyRollRefusal,
  KeyRollRequest,
  KeyUpdateExpectation,
} from './key-store.js'
export type { KeyLimits } from './limits/types.js'
export type { ApiKeyRecord, KeyStatus } from './types.js'
