/**
 * Usage counting: verifications per key, per minute, per outcome, gathered in memory and written
 * in batches at most every `usageFlushMs`. A request only adds to a number (no store call, no
 * allocation on a cache hit within a minute). A failed batch is kept as it was, id included, and
 * sent again first: the store ignores an id it has applied, so nothing is counted twice.
 * Internal: not exported from the package.
 * @module
 */
import { describeError } from '../lib/describe-error.js'
import { withTimeout } from '../lib/with-timeout.js'
import type { AuthLogger } from '../options/types.js'
import type { UsageBatch, UsageRow, UsageStore } from '../usage-store.js'

/** Keys counted between two flushes; counts of further keys are dropped (and logged). */
export const MAX_COUNTED_KEYS = 100_000
/** Batches waiting for a store that fails; the oldest is dropped (and logged) beyond this. */
export const MAX_UNSENT_BATCHES = 100

const MINUTE_MS = 60_000

interface Bucket {
  /** Start of the minute counted, in ms. */
  minute: number
  ok: number
  /** Counts of refusals by code; built on a key's first refusal. */
  refused: Map<string, number> | undefined
  /** Whether anything was counted since the last flush. */
  used: boolean
}

/** What {@link UsageCounter} needs. */
export interface UsageCounterOptions {
  store: UsageStore
  flushMs: number
  timeoutMs: number
  logger: AuthLogger
}

/** Counts of this instance not yet written, for monitoring. */
export interface UsageCounterStats {
  /** Keys with a count in memory. */
  keys: number
  /** Batches waiting to be written (after a failure). */
  unsent: number
  /** Counts dropped because memory bounds were reached. */
  dropped: number
}

/** Counts verifications in memory and flushes them to a {@link UsageStore}. */
export class UsageCounter {
  readonly #options: UsageCounterOptions
  readonly #buckets = new Map<string, Bucket>()
  /** Rows of minutes that ended before the flush. */
  #closed: UsageRow[] = []
  readonly #unsent: UsageBatch[] = []
  #dropped = 0
  #flushing: Promise<void> | undefined
  readonly #timer: ReturnType<typeof setInterval>

  /** The counter the service options ask for, or `undefined` without a `usageStore`. */
  static forOptions(opts: {
    usageStore?: UsageStore | undefined
    usageFlushMs: number
    storeTimeoutMs: number
    logger: AuthLogger
  }): UsageCounter | undefined {
    if (opts.usageStore === undefined) return undefined
    return new UsageCounter({
      store: opts.usageStore,
      flushMs: opts.usageFlushMs,
      timeoutMs: opts.storeTimeoutMs,
      logger: opts.logger,
    })
  }

  constructor(options: UsageCounterOptions) {
    this.#options = options
    this.#timer = setInterval(() => void this.flush(), options.flushMs)
    // A process with nothing else to do may exit; `close` flushes what is left.
    if (typeof this.#timer === 'object' && typeof this.#timer.unref === 'function') {
      this.#timer.unref()
    }
  }

  /** Counts one verification of `keyId` at `now` with `outcome` (`'OK'` or an error code). */
  count(keyId: string, now: number, outcome: string): void {
    const minute = now - (now % MINUTE_MS)
    let bucket = this.#buckets.get(keyId)
    if (bucket === undefined) {
      if (this.#buckets.size >= MAX_COUNTED_KEYS || !Number.isFinite(minute)) {
        this.#dropped++
        return
      }
      bucket = { minute, ok: 0, refused: undefined, used: true }
      this.#buckets.set(keyId, bucket)
    } else if (bucket.minute !== minute) {
      this.#close(keyId, bucket)
      bucket.minute = minute
    }
    bucket.used = true
    if (outcome === 'OK') bucket.ok++
    else {
      bucket.refused ??= new Map()
      bucket.refused.set(outcome, (bucket.refused.get(outcome) ?? 0) + 1)
    }
  }

  /** Sizes, for monitoring and tests. */
  stats(): UsageCounterStats {
    return { keys: this.#buckets.size, unsent: this.#unsent.length, dropped: this.#dropped }
  }

  /**
   * Seals what was counted into a batch and writes every unsent batch, oldest first. Never
   * rejects: a failure is logged and the batch waits for the next flush. Concurrent calls share
   * one flush.
   */
  flush(): Promise<void> {
    this.#flushing ??= this.#flush().finally(() => (this.#flushing = undefined))
    return this.#flushing
  }

  /** Stops the timer and flushes once more. */
  async close(): Promise<void> {
    clearInterval(this.#timer)
    await this.#flushing
    await this.flush()
  }

  async #flush(): Promise<void> {
    this.#seal()
    const { store, timeoutMs, logger } = this.#options
    while (this.#unsent.length > 0) {
      const batch = this.#unsent[0] as UsageBatch
      try {
        await withTimeout(
          () => store.addUsage(batch),
          timeoutMs,
          () => new Error('usage flush timed out'),
          { background: true },
        )
      } catch (error) {
        logger.warn('usage flush failed; the batch is kept and sent again', {
          batch: batch.id,
          rows: batch.rows.length,
          unsent: this.#unsent.length,
          error: describeError(error),
        })
        return
      }
      this.#unsent.shift()
    }
  }

  // Moves a bucket's counts to the closed rows and zeroes it.
  #close(keyId: string, bucket: Bucket): void {
    const minute = new Date(bucket.minute)
    if (bucket.ok > 0) this.#closed.push({ keyId, minute, outcome: 'OK', count: bucket.ok })
    if (bucket.refused !== undefined) {
      for (const [outcome, count] of bucket.refused) {
        if (count > 0) this.#closed.push({ keyId, minute, outcome, count })
      }
      bucket.refused.clear()
    }
    bucket.ok = 0
  }

  // Everything counted so far becomes one batch; keys unused since the last flush are forgotten.
  #seal(): void {
    for (const [keyId, bucket] of this.#buckets) {
      if (!bucket.used) this.#buckets.delete(keyId)
      else {
        this.#close(keyId, bucket)
        bucket.used = false
      }
    }
    const rows = this.#closed
    this.#closed = []
    if (rows.length === 0) return
    // WebCrypto's UUID v4: on every runtime, no node:crypto import.
    this.#unsent.push({ id: crypto.randomUUID(), rows: mergeRows(rows) })
    if (this.#unsent.length > MAX_UNSENT_BATCHES) {
      const lost = this.#unsent.shift() as UsageBatch
      const count = lost.rows.reduce((sum, row) => sum + row.count, 0)
      this.#dropped += count
      this.#options.logger.error('usage batch dropped: the usage store kept failing', {
        batch: lost.id,
        count,
      })
    }
  }
}

// A key may have closed the same minute twice (a flush within the minute, then the minute's
// end): one row per (keyId, minute, outcome), as the port asks.
function mergeRows(rows: UsageRow[]): UsageRow[] {
  const merged = new Map<string, UsageRow>()
  for (const row of rows) {
    const id = `${row.keyId}|${row.minute.getTime()}|${row.outcome}`
    const existing = merged.get(id)
    if (existing === undefined) merged.set(id, { ...row })
    else existing.count += row.count
  }
  return [...merged.values()]
}
