/**
 * An in-process {@link KeyStore} for tests, demos and single-instance services.
 * @module
 */
import { digestsEqual } from './hash.js'
import type { KeyStore } from './key-store.js'
import type { ApiKeyRecord } from './types.js'

/**
 * A {@link KeyStore} in memory. Everything is lost when the process ends; instances sharing one
 * `MemoryKeyStore` object get each other's revocations through `onRevoke`.
 *
 * @example
 * ```ts
 * const auth = createApiKeyAuth({ store: new MemoryKeyStore() })
 * ```
 */
export class MemoryKeyStore implements KeyStore {
  readonly #byHash = new Map<string, ApiKeyRecord>()
  readonly #hashById = new Map<string, string>()
  readonly #idsByUser = new Map<string, Set<string>>()
  readonly #listeners = new Set<(hash: string) => void>()

  /** Number of records held. */
  get size(): number {
    return this.#byHash.size
  }

  async insert(record: ApiKeyRecord): Promise<void> {
    if (this.#byHash.has(record.hash)) throw new Error('MemoryKeyStore: duplicate key hash')
    if (this.#hashById.has(record.id)) throw new Error('MemoryKeyStore: duplicate key id')
    this.#byHash.set(record.hash, copy(record))
    this.#hashById.set(record.id, record.hash)
    let ids = this.#idsByUser.get(record.userId)
    if (ids === undefined) this.#idsByUser.set(record.userId, (ids = new Set()))
    ids.add(record.id)
  }

  async findByHash(hash: string): Promise<ApiKeyRecord | null> {
    const record = this.#byHash.get(hash)
    return record === undefined ? null : copy(record)
  }

  async listByUser(userId: string): Promise<ApiKeyRecord[]> {
    const out: ApiKeyRecord[] = []
    for (const id of this.#idsByUser.get(userId) ?? []) {
      const record = this.#recordById(id)
      if (record !== undefined) out.push(copy(record))
    }
    return out
  }

  async revoke(
    keyId: string,
    userId: string,
    at: Date,
    reason?: string,
  ): Promise<ApiKeyRecord | null> {
    const record = this.#recordById(keyId)
    if (record === undefined || record.userId !== userId) return null
    if (record.revokedAt === null) {
      record.revokedAt = new Date(at.getTime())
      if (typeof reason === 'string') record.revokedReason = reason
      for (const listener of this.#listeners) {
        try {
          listener(record.hash)
        } catch {
          // A listener's failure must not undo or fail the revocation.
        }
      }
    }
    return copy(record)
  }

  async touch(keyId: string, at: Date): Promise<void> {
    const record = this.#recordById(keyId)
    if (record === undefined) return
    if (record.lastUsedAt === null || record.lastUsedAt.getTime() < at.getTime()) {
      record.lastUsedAt = new Date(at.getTime())
    }
  }

  /** The record stored under the first of `hashes` that exists; `null` when none. */
  async findByHashes(hashes: readonly string[]): Promise<ApiKeyRecord | null> {
    for (const hash of hashes) {
      const record = this.#byHash.get(hash)
      if (record !== undefined) return copy(record)
    }
    return null
  }

  /** Moves `keyId` from digest `from` to `to` if it is still `from` and `to` is free. */
  async rehash(keyId: string, from: string, to: string): Promise<boolean> {
    const record = this.#recordById(keyId)
    if (record === undefined || !digestsEqual(record.hash, from) || this.#byHash.has(to)) {
      return false
    }
    this.#byHash.delete(from)
    record.hash = to
    this.#byHash.set(to, record)
    this.#hashById.set(keyId, to)
    return true
  }

  /** Records not revoked per digest version (pepper id before `$`, `''` for none). */
  async countDigestVersions(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {}
    for (const record of this.#byHash.values()) {
      if (record.revokedAt !== null) continue
      const version = digestVersion(record.hash)
      counts[version] = (counts[version] ?? 0) + 1
    }
    return counts
  }

  onRevoke(listener: (hash: string) => void): () => void {
    this.#listeners.add(listener)
    return () => {
      this.#listeners.delete(listener)
    }
  }

  #recordById(id: string): ApiKeyRecord | undefined {
    const hash = this.#hashById.get(id)
    return hash === undefined ? undefined : this.#byHash.get(hash)
  }
}

/**
 * The version of a stored digest: the pepper id before `$`, or `''` for an unversioned one.
 * @internal
 */
export function digestVersion(hash: string): string {
  const separator = hash.indexOf('$')
  return separator < 0 ? '' : hash.slice(0, separator)
}

// Callers get copies, so mutating a returned record never changes what is stored.
function copy(record: ApiKeyRecord): ApiKeyRecord {
  return {
    ...record,
    scopes: [...record.scopes],
    createdAt: new Date(record.createdAt.getTime()),
    expiresAt: record.expiresAt === null ? null : new Date(record.expiresAt.getTime()),
    lastUsedAt: record.lastUsedAt === null ? null : new Date(record.lastUsedAt.getTime()),
    revokedAt: record.revokedAt === null ? null : new Date(record.revokedAt.getTime()),
  }
}
