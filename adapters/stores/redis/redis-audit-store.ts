/**
 * An {@link AuditStore} on Redis streams through `ioredis`: one capped stream per key for
 * `listEvents`, and one capped stream of every record for export (`XREAD`, consumer groups).
 * @module
 */
import type { Redis } from 'ioredis'
import {
  AuthError,
  type AuditQuery,
  type AuditRecord,
  type AuditStore,
} from '../../../src/index.js'
import { AUDIT_COLUMNS, auditRecordOf, auditRowValues, type AuditRow } from '../shared/audit-row.js'

/** Options of {@link RedisAuditStore}. */
export interface RedisAuditStoreOptions {
  /** Prefix of every key the store writes. @defaultValue `'vydra:auth:'` */
  namespace?: string
  /**
   * Records kept per key (`XADD … MAXLEN ~`): the oldest beyond it are trimmed, so a key's
   * stream can hold slightly more. @defaultValue `1_000`
   */
  maxPerKey?: number
  /**
   * Records kept in the stream of every record (`<namespace>audit`), the one to export from.
   * @defaultValue `100_000`
   */
  maxTotal?: number
  /**
   * Days a key's stream is kept after its last record (`PEXPIRE`): the records of a key that
   * nobody changed for this long are gone. @defaultValue `365`
   */
  retentionDays?: number
}

// KEYS: the stream of every record, then one key stream per record. ARGV: maxTotal, maxPerKey,
// the retention in ms, the number of fields per record, then each record's fields and values.
// One script: the records of one change are appended together.
const APPEND_SCRIPT = `
local per = tonumber(ARGV[4])
for k = 2, #KEYS do
  local fields = {}
  local base = 4 + (k - 2) * per * 2
  for i = 1, per * 2 do fields[i] = ARGV[base + i] end
  redis.call('XADD', KEYS[k], 'MAXLEN', '~', ARGV[2], '*', unpack(fields))
  redis.call('PEXPIRE', KEYS[k], ARGV[3])
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(fields))
end
return #KEYS - 1`

const positiveInteger = (name: string, value: number, max: number): number => {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new AuthError('CONFIGURATION_ERROR', {
      message: `RedisAuditStore: ${name} must be an integer from 1 to ${max}`,
    })
  }
  return value
}

/**
 * Audit records in Redis on an `ioredis` client you own. Not in the key store's transaction:
 * the service appends a change's records right after it (docs/audit-log.md). Retention is
 * bounded by `maxPerKey`, `maxTotal` and `retentionDays`. In a Redis Cluster one change's
 * records span slots: use a single node, or a namespace with a hash tag (`'{vydra}:'`).
 *
 * @example
 * ```ts
 * const auth = createApiKeyAuth({ store, auditStore: new RedisAuditStore(redis) })
 * ```
 */
export class RedisAuditStore implements AuditStore {
  readonly #client: Redis
  readonly #ns: string
  readonly #maxPerKey: number
  readonly #maxTotal: number
  readonly #retentionMs: number

  constructor(client: Redis, options: RedisAuditStoreOptions = {}) {
    if (client === null || typeof client !== 'object' || typeof client.eval !== 'function') {
      throw new AuthError('CONFIGURATION_ERROR', {
        message: 'RedisAuditStore: pass an ioredis client',
      })
    }
    const namespace = options.namespace ?? 'vydra:auth:'
    if (typeof namespace !== 'string' || namespace.length === 0 || namespace.length > 200) {
      throw new AuthError('CONFIGURATION_ERROR', {
        message: 'RedisAuditStore: namespace must be a non-empty string of at most 200 characters',
      })
    }
    this.#client = client
    this.#ns = namespace
    this.#maxPerKey = positiveInteger('maxPerKey', options.maxPerKey ?? 1_000, 100_000)
    this.#maxTotal = positiveInteger('maxTotal', options.maxTotal ?? 100_000, 100_000_000)
    this.#retentionMs =
      positiveInteger('retentionDays', options.retentionDays ?? 365, 36_600) * 86_400_000
  }

  /** The stream of every record (newest last), for export with `XREAD` or a consumer group. */
  get stream(): string {
    return `${this.#ns}audit`
  }

  /** The stream of one key's records. */
  keyStream(keyId: string): string {
    return `${this.#ns}audit:${keyId}`
  }

  /** Appends the records in one script run. */
  async appendAudit(records: readonly AuditRecord[]): Promise<void> {
    if (records.length === 0) return
    const keys = [this.stream, ...records.map((r) => this.keyStream(r.keyId))]
    const args: (string | number)[] = [
      this.#maxTotal,
      this.#maxPerKey,
      this.#retentionMs,
      AUDIT_COLUMNS.length,
    ]
    for (const record of records) {
      auditRowValues(record).forEach((value, i) => {
        // A null is an empty string: every record has every field, so the script's arity holds.
        args.push(AUDIT_COLUMNS[i] as string, value === null ? '' : String(value))
      })
    }
    await this.#client.eval(APPEND_SCRIPT, keys.length, ...keys, ...args)
  }

  /**
   * A key's records, newest first, before the cursor. The stream is read whole (at most about
   * `maxPerKey` entries) and sorted by record id: the order of appends from several instances
   * need not be the order of their ids.
   */
  async listAudit(query: AuditQuery): Promise<AuditRecord[]> {
    const entries = await this.#client.xrevrange(this.keyStream(query.keyId), '+', '-')
    const records: AuditRecord[] = []
    for (const [, fields] of entries) {
      const row: Record<string, string | null> = {}
      for (let i = 0; i + 1 < fields.length; i += 2) {
        const value = fields[i + 1] as string
        row[fields[i] as string] = value === '' ? null : value
      }
      const record = auditRecordOf(row as unknown as AuditRow)
      if (record.keyId === query.keyId && (query.before === null || record.id < query.before)) {
        records.push(record)
      }
    }
    records.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
    return records.slice(0, query.limit)
  }
}
