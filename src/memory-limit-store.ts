/**
 * The in-process {@link LimitStore}: exact for one process, bounded by an LRU.
 * @module
 */
import { AuthError } from './errors.js'
import { CONSUME_MEMO, CONSUME_NOW, type MemoCheck } from './lib/consume-now.js'
import type { LimitStore } from './limit-store.js'
import type { LimitState } from './limits/sliding-window.js'
import {
  applyInPlace,
  trackOf,
  windowId,
  type WindowTrack,
} from './limits/sliding-window-in-place.js'
import {
  armSameBucket,
  chargeSameBucket,
  type SameBucket,
  settleSameBucket,
} from './limits/same-bucket-charge.js'
import type { LimitCheck, LimitOutcome, RateLimit } from './limits/types.js'

/**
 * A subject's usage, the rate limits it was last charged with, their window ids and what their
 * windows count (`track`, see ./limits/sliding-window-in-place.ts), and its LRU stamp.
 */
interface Entry extends SameBucket {
  /** The store and the key it belongs to, and whether it has left the store (a memo check). */
  readonly owner: MemoryLimitStore
  readonly subject: string
  gone: boolean
  readonly state: LimitState
  /** The limits of the last check, when they were frozen (what the service passes). */
  rate: readonly RateLimit[] | undefined
  ids: readonly string[]
  track: WindowTrack
  stamp: number
}

// The window's newest pair after a charge by the full path, when the shortcut may follow (one
// rate limit, no credits, frozen limits kept in `rate`; ./limits/same-bucket-charge.ts).
function newestOf(entry: Entry, check: LimitCheck): [number, number] | undefined {
  if (check.credits !== undefined || check.rate.length !== 1 || entry.rate !== check.rate) {
    return undefined
  }
  const usage = entry.state.w[entry.ids[0] as string]
  return usage?.[usage.length - 1]
}

// Nothing left to keep: every window counts nothing (a window's `resetMs` is 0 exactly then)
// and no credits. Read from the outcome rather than by enumerating the state's keys.
function isEmpty(outcome: LimitOutcome, state: LimitState): boolean {
  if (state.c !== undefined) return false
  for (const limit of outcome.rate) if (limit.resetMs !== 0) return false
  return true
}

// Limits kept to recognise the next check's: only a frozen array, which cannot have changed
// when the same one comes again (so the check need not ask `Object.isFrozen` each time).
const frozen = (rate: readonly RateLimit[]): readonly RateLimit[] | undefined =>
  Object.isFrozen(rate) ? rate : undefined

/** Options of {@link MemoryLimitStore}. */
export interface MemoryLimitStoreOptions {
  /**
   * Most subjects (keys) whose usage is held; the least recently charged is forgotten first
   * (from 16 subjects on, to within an eighth of `maxSubjects`), which resets its windows and its
   * credits (docs/limits.md, "Memory"). @defaultValue `100_000`
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
  readonly #states = new Map<string, Entry>()
  readonly #max: number
  // Re-inserting costs a Map delete and set per charge. As in src/lib/lru-cache.ts, an entry
  // moved within the last `#slack` moves is far from eviction and stays where it is: at most
  // `#slack` newer entries sit behind it. Below 16 subjects the slack is 0: exact LRU.
  readonly #slack: number
  #moves = 0

  constructor(options: MemoryLimitStoreOptions = {}) {
    const max = options?.maxSubjects ?? 100_000
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new AuthError('CONFIGURATION_ERROR', {
        message: 'MemoryLimitStore: maxSubjects must be a positive integer',
      })
    }
    this.#max = max
    this.#slack = max < 16 ? 0 : max >>> 3
  }

  /** Subjects whose usage is held now. */
  get size(): number {
    return this.#states.size
  }

  consume(check: LimitCheck): Promise<LimitOutcome> {
    return Promise.resolve(this.#apply(check))
  }

  // The state is changed in place (./limits/sliding-window-in-place.ts): a charge allocates its
  // outcome and little else.
  //
  // `memo`: `check` is the limiter's own object for this key (src/lib/consume-now.ts,
  // CONSUME_MEMO): the key's entry is kept on it and found there on the next request, without
  // the `Map` lookup (cache lines of the map's table read on every request; see
  // docs/benchmarks.md, "Limits cost, sixth session").
  #apply(check: LimitCheck, memo = false): LimitOutcome {
    const subject = check.subject
    let held: Entry | undefined
    const kept = memo ? (check as MemoCheck)[CONSUME_MEMO] : undefined
    if (
      kept !== undefined &&
      (kept as Entry).owner === this &&
      (kept as Entry).subject === subject &&
      !(kept as Entry).gone
    ) {
      held = kept as Entry
    } else {
      held = this.#states.get(subject)
      if (memo && held !== undefined) (check as MemoCheck)[CONSUME_MEMO] = held
    }
    if (held === undefined) {
      const state: LimitState = { w: {} }
      const ids = check.rate.map(windowId)
      // A new state holds no window: every one counts nothing.
      const track = trackOf(state, ids)
      const outcome = applyInPlace(state, check, ids, track)
      if (!isEmpty(outcome, state)) {
        const rate = frozen(check.rate)
        const entry: Entry = {
          owner: this,
          subject,
          gone: false,
          state,
          rate,
          ids,
          track,
          stamp: ++this.#moves,
          newest: undefined,
          bucket: 0,
          count: 0,
          oldest: 0,
          pending: 0,
        }
        armSameBucket(entry, newestOf(entry, check), track)
        this.#states.set(subject, entry)
        if (memo) (check as MemoCheck)[CONSUME_MEMO] = entry
        if (this.#states.size > this.#max) {
          const oldest = this.#states.values().next().value as Entry
          oldest.gone = true
          this.#states.delete(oldest.subject)
        }
      }
      return outcome
    }
    // The same single limit as last time, no credits, the same bucket: the shortcut.
    if (held.newest !== undefined && held.rate === check.rate && check.credits === undefined) {
      const outcome = chargeSameBucket(held, check.rate[0] as RateLimit, check.cost, check.now)
      if (outcome !== undefined) {
        this.#touch(held)
        return outcome
      }
    }
    // The full path reads the state: first the units the shortcut admitted go into it.
    settleSameBucket(held, held.track)
    // The same limits as last time (the same frozen array, as the service passes): their
    // window ids and counts are known and no window of other limits can be in the state.
    let outcome: LimitOutcome
    if (held.rate === check.rate) {
      outcome = applyInPlace(held.state, check, held.ids, held.track)
    } else {
      outcome = applyInPlace(held.state, check)
      held.rate = frozen(check.rate)
      held.ids = check.rate.map(windowId)
      held.track = trackOf(held.state, held.ids)
    }
    if (isEmpty(outcome, held.state)) {
      held.gone = true
      this.#states.delete(subject)
    } else {
      armSameBucket(held, newestOf(held, check), held.track)
      this.#touch(held)
    }
    return outcome
  }

  // A charged entry, moved to the recent end unless it was moved lately (see `#slack`).
  #touch(held: Entry): void {
    if (this.#moves - held.stamp > this.#slack) {
      held.stamp = ++this.#moves
      this.#states.delete(held.subject)
      this.#states.set(held.subject, held)
    }
  }

  // The synchronous form of `consume` (src/lib/consume-now.ts): the service charges a request
  // in the turn of its cache hit, with no promise, instead of awaiting `Promise.resolve`. It
  // hangs off this class's own `consume`, so a subclass that overrides `consume` is still
  // called. Pinned by test/limits/charge-now.test.ts.
  static {
    Object.defineProperty(MemoryLimitStore.prototype.consume, CONSUME_NOW, {
      value: function consumeNow(this: MemoryLimitStore, check: LimitCheck): LimitOutcome {
        return this.#apply(check, true)
      },
    })
  }
}
