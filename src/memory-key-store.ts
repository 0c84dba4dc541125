/**
 * An in-process {@link KeyStore} for tests, demos and single-instance services.
 * @module
 */
import { digestsEqual } from './hash.js'
import type {
  KeyCap,
  KeyPageQuery,
  KeyRollRequest,
  KeyRollResult,
  KeyStore,
  KeyUpdateExpectation,
  KeyUpdatePatch,
  KeyUpdateResult,
} from './key-store.js'
import {
  countsTowardCap,
  expectationHolds,
  firstUseGraceEnd,
  graceRunning,
  pageOf,
  retireRolled,
  rolledRecord,
  rollRefusal,
} from './store-rules.js'
import type { ApiKeyRecord } from './types.js'

type Listener = (hash: string) => void

/**
 * A {@link KeyStore} in memory, with every optional method of the port. Everything is lost when
 * the process ends; instances sharing one `MemoryKeyStore` object get each other's revocations
 * and other invalidations through `onRevoke` / `onInvalidate`. Each method runs in one
 * synchronous step, so each is atomic.
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
  readonly #revokeListeners = new Set<Listener>()
  readonly #invalidateListeners = new Set<Listener>()

  /** Number of records held. */
  get size(): number {
    return this.#byHash.size
  }

  /** Copies of every record (for `MemoryExpiryStore` and tests). */
  snapshot(): ApiKeyRecord[] {
    return [...this.#byHash.values()].map(copy)
  }

  async insert(record: ApiKeyRecord): Promise<void> {
    this.#add(record)
  }

  async insertCapped(record: ApiKeyRecord, cap: KeyCap): Promise<boolean> {
    const at = cap.at.getTime()
    let count = 0
    for (const id of this.#idsByUser.get(record.userId) ?? []) {
      const held = this.#recordById(id)
      if (held !== undefined && countsTowardCap(held, cap.keyPrefix, at)) count++
    }
    if (count >= cap.max) return false
    this.#add(record)
    return true
  }

  async findByHash(hash: string): Promise<ApiKeyRecord | null> {
    const record = this.#byHash.get(hash)
    return record === undefined ? null : copy(record)
  }

  async listByUser(userId: string): Promise<ApiKeyRecord[]> {
    return this.#ownRecords(userId).map(copy)
  }

  async listPage(userId: string, query: KeyPageQuery): Promise<ApiKeyRecord[]> {
    return pageOf(this.#ownRecords(userId), query).map(copy)
  }

  async revoke(
    keyId: string,
    userId: string,
    at: Date,
    reason?: string,
  ): Promise<ApiKeyRecord | null> {
    const record = this.#owned(keyId, userId)
    if (record === undefined) return null
    if (record.revokedAt === null) {
      record.revokedAt = new Date(at.getTime())
      record.revokedReason = typeof reason === 'string' ? reason : null
      this.#emit(this.#revokeListeners, record.hash)
      this.#emit(this.#invalidateListeners, record.hash)
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

  async roll(request: KeyRollRequest): Promise<KeyRollResult | null> {
    const old = this.#owned(request.keyId, request.userId)
    if (old === undefined) return null
    const at = request.at.getTime()
    const refusal = rollRefusal(old, at)
    if (refusal !== null) return { ok: false, reason: refusal, current: copy(old) }
    const next = rolledRecord(old, request)
    this.#add(next) // throws on a duplicate id or hash before anything changed
    retireRolled(old, request)
    const predecessor =
      old.rolledFrom == null ? undefined : this.#owned(old.rolledFrom, request.userId)
    let ended: ApiKeyRecord | null = null
    if (predecessor !== undefined && graceRunning(predecessor, at)) {
      predecessor.graceEndsAt = new Date(at)
      old.firstUseGraceMs = null
      ended = copy(predecessor)
    }
    this.#emit(this.#invalidateListeners, old.hash)
    if (ended !== null) this.#emit(this.#invalidateListeners, ended.hash)
    if (old.revokedAt !== null) this.#emit(this.#revokeListeners, old.hash)
    return { ok: true, previous: copy(old), next: copy(next), ended }
  }

  async startRollGrace(keyId: string, at: Date): Promise<ApiKeyRecord | null> {
    const next = this.#recordById(keyId)
    if (next?.rolledFrom == null) return null
    const old = this.#owned(next.rolledFrom, next.userId)
    if (old === undefined) return null
    const graceMs = next.firstUseGraceMs
    if (graceMs != null) {
      next.firstUseGraceMs = null
      if (old.graceEndsAt == null && old.revokedAt === null) {
        old.graceEndsAt = firstUseGraceEnd(old, graceMs, at.getTime())
        this.#emit(this.#invalidateListeners, old.hash)
      }
    }
    return copy(old)
  }

  async setDisabled(keyId: string, userId: string, at: Date | null): Promise<ApiKeyRecord | null> {
    const record = this.#owned(keyId, userId)
    if (record === undefined) return null
    if (record.revokedAt !== null) return copy(record)
    if (at === null) {
      if (record.disabledAt == null) return copy(record)
      record.disabledAt = null
    } else {
      if (record.disabledAt != null) return copy(record)
      record.disabledAt = new Date(at.getTime())
    }
    this.#emit(this.#invalidateListeners, record.hash)
    return copy(record)
  }

  async update(
    keyId: string,
    userId: string,
    patch: KeyUpdatePatch,
    expected: KeyUpdateExpectation,
  ): Promise<KeyUpdateResult | null> {
    const record = this.#owned(keyId, userId)
    if (record === undefined) return null
    if (record.revokedAt !== null || !expectationHolds(record, expected)) {
      return { ok: false, reason: 'conflict', current: copy(record) }
    }
    if (patch.name !== undefined) record.name = patch.name
    if (patch.metadata !== undefined) record.metadata = structuredClone(patch.metadata)
    if (patch.scopes !== undefined) record.scopes = [...patch.scopes]
    if (patch.expiresAt !== undefined) {
      record.expiresAt = patch.expiresAt === null ? null : new Date(patch.expiresAt.getTime())
    }
    if (patch.limits === null) delete record.limits
    else if (patch.limits !== undefined) record.limits = structuredClone(patch.limits)
    this.#emit(this.#invalidateListeners, record.hash)
    return { ok: true, record: copy(record) }
  }

  onRevoke(listener: (hash: string) => void): () => void {
    this.#revokeListeners.add(listener)
    return () => {
      this.#revokeListeners.delete(listener)
    }
  }

  onInvalidate(listener: (hash: string) => void): () => void {
    this.#invalidateListeners.add(listener)
    return () => {
      this.#invalidateListeners.delete(listener)
    }
  }

  #add(record: ApiKeyRecord): void {
    if (this.#byHash.has(record.hash)) throw new Error('MemoryKeyStore: duplicate key hash')
    if (this.#hashById.has(record.id)) throw new Error('MemoryKeyStore: duplicate key id')
    // The indexes use the stored copy's strings, not the caller's: holding both kept every id,
    // digest and user id twice.
    const stored = copy(record)
    this.#byHash.set(stored.hash, stored)
    this.#hashById.set(stored.id, stored.hash)
    let ids = this.#idsByUser.get(stored.userId)
    if (ids === undefined) this.#idsByUser.set(stored.userId, (ids = new Set()))
    ids.add(stored.id)
  }

  #emit(listeners: Set<Listener>, hash: string): void {
    for (const listener of listeners) {
      try {
        listener(hash)
      } catch {
        // A listener's failure must not undo or fail the write.
      }
    }
  }

  #ownRecords(userId: string): ApiKeyRecord[] {
    const out: ApiKeyRecord[] = []
    for (const id of this.#idsByUser.get(userId) ?? []) {
      const record = this.#recordById(id)
      if (record !== undefined) out.push(record)
    }
    return out
  }

  #owned(keyId: string, userId: string): ApiKeyRecord | undefined {
    const record = this.#recordById(keyId)
    return record === undefined || record.userId !== userId ? undefined : record
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

// Callers get copies (every field, unknown ones included), so mutating a returned record never
// changes what is stored.
function copy(record: ApiKeyRecord): ApiKeyRecord {
  return structuredClone(record)
}
