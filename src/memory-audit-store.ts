/**
 * An {@link AuditStore} in memory, for tests and single-process services.
 * @module
 */
import type { AuditQuery, AuditRecord, AuditStore } from './audit-store.js'

/** Options of {@link MemoryAuditStore}. */
export interface MemoryAuditStoreOptions {
  /**
   * Most records kept per key; the oldest are dropped first. Memory is bounded by this times
   * the number of keys. @defaultValue `1_000`
   */
  maxPerKey?: number
}

/**
 * Audit records in a `Map`, newest last per key, lost on restart. Not in the key store's
 * transaction: the service appends a record right after its change (docs/audit-log.md).
 *
 * @example
 * ```ts
 * const auth = createApiKeyAuth({ store, auditStore: new MemoryAuditStore() })
 * ```
 */
export class MemoryAuditStore implements AuditStore {
  readonly #byKey = new Map<string, AuditRecord[]>()
  readonly #ids = new Set<string>()
  readonly #maxPerKey: number

  constructor(options: MemoryAuditStoreOptions = {}) {
    const max = options.maxPerKey ?? 1_000
    this.#maxPerKey = Number.isInteger(max) && max > 0 ? max : 1_000
  }

  /** Appends copies of `records`; a batch with an id already kept is refused as a whole. */
  appendAudit(records: readonly AuditRecord[]): Promise<void> {
    const ids = new Set(records.map((r) => r.id))
    if (ids.size < records.length || [...ids].some((id) => this.#ids.has(id))) {
      return Promise.reject(new Error('MemoryAuditStore: duplicate audit record id'))
    }
    for (const record of records) {
      this.#ids.add(record.id)
      let list = this.#byKey.get(record.keyId)
      if (list === undefined) this.#byKey.set(record.keyId, (list = []))
      list.push(structuredClone(record))
      if (list.length > this.#maxPerKey) {
        for (const dropped of list.splice(0, list.length - this.#maxPerKey)) {
          this.#ids.delete(dropped.id)
        }
      }
    }
    return Promise.resolve()
  }

  /** The records of one key, newest first, before the cursor. */
  listAudit(query: AuditQuery): Promise<AuditRecord[]> {
    const list = this.#byKey.get(query.keyId) ?? []
    const older = list.filter((r) => query.before === null || r.id < query.before)
    older.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
    return Promise.resolve(older.slice(0, query.limit).map((r) => structuredClone(r)))
  }
}
