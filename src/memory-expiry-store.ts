/**
 * An {@link ExpiryStore} over a {@link MemoryKeyStore}, for tests and single-process services.
 * @module
 */
import type { ExpiringKey, ExpiryStore } from './expiry-store.js'
import type { MemoryKeyStore } from './memory-key-store.js'

/**
 * Expiry claims in a `Set`, keys read from the `MemoryKeyStore` they are about.
 *
 * @example
 * ```ts
 * const store = new MemoryKeyStore()
 * const auth = createApiKeyAuth({ store, expiryStore: new MemoryExpiryStore(store) })
 * ```
 */
export class MemoryExpiryStore implements ExpiryStore {
  readonly #keys: MemoryKeyStore
  readonly #claims = new Set<string>()

  constructor(keys: MemoryKeyStore) {
    this.#keys = keys
  }

  /** Keys not revoked with `from < expiresAt <= to`, soonest first. */
  listExpiring(from: Date, to: Date, limit: number): Promise<ExpiringKey[]> {
    const found = this.#keys
      .snapshot()
      .filter(
        (r) =>
          r.revokedAt === null && r.expiresAt !== null && r.expiresAt > from && r.expiresAt <= to,
      )
      .sort((a, b) => (a.expiresAt as Date).getTime() - (b.expiresAt as Date).getTime())
      .slice(0, limit)
      .map((r) => ({
        id: r.id,
        userId: r.userId,
        keyPrefix: r.keyPrefix,
        expiresAt: r.expiresAt as Date,
      }))
    return Promise.resolve(found)
  }

  /** `true` the first time a (key, notice) is claimed. */
  claimNotice(keyId: string, notice: string): Promise<boolean> {
    const id = `${keyId}\0${notice}`
    if (this.#claims.has(id)) return Promise.resolve(false)
    this.#claims.add(id)
    return Promise.resolve(true)
  }
}
