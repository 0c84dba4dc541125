/**
 * Local leasing for hot keys: a {@link LimitStore} wrapper that takes a small batch of units from
 * the shared store at once and spends them in this process, so that a hot key costs a round
 * trip per batch instead of per request. Off unless you wrap your store (docs/limits.md,
 * "Leasing").
 * @module
 */
import { AuthError } from './errors.js'
import { CONSUME_NOW } from './lib/consume-now.js'
import type { LimitStore } from './limit-store.js'
import type { LimitCheck, LimitOutcome, RateLimit } from './limits/types.js'

/** Options of {@link LeasingLimitStore}. */
export interface LeasingOptions {
  /** Units taken from the store per lease: an integer from 2 to 1000. */
  batch: number
  /**
   * Longest time a lease is spent from, in ms (never longer than the key's shortest window);
   * what is left then is dropped. @defaultValue `1000`
   */
  maxLeaseMs?: number
  /** Most keys with a lease held at once; the least recent is dropped first. @defaultValue `10_000` */
  maxKeys?: number
}

interface Lease {
  /** Units taken and not yet spent. */
  left: number
  /** Service-clock time after which the lease is not spent from. */
  until: number
  /** When it was taken, and the store's answer then (for the headers). */
  takenAt: number
  rate: LimitOutcome['rate']
}

// The limits' part of a lease's key, built once per frozen array of frozen limits (what the
// service passes on every check of a key); a mutable one is described anew each time.
const described = new WeakMap<readonly RateLimit[], string>()
function describe(rate: readonly RateLimit[]): string {
  const known = described.get(rate)
  if (known !== undefined) return known
  const text = rate.map((r) => `${r.name}:${r.limit}:${r.windowMs}`).join(',')
  if (Object.isFrozen(rate) && rate.every((r) => Object.isFrozen(r))) described.set(rate, text)
  return text
}
const fingerprint = (subject: string, rate: readonly RateLimit[]): string =>
  `${subject}|${describe(rate)}`

/**
 * Wraps a shared limit store with local leases for rate limits. A check takes
 * `max(batch, cost)` units (at most the key's smallest limit) in one `consume` and spends the rest
 * locally on later checks of the same key and limits; when the store refuses a batch, the check
 * falls back to its exact cost. Credits are never leased (a balance must stay exact).
 *
 * **Overshoot bound:** leased units are charged in the store when taken, so in any window the
 * fleet admits at most `limit + instances × batch` (the units leased before the window began and
 * spent inside it); without leasing the bound is 0. Units left in a lease that expires are lost
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
  readonly #leases = new Map<string, Lease>()
  // One take per key at a time: concurrent checks wait for it, so an instance never holds more
  // than one batch of a key (the overshoot bound depends on it).
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
    this.#maxLeaseMs = maxLeaseMs
    this.#maxKeys = maxKeys
  }

  /** Calls made to the wrapped store so far (round trips, for a shared store). */
  get roundTrips(): number {
    return this.#roundTrips
  }

  async consume(check: LimitCheck): Promise<LimitOutcome> {
    if (check.credits !== undefined || check.rate.length === 0) return this.#call(check)
    const key = fingerprint(check.subject, check.rate)
    for (;;) {
      const spent = this.#spend(key, check)
      if (spent !== undefined) return spent
      const pending = this.#taking.get(key)
      if (pending === undefined) break
      await pending.catch(() => {})
    }
    const taking = this.#take(key, check)
    this.#taking.set(key, taking)
    try {
      return await taking
    } finally {
      this.#taking.delete(key)
    }
  }

  // Spends from this key's lease, if it holds enough and has not run out of time.
  #spend(key: string, check: LimitCheck): LimitOutcome | undefined {
    const lease = this.#leases.get(key)
    if (lease === undefined) return undefined
    if (check.now >= lease.until || lease.left < check.cost) {
      if (check.now >= lease.until) this.#leases.delete(key)
      return undefined
    }
    lease.left -= check.cost
    return this.#answer(lease, check.now)
  }

  async #take(key: string, check: LimitCheck): Promise<LimitOutcome> {
    const smallest = Math.min(...check.rate.map((r) => r.limit))
    const take = Math.min(Math.max(this.#batch, check.cost), smallest)
    const outcome = await this.#call({ ...check, cost: take })
    if (!outcome.allowed) {
      this.#leases.delete(key)
      // Near the limit a whole batch does not fit, but this request may (the refusal says
      // what is left in every window: ask again only when the cost fits all of them).
      const fits = outcome.rate.every((r) => r.remaining >= check.cost)
      return take > check.cost && fits ? this.#call(check) : outcome
    }
    const shortest = Math.min(...check.rate.map((r) => r.windowMs))
    const lease: Lease = {
      left: take - check.cost,
      until: check.now + Math.min(this.#maxLeaseMs, shortest),
      takenAt: check.now,
      rate: outcome.rate,
    }
    this.#leases.delete(key)
    this.#leases.set(key, lease)
    if (this.#leases.size > this.#maxKeys) {
      this.#leases.delete(this.#leases.keys().next().value as string)
    }
    return this.#answer(lease, check.now)
  }

  // The store's answer at the take, with what this lease still holds counted as remaining.
  #answer(lease: Lease, now: number): LimitOutcome {
    const elapsed = Math.max(0, now - lease.takenAt)
    return {
      allowed: true,
      rate: lease.rate.map((r) => ({
        ...r,
        remaining: r.remaining + lease.left,
        resetMs: Math.max(0, r.resetMs - elapsed),
      })),
    }
  }

  #call(check: LimitCheck): Promise<LimitOutcome> {
    this.#roundTrips++
    return this.#inner.consume(check)
  }

  // Spends from a lease held here when it covers the check; `undefined` when a take is due.
  #consumeNow(check: LimitCheck): LimitOutcome | undefined {
    if (check.credits !== undefined || check.rate.length === 0) return undefined
    return this.#spend(fingerprint(check.subject, check.rate), check)
  }

  // The synchronous form of `consume` (src/lib/consume-now.ts): a check the lease covers is
  // answered in the turn of the cache hit, with no promise; the others go through `consume`
  // (a take: a round trip). It hangs off this class's own `consume`, so a subclass that
  // overrides `consume` is still called. Pinned by test/limits/charge-now.test.ts.
  static {
    Object.defineProperty(LeasingLimitStore.prototype.consume, CONSUME_NOW, {
      value: function consumeNow(this: LeasingLimitStore, check: LimitCheck) {
        return this.#consumeNow(check)
      },
    })
  }
}
