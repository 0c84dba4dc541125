/**
 * The storage port. Implement it to keep keys anywhere; run `@vydra/auth/testing` to check it.
 * @module
 */
import type { ApiKeyRecord } from './types.js'

/**
 * Where keys live. Required methods return `null` or `[]` for absence and throw only for
 * infrastructure failures, which the core turns into 503 `AUTH_UNAVAILABLE`.
 */
export interface KeyStore {
  /** Stores a new record. Rejects when the id or the hash already exists. */
  insert(record: ApiKeyRecord): Promise<void>
  /** The record with this digest, revoked and expired ones included; `null` when none. */
  findByHash(hash: string): Promise<ApiKeyRecord | null>
  /** Every record of one user, revoked and expired ones included; `[]` when none. */
  listByUser(userId: string): Promise<ApiKeyRecord[]>
  /**
   * Atomically revokes `keyId` if `userId` owns it (ownership checked in the same operation) and
   * returns the record. Revoking twice keeps the first `revokedAt`. `null` when there is no such
   * key or another user owns it. `reason` (since 0.2, e.g. `'leaked'`) is optional: a store that
   * keeps reasons stores it with the first revocation (`revokedReason`); older stores ignore it.
   */
  revoke(keyId: string, userId: string, at: Date, reason?: string): Promise<ApiKeyRecord | null>
  /**
   * Optional: sets `lastUsedAt = at` unless it is already `at` or later. The core calls it at
   * most once per key per `touchIntervalMs`, off the request path. Unknown ids are ignored.
   */
  touch?(keyId: string, at: Date): Promise<void>
  /**
   * Optional: calls `listener` with the hash of every key revoked anywhere (any instance sharing
   * this store), so caches can evict at once. Returns an unsubscribe function.
   */
  onRevoke?(listener: (hash: string) => void): () => void
  /**
   * Optional (0.2, pepper rotation): the record whose digest is one of `hashes` (at most one can
   * exist), in one round trip; `null` when none. Without it the core calls `findByHash` for each,
   * in order, until one answers.
   */
  findByHashes?(hashes: readonly string[]): Promise<ApiKeyRecord | null>
  /**
   * Optional (0.2, pepper rotation): atomically replaces the digest of `keyId` by `to` if it is
   * still `from` (compare-and-set); `true` when it replaced it. The revocation state and every
   * other field stay as they are. Without it, keys keep their old digest until revoked.
   */
  rehash?(keyId: string, from: string, to: string): Promise<boolean>
  /**
   * Optional (0.2, pepper rotation): how many records that are not revoked carry each digest
   * version: the pepper id before `$`, or `''` for an unversioned digest.
   */
  countDigestVersions?(): Promise<Record<string, number>>
}
