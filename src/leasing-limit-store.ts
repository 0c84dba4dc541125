/**
 * Local leasing for hot keys: a {@link LimitStore} wrapper that takes a small batch of units from
 * the shared store at once and spends them in this process, so that a hot key costs a round
 * trip per batch instead of per request. Off unless you wrap your store (docs/limits.md,
 * "Leasing").
 * @module
 */
import { AuthError } from './errors.js'
import { CONSUME_MEMO, CONSUME_NOW, type MemoCheck } from './lib/consume-now.js'
import type { LimitStore } from './limit-store.js'
import type { LimitCheck, LimitOutcome, RateLimit } from './limits/types.js'

/** Options of {@link LeasingLimitStore}. */
export interface LeasingOptions {
  /** Units taken from the store per lease: an integer from 2 to 1000. */
  batch: number
  /**
   * Longest time a lease is spent from since it was taken or last topped up, in ms (never
   * longer than the key's shortest window); what is left then is dropped. @defaultValue `1000`
   */
  maxLeaseMs?: number
  /** Most keys with a lease held at once; the least recent is dropped first. @defaultValue `10_000` */
  maxKeys?: number
}

interface Lease {
  /** The store and the key it belongs to, and whether it has left the store (a memo check). */
  readonly owner: LeasingLimitStore
  readonly subject: string
  gone: boolean
  /** The limits it was taken for: the check's array when frozen (compared by identity). */
  readonly limits: readonly RateLimit[] | undefined
  /** Their description (compared when the array is another one). */
  readonly text: string
  /** Units taken and not yet spent. */
  left: number
  /** Service-clock time after which the lease is not spent from. */
  until: number
  /** Service-clock time from which a spend tops the lease up (the last quarter of its time). */
  renewAt: number
  /** When it was last taken or topped up, and the store's answer then (for the headers). */
  takenAt: number
  rate: LimitOutcome['rate']
  /** A top-up was refused or failed: none is tried again until the lease is replaced. */
  topUps: boolean
}

// The limits' description, built once per frozen array of frozen limits (what the service
// passes on every check of a key); a mutable one is described anew each time.
const described = new WeakMap<readonly RateLimit[], string>()
function describe(rate: readonly RateLimit[]): string {
  const known = described.get(rate)
  if (known !== undefined) return known
  const text = rate.map((r) => `${r.name}:${r.limit}:${r.windowMs}`).join(',')
  if (isFrozen(rate)) described.set(rate, text)
  return text
}
// The smallest limit of `rate`: a lease never holds more.
function smallestLimit(rate: readonly RateLimit[]): number {
  let smallest = Number.POSITIVE_INFINITY
  for (const limit of rate) if (limit.limit < smallest) smallest = limit.limit
  return smallest
}
const isFrozen = (rate: readonly RateLimit[]): boolean =>
  Object.isFrozen(rate) && rate.every((r) => Object.isFrozen(r))

/**
 * Wraps a shared limit store with local leases for rate limits. A check takes
 * `max(batch, cost)` units (at most the key's smallest limit) in one `consume` and spends the rest
 * locally on later checks of the same key and limits; when the store refuses a batch, the check
 * falls back to its exact cost. Credits are never leased (a balance must stay exact).
 *
 * A lease is topped up ahead, in the background, when a quarter of the batch or less is left or
 * it enters the last quarter of its time: the spend that finds it so takes what brings it back
 * to a batch, and its time starts again. A key with steady traffic is then answered from its
 * lease without waiting for a round trip.
 *
 * **Overshoot bound:** leased units are charged in the store when taken, so in any window the
 * fleet admits at most `limit + instances × batch` (the units leased before the window began and
 * spent inside it): an instance holds at most one batch of a key at any time, a top-up taking
 * only what was spent. Without leasing the bound is 0. Units left in a lease that expires are lost
 * (the fleet may admit slightly fewer than the limit).
 *
 * @example
 * ```ts
 * const limits = new LeasingLimitStore(new MemoryLimitStore(), { batch: 10 })
 * const auth = createApiKeyAuth({ store: new MemoryKeyStore(), limits: { store: limits } })
 * ```
 */
export class LeasingLimitStore implements LimitStore {
  readonly #inner: LimitStore
  readonly #batch: number
  readonly #maxLeaseMs: number
  readonly #maxKeys: number
  // Units left in a lease at which a spend tops it up (a quarter of the batch).
  readonly #lowWater: number
  // One lease per subject (key): a check with other limits drops it.
  readonly #leases = new Map<string, Lease>()
  // One take or top-up per key at a time: concurrent checks wait for it, so an instance never
  // holds more than one batch of a key (the overshoot bound depends on it).
  readonly #taking = new Map<string, Promise<unknown>>()
  #roundTrips = 0

  constructor(inner: LimitStore, options: LeasingOptions) {
    const batch = options?.batch
    const maxLeaseMs = options?.maxLeaseMs ?? 1_000
    const maxKeys = options?.maxKeys ?? 10_000
    const integer = (value: unknown, min: number, max: number): boolean =>
      typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
    if (
      typeof inner?.consume !== 'function' ||
      !integer(batch, 2, 1_000) ||
      !integer(maxLeaseMs, 1, 86_400_000) ||
      !integer(maxKeys, 1, 10_000_000)
    ) {
      throw new AuthError('CONFIGURATION_ERROR', {
        message:
          'LeasingLimitStore: needs a LimitStore, batch an integer from 2 to 1000, maxLeaseMs ' +
          'a positive integer (ms) and maxKeys a positive integer',
      })
    }
    this.#inner = inner
    this.#batch = batch
    this.#lowWater = batch >>> 2
    this.#maxLeaseMs = maxLeaseMs
    this.#maxKeys = maxKeys
  }

  /** Calls made to the wrapped store so far (round trips, for a shared store). */
  get roundTrips(): number {
    return this.#roundTrips
  }

  async consume(check: LimitCheck): Promise<LimitOutcome> {
    if (check.credits !== undefined || check.rate.length === 0) return this.#call(check)
    const subject = check.subject
    for (;;) {
      const spent = this.#spend(check, check.cost, check.now)
      if (spent !== undefined) return spent
      const pending = this.#taking.get(subject)
      if (pending === undefined) break
      await pending.catch(() => {})
    }
    const taking = this.#take(check)
    this.#taking.set(subject, taking)
    try {
      return await taking
    } finally {
      if (this.#taking.get(subject) === taking) this.#taking.delete(subject)
    }
  }

  // Spends from this key's lease, if it holds enough for these limits and has time left; tops
  // it up ahead when it runs low or nears its end. The path of nearly every request of a hot
  // key: one `Map` lookup by the subject (the same string each time), no string built.
  //
  // `memo`: `check` is the limiter's own object for this key (src/lib/consume-now.ts,
  // CONSUME_MEMO): the lease is kept on it and found there, without the lookup. `cost` and
  // `now` are the charge's (a memo check's own are stale).
  #spend(check: LimitCheck, cost: number, now: number, memo = false): LimitOutcome | undefined {
    let lease: Lease | undefined
    const kept = memo ? (check as MemoCheck)[CONSUME_MEMO] : undefined
    if (
      kept !== undefined &&
      (kept as Lease).owner === this &&
      (kept as Lease).subject === check.subject &&
      !(kept as Lease).gone
    ) {
      lease = kept as Lease
    } else {
      lease = this.#leases.get(check.subject)
      if (lease === undefined) return undefined
      if (memo) (check as MemoCheck)[CONSUME_MEMO] = lease
    }
    if (
      now >= lease.until ||
      (lease.limits !== check.rate && lease.text !== describe(check.rate))
    ) {
      this.#drop(check.subject)
      return undefined
    }
    if (lease.left < cost) return undefined
    lease.left -= cost
    if (lease.topUps && (lease.left <= this.#lowWater || now >= lease.renewAt)) {
      this.#topUp(lease, check, now)
    }
    return this.#answer(lease, now)
  }

  // Takes, in the background, what brings `lease` back to a whole batch, so that the key's next
  // requests find units and time left instead of waiting for a round trip. The instance then
  // holds at most a batch of the key, as with one take at a time (the overshoot bound): the
  // units asked for are the batch minus those left, and no other take of the key runs
  // meanwhile (`#taking`). A refusal or a failure stops the top-ups of this lease: it is spent
  // as it is, and the take after it (awaited) meets the limit or the failure.
  #topUp(lease: Lease, check: LimitCheck, now: number): void {
    // Copied: the limiter's check is its own again once this turn ends (src/lib/consume-now.ts).
    const { subject, rate } = check
    const want = Math.min(this.#batch, smallestLimit(rate)) - lease.left
    if (want < 1 || this.#taking.has(subject)) return
    const done = (): void => {
      if (this.#taking.get(subject) === taking) this.#taking.delete(subject)
    }
    const taking = this.#call({ subject, rate, cost: want, now }).then(
      (outcome) => {
        done()
        if (!outcome.allowed) {
          lease.topUps = false
          return
        }
        const held = this.#leases.get(subject)
        if (held === lease) {
          lease.left += want
          this.#renew(lease, rate, outcome, now)
        } else if (held === undefined) {
          // The lease ran out of time or was dropped meanwhile: these units begin a new one.
          this.#hold(
            subject,
            this.#lease(subject, lease.limits, lease.text, want, rate, outcome, now),
          )
        }
      },
      () => {
        done()
        lease.topUps = false
      },
    )
    this.#taking.set(subject, taking)
  }

  async #take(check: LimitCheck): Promise<LimitOutcome> {
    const take = Math.min(Math.max(this.#batch, check.cost), smallestLimit(check.rate))
    const outcome = await this.#call({ ...check, cost: take })
    if (!outcome.allowed) {
      this.#drop(check.subject)
      // Near the limit a whole batch does not fit, but this request may (the refusal says
      // what is left in every window: ask again only when the cost fits all of them).
      const fits = outcome.rate.every((r) => r.remaining >= check.cost)
      return take > check.cost && fits ? this.#call(check) : outcome
    }
    const rate = check.rate
    const limits = isFrozen(rate) ? rate : undefined
    const subject = check.subject
    const left = take - check.cost
    const lease = this.#lease(subject, limits, describe(rate), left, rate, outcome, check.now)
    this.#hold(subject, lease)
    return this.#answer(lease, check.now)
  }

  #lease(
    subject: string,
    limits: readonly RateLimit[] | undefined,
    text: string,
    left: number,
    rate: readonly RateLimit[],
    outcome: LimitOutcome,
    now: number,
  ): Lease {
    const lease: Lease = {
      owner: this,
      subject,
      gone: false,
      limits,
      text,
      left,
      until: 0,
      renewAt: 0,
      takenAt: 0,
      rate: [],
      topUps: true,
    }
    this.#renew(lease, rate, outcome, now)
    return lease
  }

  // A take or top-up answered at `now`: the lease's time starts again (at most `maxLeaseMs`,
  // never longer than the shortest window) and its headers follow the store's new answer.
  #renew(lease: Lease, rate: readonly RateLimit[], outcome: LimitOutcome, now: number): void {
    let life = this.#maxLeaseMs
    for (const limit of rate) if (limit.windowMs < life) life = limit.windowMs
    lease.until = now + life
    lease.renewAt = lease.until - Math.ceil(life / 4)
    lease.takenAt = now
    lease.rate = outcome.rate
  }

  #hold(subject: string, lease: Lease): void {
    this.#drop(subject)
    this.#leases.set(subject, lease)
    if (this.#leases.size > this.#maxKeys) {
      this.#drop(this.#leases.keys().next().value as string)
    }
  }

  // Every lease leaves through here: marked, so that a check's memo of it is not used.
  #drop(subject: string): void {
    const lease = this.#leases.get(subject)
    if (lease === undefined) return
    lease.gone = true
    this.#leases.delete(subject)
  }

  // The store's answer at the take, with what this lease still holds counted as remaining.
  #answer(lease: Lease, now: number): LimitOutcome {
    const elapsed = Math.max(0, now - lease.takenAt)
    const taken = lease.rate
    // Sized up front (src/limits/sliding-window-in-place.ts, `applyInPlace`).
    const rate = new Array<LimitOutcome['rate'][number]>(taken.length)
    for (let i = 0; i < taken.length; i++) {
      const r = taken[i] as LimitOutcome['rate'][number]
      rate[i] = {
        name: r.name,
        limit: r.limit,
        windowMs: r.windowMs,
        remaining: r.remaining + lease.left,
        resetMs: Math.max(0, r.resetMs - elapsed),
      }
    }
    return { allowed: true, rate }
  }

  #call(check: LimitCheck): Promise<LimitOutcome> {
    this.#roundTrips++
    return this.#inner.consume(check)
  }

  // The synchronous form of `consume` (src/lib/consume-now.ts): a check the lease covers is
  // answered in the turn of the cache hit, with no promise; the others go through `consume`
  // (a take: a round trip). It hangs off this class's own `consume`, so a subclass that
  // overrides `consume` is still called. Pinned by test/limits/charge-now.test.ts.
  static {
    Object.defineProperty(LeasingLimitStore.prototype.consume, CONSUME_NOW, {
      value: function consumeNow(
        this: LeasingLimitStore,
        check: LimitCheck,
        cost: number,
        now: number,
      ): LimitOutcome | undefined {
        // Spends from a lease held here when it covers the check; `undefined`: a take is due.
        if (check.credits !== undefined || check.rate.length === 0) return undefined
        return this.#spend(check, cost, now, true)
      },
    })
  }
}
