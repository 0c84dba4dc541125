/**
 * The in-process {@link LimitStore}: exact for one process, bounded by an LRU.
 * @module
 */
import { AuthError } from './errors.js'
import { CONSUME_MEMO, CONSUME_NOW, type CheckShortcut, type MemoCheck } from './lib/consume-now.js'
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
 *
 * The same-bucket shortcut's numbers (./limits/same-bucket-charge.ts) are on the entry itself,
 * or, when `armed`, on the limiter's check of the key (src/lib/consume-now.ts, `CheckShortcut`):
 * then a charge of that check reads that check alone, not the entry. Exactly one of the two
 * holds them; whatever reads the state first takes them back from the check (`#reclaim`).
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
  /** The window's newest `[bucket, units]` pair when a shortcut is armed; else `undefined`. */
  newest: [number, number] | undefined
  /** The check holding the shortcut's numbers, if one does. */
  armed: ShortcutCheck | undefined
}

type ShortcutCheck = MemoCheck & CheckShortcut

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
    return Promise.resolve(this.#apply(check, check.cost, check.now, false))
  }

  // The synchronous form on the limiter's own check of the key (src/lib/consume-now.ts): the
  // shortcut from the numbers kept on that check, when they are this store's and for its
  // limits, reads no entry and no `Map` (each a read from memory over HTTP with many keys:
  // docs/benchmarks.md, "Issue 12: the memory limit against a hand-written limit").
  #applyNow(check: ShortcutCheck, cost: number, now: number): LimitOutcome {
    if (
      check.shortcutOf === this &&
      check.shortcutRate === check.rate &&
      check.credits === undefined
    ) {
      const outcome = chargeSameBucket(check, check.rate[0] as RateLimit, cost, now)
      if (outcome !== undefined) {
        if (this.#moves - check.stamp > this.#slack) this.#touchArmed(check)
        return outcome
      }
    }
    return this.#apply(check, cost, now, true)
  }

  // The state is changed in place (./limits/sliding-window-in-place.ts): a charge allocates its
  // outcome and little else. `cost` and `now` are the charge's (a memo check's own are stale).
  //
  // `memo`: `check` is the limiter's own object for this key (src/lib/consume-now.ts,
  // CONSUME_MEMO): the key's entry is kept on it and found there on the next request, without
  // the `Map` lookup, and the shortcut's numbers are armed on it.
  #apply(check: LimitCheck, cost: number, now: number, memo: boolean): LimitOutcome {
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
    // The algorithm reads the check's `cost` and `now`: a memo check gets a copy with them.
    const full: LimitCheck = memo ? { subject, rate: check.rate, cost, now } : check
    if (memo && check.credits !== undefined) full.credits = check.credits
    if (held === undefined) return this.#create(check, full, memo)
    // The same single limit as last time, no credits, the same bucket: the shortcut.
    if (
      held.armed === undefined &&
      held.newest !== undefined &&
      held.rate === check.rate &&
      check.credits === undefined
    ) {
      const outcome = chargeSameBucket(held, check.rate[0] as RateLimit, cost, now)
      if (outcome !== undefined) {
        this.#touch(held)
        return outcome
      }
    }
    // The full path reads the state: first the units the shortcut admitted go into it.
    this.#reclaim(held)
    // The same limits as last time (the same frozen array, as the service passes): their
    // window ids and counts are known and no window of other limits can be in the state.
    let outcome: LimitOutcome
    if (held.rate === check.rate) {
      outcome = applyInPlace(held.state, full, held.ids, held.track)
    } else {
      outcome = applyInPlace(held.state, full)
      held.rate = frozen(check.rate)
      held.ids = check.rate.map(windowId)
      held.track = trackOf(held.state, held.ids)
    }
    if (isEmpty(outcome, held.state)) {
      held.gone = true
      this.#states.delete(subject)
    } else {
      this.#arm(held, check, memo)
      this.#touch(held)
    }
    return outcome
  }

  // A subject with no usage held: its first charge.
  #create(check: LimitCheck, full: LimitCheck, memo: boolean): LimitOutcome {
    const state: LimitState = { w: {} }
    const ids = check.rate.map(windowId)
    // A new state holds no window: every one counts nothing.
    const track = trackOf(state, ids)
    const outcome = applyInPlace(state, full, ids, track)
    if (isEmpty(outcome, state)) return outcome
    const entry: Entry = {
      owner: this,
      subject: check.subject,
      gone: false,
      state,
      rate: frozen(check.rate),
      ids,
      track,
      stamp: ++this.#moves,
      newest: undefined,
      armed: undefined,
      bucket: 0,
      count: 0,
      oldest: 0,
      pending: 0,
    }
    this.#arm(entry, check, memo)
    this.#states.set(entry.subject, entry)
    if (memo) (check as MemoCheck)[CONSUME_MEMO] = entry
    if (this.#states.size > this.#max) {
      const oldest = this.#states.values().next().value as Entry
      this.#reclaim(oldest)
      oldest.gone = true
      this.#states.delete(oldest.subject)
    }
    return outcome
  }

  // Arms the shortcut after a charge by the full path, when it may follow (one rate limit, no
  // credits, frozen limits): on the limiter's check, unless another store's numbers are there
  // (then on the entry: the other store takes its own back when it next reads the key).
  #arm(held: Entry, check: LimitCheck, memo: boolean): void {
    const newest = newestOf(held, check)
    held.newest = newest
    if (newest === undefined) return
    const shortcut = check as ShortcutCheck
    if (memo && shortcut.shortcutOf === undefined) {
      armSameBucket(shortcut, newest, held.track)
      shortcut.shortcutOf = this
      shortcut.shortcutRate = check.rate
      shortcut.stamp = held.stamp
      held.armed = shortcut
    } else {
      armSameBucket(held, newest, held.track)
    }
  }

  // Takes the shortcut's numbers back from the check holding them (its pending units go into
  // the state) or settles the entry's own; either way no shortcut is armed after this.
  #reclaim(held: Entry): void {
    const armed = held.armed
    if (armed !== undefined) {
      settleSameBucket(armed, held.newest, held.track)
      armed.shortcutOf = undefined
      held.armed = undefined
    } else {
      settleSameBucket(held, held.newest, held.track)
    }
    held.newest = undefined
  }

  // A charged entry, moved to the recent end unless it was moved lately (see `#slack`).
  #touch(held: Entry): void {
    if (this.#moves - held.stamp > this.#slack) {
      held.stamp = ++this.#moves
      if (held.armed !== undefined) held.armed.stamp = held.stamp
      this.#states.delete(held.subject)
      this.#states.set(held.subject, held)
    }
  }

  // `#touch` for a charge by a check's shortcut, which read no entry: the entry it is armed on
  // (a check is armed on at most one entry, and disarmed before its entry leaves the store).
  #touchArmed(check: ShortcutCheck): void {
    const kept = check[CONSUME_MEMO] as Entry | undefined
    const held = kept?.armed === check ? kept : this.#states.get(check.subject)
    if (held?.armed === check) this.#touch(held)
  }

  // The synchronous form of `consume` (src/lib/consume-now.ts): the service charges a request
  // in the turn of its cache hit, with no promise, instead of awaiting `Promise.resolve`. It
  // hangs off this class's own `consume`, so a subclass that overrides `consume` is still
  // called. Pinned by test/limits/charge-now.test.ts.
  static {
    Object.defineProperty(MemoryLimitStore.prototype.consume, CONSUME_NOW, {
      value: function consumeNow(
        this: MemoryLimitStore,
        check: LimitCheck,
        cost: number,
        now: number,
      ): LimitOutcome {
        return this.#applyNow(check as ShortcutCheck, cost, now)
      },
    })
  }
}
