/**
 * A {@link UsageStore} in memory, for tests and single-process services.
 * @module
 */
import type { UsageBatch, UsageRow, UsageStore } from './usage-store.js'

/** Batch ids remembered (oldest forgotten first): retries come within a few flushes. */
const REMEMBERED_BATCHES = 10_000

/**
 * Usage counts in a `Map`, lost on restart.
 *
 * @example
 * ```ts
 * const auth = createApiKeyAuth({ store, usageStore: new MemoryUsageStore() })
 * ```
 */
export class MemoryUsageStore implements UsageStore {
  readonly #counts = new Map<string, Map<string, number>>()
  readonly #applied = new Set<string>()

  /** Adds the batch's counts once per batch id. */
  addUsage(batch: UsageBatch): Promise<void> {
    if (this.#applied.has(batch.id)) return Promise.resolve()
    this.#applied.add(batch.id)
    if (this.#applied.size > REMEMBERED_BATCHES) {
      this.#applied.delete(this.#applied.values().next().value as string)
    }
    for (const row of batch.rows) {
      let byKey = this.#counts.get(row.keyId)
      if (byKey === undefined) this.#counts.set(row.keyId, (byKey = new Map()))
      const field = `${row.minute.getTime()}|${row.outcome}`
      byKey.set(field, (byKey.get(field) ?? 0) + row.count)
    }
    return Promise.resolve()
  }

  /** The totals of one key in `[from, to)`. */
  readUsage(keyId: string, from: Date, to: Date): Promise<UsageRow[]> {
    const rows: UsageRow[] = []
    for (const [field, count] of this.#counts.get(keyId) ?? []) {
      const split = field.indexOf('|')
      const minute = Number(field.slice(0, split))
      if (minute >= from.getTime() && minute < to.getTime()) {
        rows.push({ keyId, minute: new Date(minute), outcome: field.slice(split + 1), count })
      }
    }
    return Promise.resolve(rows)
  }
}
