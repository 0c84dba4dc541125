/**
 * The usage-limit storage port. Implement it to count usage anywhere; run the limit-store
 * conformance kit of `@vydra/auth/testing` to check it (docs/limits.md).
 * @module
 */
import type { LimitCheck, LimitOutcome } from './limits/types.js'

/**
 * Where usage is counted. `consume` is one atomic step across every instance sharing the store:
 * it checks every limit of `check` and charges the cost to all of them only if all allow it. It
 * throws only for infrastructure failures; the service then applies its outage policy
 * (`limits.onStoreError`), never a 500.
 */
export interface LimitStore {
  /** Checks and, if every limit allows it, charges `check.cost` to `check.subject`. */
  consume(check: LimitCheck): Promise<LimitOutcome>
}
