/**
 * A {@link UsageStore} on Redis through `ioredis`: one hash per key and UTC day, a field per
 * minute and outcome, added to with `HINCRBY`, once per batch id (a Lua script).
 * @module
 */
import type { Redis } from 'ioredis'
import { AuthError, type UsageBatch, type UsageRow, type UsageStore } from '../../../src/index.js'

/** Options of {@link RedisUsageStore}. */
export interface RedisUsageStoreOptions {
  /** Prefix of every key the store writes. @defaultValue `'vydra:auth:'` */
  namespace?: string
  /**
   * Days a key's daily hash is kept after its last write (Redis `EXPIRE`); older counts are
   * gone. @defaultValue `90`
   */
  retentionDays?: number
}

const DAY_MS = 86_400_000
/** Applied batch ids are kept this long: a retry comes within a few flushes. */
const BATCH_ID_TTL_S = 2 * 86_400
/** Rows per script run: each chunk is claimed on its own (`<batch id>:<chunk>`), so still once. */
const CHUNK = 500

// KEYS[1] the batch marker, KEYS[2..] one daily hash per row; ARGV[1] the marker's TTL, ARGV[2]
// the hashes' TTL, then a field and a count per row. Nothing is written unless the marker was
// absent: a retried chunk is a no-op.
const ADD_SCRIPT = `
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
for k = 2, #KEYS do
  redis.call('HINCRBY', KEYS[k], ARGV[2 * k - 1], ARGV[2 * k])
  redis.call('EXPIRE', KEYS[k], ARGV[2])
end
return 1`

/**
 * Usage counts in Redis on an `ioredis` client you own. Retention is bounded: each key's daily
 * hash expires `retentionDays` after its last write. In a Redis Cluster, a batch's keys span
 * slots: use a single node (or a namespace with a hash tag such as `'{vydra}:'`).
 *
 * @example
 * ```ts
 * const auth = createApiKeyAuth({ store, usageStore: new RedisUsageStore(redis) })
 * ```
 */
export class RedisUsageStore implements UsageStore {
  readonly #client: Redis
  readonly #ns: string
  readonly #retentionS: number

  constructor(client: Redis, options: RedisUsageStoreOptions = {}) {
    if (client === null || typeof client !== 'object' || typeof client.eval !== 'function') {
      throw new AuthError('CONFIGURATION_ERROR', {
        message: 'RedisUsageStore: pass an ioredis client',
      })
    }
    const namespace = options.namespace ?? 'vydra:auth:'
    if (typeof namespace !== 'string' || namespace.length === 0 || namespace.length > 200) {
      throw new AuthError('CONFIGURATION_ERROR', {
        message: 'RedisUsageStore: namespace must be a non-empty string of at most 200 characters',
      })
    }
    const days = options.retentionDays ?? 90
    if (!Number.isInteger(days) || days < 1 || days > 3660) {
      throw new AuthError('CONFIGURATION_ERROR', {
        message: 'RedisUsageStore: retentionDays must be an integer from 1 to 3660',
      })
    }
    this.#client = client
    this.#ns = namespace
    this.#retentionS = days * 86_400
  }

  #day(keyId: string, dayMs: number): string {
    return `${this.#ns}usage:${keyId}:${new Date(dayMs).toISOString().slice(0, 10)}`
  }

  /** Adds the batch, chunk by chunk, each chunk once per batch id. */
  async addUsage(batch: UsageBatch): Promise<void> {
    for (let start = 0, chunk = 0; start < batch.rows.length; start += CHUNK, chunk++) {
      const rows = batch.rows.slice(start, start + CHUNK)
      const keys = [`${this.#ns}usage-batch:${batch.id}:${chunk}`]
      const args: (string | number)[] = [BATCH_ID_TTL_S, this.#retentionS]
      for (const row of rows) {
        const minute = row.minute.getTime()
        keys.push(this.#day(row.keyId, minute - (minute % DAY_MS)))
        args.push(`${minute}:${row.outcome}`, row.count)
      }
      await this.#client.eval(ADD_SCRIPT, keys.length, ...keys, ...args)
    }
  }

  /** The totals of one key in `[from, to)`. */
  async readUsage(keyId: string, from: Date, to: Date): Promise<UsageRow[]> {
    const first = from.getTime() - (from.getTime() % DAY_MS)
    const pipeline = this.#client.pipeline()
    for (let day = first; day < to.getTime(); day += DAY_MS) {
      pipeline.hgetall(this.#day(keyId, day))
    }
    const results = (await pipeline.exec()) ?? []
    const rows: UsageRow[] = []
    for (const [error, hash] of results) {
      if (error !== null) throw error
      for (const [field, count] of Object.entries(hash as Record<string, string>)) {
        const split = field.indexOf(':')
        const minute = Number(field.slice(0, split))
        if (minute >= from.getTime() && minute < to.getTime()) {
          rows.push({
            keyId,
            minute: new Date(minute),
            outcome: field.slice(split + 1),
            count: Number(count),
          })
        }
      }
    }
    return rows
  }
}
