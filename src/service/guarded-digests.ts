/**
 * The store methods of pepper rotation, guarded like the others (deadlines, 503 on failure,
 * record integrity): find a key under any of its digests, re-key a record, count digest
 * versions. Internal: not exported.
 * @module
 */
import { AuthError } from '../errors.js'
import { digestsEqual } from '../hash.js'
import type { KeyStore } from '../key-store.js'
import { findCorruptField } from '../lib/check-record.js'
import { describeError } from '../lib/describe-error.js'
import { withTimeout } from '../lib/with-timeout.js'
import type { AuthLogger } from '../options/types.js'
import type { ApiKeyRecord } from '../types.js'

/** The rotation half of the guarded store. */
export interface GuardedDigests {
  /** The record stored under one of `digests` (checked: `null` when another user's), or `null`. */
  findAny(digests: readonly string[], embeddedUserId: string): Promise<ApiKeyRecord | null>
  /** Re-keys in the background: a failure is only logged (the key keeps working either way). */
  rehash(keyId: string, from: string, to: string): void
  /** Counts per digest version, or `null` when the store cannot count. */
  countDigestVersions(): Promise<Record<string, number> | null>
}

/** What {@link guardDigests} shares with the guarded store. */
export interface GuardedDigestsDeps {
  /** A store call under the deadline, failures as 503. */
  call: <T>(operation: string, fn: () => Promise<T>) => Promise<T>
  /** Logs and builds the 503 of a corrupt answer. */
  corrupt: (message: string, context: Record<string, unknown>) => AuthError
  /** The single-digest lookup of the guarded store. */
  find: (digest: string, embeddedUserId: string) => Promise<ApiKeyRecord | null>
  timeoutMs: number
  logger: AuthLogger
  /** Checks beyond the record's fields (its limits): the name of what is unsound, if anything. */
  unsound?: (record: ApiKeyRecord) => string | undefined
}

/** Adds the rotation methods over `store`. */
export function guardDigests(store: KeyStore, deps: GuardedDigestsDeps): GuardedDigests {
  const { call, corrupt, logger } = deps
  const many = typeof store.findByHashes === 'function' ? store.findByHashes.bind(store) : undefined
  const rehash = typeof store.rehash === 'function' ? store.rehash.bind(store) : undefined
  const count =
    typeof store.countDigestVersions === 'function'
      ? store.countDigestVersions.bind(store)
      : undefined

  const findAny = async (
    digests: readonly string[],
    embeddedUserId: string,
  ): Promise<ApiKeyRecord | null> => {
    if (digests.length === 1 || many === undefined) {
      for (const digest of digests) {
        const record = await deps.find(digest, embeddedUserId)
        if (record !== null) return record
      }
      return null
    }
    const record: unknown = await call('findByHashes', () => many(digests))
    if (record === null) return null
    const sound = record as ApiKeyRecord
    const field = findCorruptField(record) ?? deps.unsound?.(sound)
    if (field !== undefined || !digests.some((digest) => digestsEqual(sound.hash, digest))) {
      throw corrupt('store returned a corrupt record', {
        field: field ?? 'hash',
        keyId: typeof sound?.id === 'string' ? sound.id : undefined,
      })
    }
    if (embeddedUserId !== sound.userId) {
      logger.error('stored owner differs from the key', { keyId: sound.id })
      return null
    }
    return sound
  }

  return {
    findAny,
    rehash: (keyId, from, to) => {
      if (rehash === undefined) return
      withTimeout(
        () => rehash(keyId, from, to),
        deps.timeoutMs * 5,
        () => new Error('timed out'),
        {
          background: true,
        },
      ).catch((error: unknown) =>
        logger.warn('re-keying to the current pepper failed', {
          keyId,
          error: describeError(error),
        }),
      )
    },
    countDigestVersions: async () => {
      if (count === undefined) return null
      const counts: unknown = await call('countDigestVersions', () => count())
      if (
        typeof counts !== 'object' ||
        counts === null ||
        !Object.values(counts).every((n) => Number.isInteger(n) && (n as number) >= 0)
      ) {
        throw new AuthError('AUTH_UNAVAILABLE', { reason: 'corrupt_record' })
      }
      return { ...(counts as Record<string, number>) }
    },
  }
}
