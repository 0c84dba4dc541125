/**
 * An {@link ExpiryStore} on Redis through `ioredis`: reads the records of a `RedisKeyStore`
 * (same namespace), and claims each (key, notice) with `SET NX`.
 * @module
 */
import type { Redis } from 'ioredis'
import { AuthError, type ExpiringKey, type ExpiryStore } from '../../../src/index.js'

/** Options of {@link RedisExpiryStore}. */
export interface RedisExpiryStoreOptions {
  /** The `RedisKeyStore`'s namespace. @defaultValue `'vydra:auth:'` */
  namespace?: string
}

/** Claims outlive any warning window (366 days) plus the key's expiry. */
const CLAIM_TTL_S = 400 * 86_400
const SCAN_COUNT = 1000

/**
 * Expiry claims in Redis beside the keys. A claim is `SET <ns>notice:<keyId>:<notice> 1 NX`:
 * exactly one of any number of instances sets it. Listing scans the namespace's key records
 * (`SCAN`, 1,000 at a time): its cost grows with the number of keys, so call `notifyExpiring`
 * every few minutes, not per request.
 *
 * @example
 * ```ts
 * const auth = createApiKeyAuth({ store, expiryStore: new RedisExpiryStore(redis) })
 * ```
 */
export class RedisExpiryStore implements ExpiryStore {
  readonly #client: Redis
  readonly #ns: string

  constructor(client: Redis, options: RedisExpiryStoreOptions = {}) {
    if (client === null || typeof client !== 'object' || typeof client.scan !== 'function') {
      throw new AuthError('CONFIGURATION_ERROR', {
        message: 'RedisExpiryStore: pass an ioredis client',
      })
    }
    const namespace = options.namespace ?? 'vydra:auth:'
    if (typeof namespace !== 'string' || namespace.length === 0 || namespace.length > 200) {
      throw new AuthError('CONFIGURATION_ERROR', {
        message: 'RedisExpiryStore: namespace must be a non-empty string of at most 200 characters',
      })
    }
    this.#client = client
    this.#ns = namespace
  }

  /** Keys not revoked with `from < expiresAt <= to`, soonest first. */
  async listExpiring(from: Date, to: Date, limit: number): Promise<ExpiringKey[]> {
    const found: ExpiringKey[] = []
    // A glob: escape its special characters in the namespace.
    const match = `${this.#ns.replace(/[*?[\]\\]/g, '\\$&')}key:*`
    let cursor = '0'
    do {
      const [next, keys] = await this.#client.scan(cursor, 'MATCH', match, 'COUNT', SCAN_COUNT)
      cursor = next
      if (keys.length === 0) continue
      const pipeline = this.#client.pipeline()
      for (const key of keys) {
        pipeline.hmget(key, 'id', 'userId', 'keyPrefix', 'expiresAt', 'revokedAt')
      }
      for (const [error, fields] of (await pipeline.exec()) ?? []) {
        if (error !== null) throw error
        const [id, userId, keyPrefix, expiresAt, revokedAt] = fields as (string | null)[]
        const expires = Number(expiresAt)
        if (
          typeof id === 'string' &&
          typeof userId === 'string' &&
          typeof keyPrefix === 'string' &&
          (revokedAt === null || revokedAt === '') &&
          expiresAt !== null &&
          expiresAt !== '' &&
          expires > from.getTime() &&
          expires <= to.getTime()
        ) {
          found.push({ id, userId, keyPrefix, expiresAt: new Date(expires) })
        }
      }
    } while (cursor !== '0')
    found.sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime() || (a.id < b.id ? -1 : 1))
    return found.slice(0, limit)
  }

  /** `true` for the one caller whose `SET NX` created the claim. */
  async claimNotice(keyId: string, notice: string): Promise<boolean> {
    const set = await this.#client.set(
      `${this.#ns}notice:${keyId}:${notice}`,
      '1',
      'EX',
      CLAIM_TTL_S,
      'NX',
    )
    return set === 'OK'
  }
}
