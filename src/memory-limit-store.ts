/**
 * The in-process {@link LimitStore}: exact for one process, bounded by an LRU.
 * @module
 */
import { AuthError } from './errors.js'
import type { LimitStore } from './limit-store.js'
import { applyCheck, type LimitState } from './limits/sliding-window.js'
import type { LimitCheck, LimitOutcome } from './limits/types.js'

/** Options of {@link MemoryLimitStore}. */
export interface MemoryLimitStoreOptions {
  /**
   * Most subjects (keys) whose usage is held; the least recently charged is forgotten first,
   * which resets its windows and its credits (docs/limits.md, "Memory"). @defaultValue `100_000`
   */
  maxSubjects?: number
}

/**
 * Counts usage in this process's memory: right for one instance, tests and development. A fleet
 * shares a Redis, PostgreSQL or SQLite limit store instead, or each instance admits the limit.
 *
 * @example
 * ```ts
 * const auth = createApiKeyAuth({ store, limits: { store: new MemoryLimitStore() } })
 * ```
 */
export class MemoryLimitStore implements LimitStore {
  // A Map iterates in insertion order: re-inserting on use keeps the least recent first.
  readonly #states = new Map<string, LimitState>()
  readonly #max: number

  constructor(options: MemoryLimitStoreOptions = {}) {
    const max = options?.maxSubjects ?? 100_000
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new AuthError('CONFIGURATION_ERROR', {
        message: 'MemoryLimitStore: maxSubjects must be a positive integer',
      })
    }
    this.#max = max
  }

  /** Subjects whose usage is held now. */
  get size(): number {
    return this.#states.size
  }

  consume(check: LimitCheck): Promise<LimitOutcome> {
    const { outcome, state } = applyCheck(this.#states.get(check.subject), check)
    this.#states.delete(check.subject)
    if (Object.keys(state.w).length > 0 || state.c !== undefined) {
      this.#states.set(check.subject, state)
      if (this.#states.size > this.#max) {
        this.#states.delete(this.#states.keys().next().value as string)
      }
    }
    return Promise.resolve(outcome)
  }
}
