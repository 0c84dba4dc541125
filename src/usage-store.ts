/**
 * The usage port: where per-key, per-minute counts of verifications go. Optional; run the usage
 * cases of `@vydra/auth/testing` to check an implementation.
 * @module
 */

/** One count: verifications of one key in one minute with one outcome. */
export interface UsageRow {
  /** UUID of the key. */
  keyId: string
  /** Start of the minute (UTC, seconds and milliseconds zero). */
  minute: Date
  /** `'OK'` for a success, else the `AuthError` code of the refusal (`'KEY_REVOKED'`, …). */
  outcome: string
  /** How many, a positive integer. */
  count: number
}

/** Counts gathered by one instance between two flushes. */
export interface UsageBatch {
  /** UUID of the batch: the same batch is sent again, with the same id, after a failure. */
  id: string
  /** At most one row per (keyId, minute, outcome). */
  rows: readonly UsageRow[]
}

/**
 * Where usage counts live. The service never calls it on the request path: counts are gathered
 * in memory and flushed at most every `usageFlushMs`.
 */
export interface UsageStore {
  /**
   * Adds each row's `count` to the stored total of its (keyId, minute, outcome), all rows or
   * none, and at most once per batch id: a batch whose id was applied before is ignored, so a
   * retry after an ambiguous failure (a timeout after the commit) does not count twice. Ids
   * must be remembered for at least a day.
   */
  addUsage(batch: UsageBatch): Promise<void>
  /** The totals of `keyId` with `from <= minute < to`, in any order; `[]` when none. */
  readUsage(keyId: string, from: Date, to: Date): Promise<UsageRow[]>
}
