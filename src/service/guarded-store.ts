/**
 * Everything about not trusting the store: deadlines, error mapping, record integrity, owner and
 * environment checks, and the revocation subscription. Internal: not exported from the package.
 * @module
 */
import { AuthError, isAuthError } from '../errors.js'
import { digestsEqual } from '../hash.js'
import type { AuditWrite } from '../audit-store.js'
import type { KeyStore } from '../key-store.js'
import { findCorruptField } from '../lib/check-record.js'
import { describeError } from '../lib/describe-error.js'
import { withTimeout } from '../lib/with-timeout.js'
import { keyLimitsSchema } from '../limits/schema.js'
import type { AuthLogger } from '../options/types.js'
import type { AuthTelemetry } from '../telemetry.js'
import type { ApiKeyRecord } from '../types.js'
import { guardDigests, type GuardedDigests } from './guarded-digests.js'
import { guardLifecycle, type GuardedLifecycle } from './guarded-lifecycle.js'

/** The store as the service uses it: every answer sound, every failure `AUTH_UNAVAILABLE`. */
export interface GuardedStore extends GuardedLifecycle, GuardedDigests {
  /**
   * The record of `digest`, checked: `null` when there is none or when it belongs to someone
   * other than `embeddedUserId` (the user id the presented key names).
   */
  find(digest: string, embeddedUserId: string): Promise<ApiKeyRecord | null>
  /** The user's records of this instance's prefix and environment. */
  list(userId: string): Promise<ApiKeyRecord[]>
  /** `audit`: records the store writes in the insert's transaction (docs/audit-log.md). */
  insert(record: ApiKeyRecord, audit?: AuditWrite): Promise<void>
  /** The revoked record, or `null` when the store has no such key of that user. */
  revoke(
    keyId: string,
    userId: string,
    at: Date,
    reason?: string,
    audit?: AuditWrite,
  ): Promise<ApiKeyRecord | null>
  /** Whether the store records `lastUsedAt` at all. */
  readonly touches: boolean
  /** Asks for a `lastUsedAt` write and returns at once: a slow or failing write is only logged. */
  touch(keyId: string, at: Date): void
  /** Whether the store's revocation listener is up; `undefined` when the store does not say. */
  listenerConnected(): boolean | undefined
  /** Stops listening to the store's revocations. */
  close(): void
}

/** What {@link guardStore} needs. */
export interface GuardedStoreOptions {
  /** `<prefix>_<environment>_user_`: records whose `keyPrefix` starts otherwise are not ours. */
  keyHead: string
  timeoutMs: number
  logger: AuthLogger
  /** Told the duration and outcome of every call, when the `telemetry` option is given. */
  telemetry?: AuthTelemetry
  /**
   * Called with the digest of every key the store says was revoked or otherwise changed (by
   * any instance): `onInvalidate` when the store has it, else `onRevoke`.
   */
  onRevoke: (digest: string) => void
}

/**
 * Wraps `store`. Subscribes to its revocations at once; a store whose `onRevoke` throws is a
 * `CONFIGURATION_ERROR` here, at construction.
 */
export function guardStore(store: KeyStore, options: GuardedStoreOptions): GuardedStore {
  const { keyHead, timeoutMs, logger } = options

  const call = createCall(options)

  const corrupt = (message: string, context: Record<string, unknown>): AuthError => {
    logger.error(message, context)
    return new AuthError('AUTH_UNAVAILABLE', { reason: 'corrupt_record' })
  }

  checkPush(store)
  const unsubscribe = subscribe(store, options.onRevoke)

  const storeTouch = store.touch?.bind(store)

  const find = guardFind(store, call, corrupt, logger)

  return {
    find,
    ...guardDigests(store, {
      call,
      corrupt,
      find,
      timeoutMs,
      logger,
      unsound: (record) => (soundLimits(record.limits) ? undefined : 'limits'),
    }),

    // A store answering anything but an array of that user's sound records is broken: fail
    // closed. Only the records of this instance's prefix and environment are returned: a `test`
    // instance sharing the store with a `live` one must neither see nor touch live keys. A
    // record's `keyPrefix` is the start of its key (`vydra_live_user_…`), so it has always
    // carried both: records of any earlier version partition correctly without a migration.
    list: async (userId) => {
      const records: unknown = await call('listByUser', () => store.listByUser(userId))
      if (
        !Array.isArray(records) ||
        records.some((r) => findCorruptField(r) !== undefined || r.userId !== userId)
      ) {
        throw corrupt('store returned a corrupt record list', { userId })
      }
      return (records as ApiKeyRecord[]).filter((record) => record.keyPrefix.startsWith(keyHead))
    },

    // The audit argument only when there is one: a 0.1 store is called as in 0.1.
    insert: (record, audit) =>
      call('insert', () =>
        audit === undefined ? store.insert(record) : store.insert(record, audit),
      ),

    ...guardLifecycle(store, { call, corrupt, invalidate: options.onRevoke, logger }),

    revoke: async (keyId, userId, at, reason, audit) => {
      // Without a reason the store is called as in 0.1: three arguments.
      const record: unknown = await call('revoke', () =>
        audit !== undefined
          ? store.revoke(keyId, userId, at, reason, audit)
          : reason === undefined
            ? store.revoke(keyId, userId, at)
            : store.revoke(keyId, userId, at, reason),
      )
      if (record === null) return null
      // `?.`: a store may answer undefined; the corrupt-record check below then fails closed.
      const revoked = record as ApiKeyRecord | undefined
      if (typeof revoked?.hash === 'string') options.onRevoke(revoked.hash)
      if (findCorruptField(record) !== undefined || revoked?.revokedAt === null) {
        throw corrupt('store returned a corrupt record from revoke', { keyId })
      }
      return record as ApiKeyRecord
    },

    touches: storeTouch !== undefined,
    touch: (keyId, at) => {
      if (storeTouch === undefined) return
      // Fire and forget: nobody waits, so the deadline timer must not keep a process alive.
      withTimeout(
        () => storeTouch(keyId, at),
        timeoutMs * 5,
        () => new Error('touch timed out'),
        { background: true },
      ).catch((error: unknown) =>
        logger.warn('lastUsedAt update failed', { keyId, error: describeError(error) }),
      )
    },

    listenerConnected: () => listenerState(store),

    close: () => {
      if (typeof unsubscribe === 'function') unsubscribe()
    },
  }
}

// A store's own word on its listener, for a gauge: anything but a boolean (or a throw) is no word.
function listenerState(store: KeyStore): boolean | undefined {
  try {
    const connected: unknown = store.listenerConnected?.()
    return typeof connected === 'boolean' ? connected : undefined
  } catch {
    return undefined
  }
}

// Every store call: a deadline, failures mapped to 503 (logged), and with telemetry its timing.
function createCall(
  options: GuardedStoreOptions,
): <T>(operation: string, fn: () => Promise<T>) => Promise<T> {
  const { timeoutMs, logger } = options
  const guarded = <T>(operation: string, fn: () => Promise<T>): Promise<T> =>
    withTimeout(fn, timeoutMs, () => {
      logger.error(`store ${operation} timed out`, { timeoutMs })
      return new AuthError('AUTH_UNAVAILABLE', { reason: 'store_timeout' })
    }).catch((cause: unknown) => {
      if (isAuthError(cause) && cause.code === 'AUTH_UNAVAILABLE') throw cause
      logger.error(`store ${operation} failed`, { error: describeError(cause) })
      throw new AuthError('AUTH_UNAVAILABLE', { cause, reason: 'store_error' })
    })
  const telemetry = options.telemetry
  const call =
    telemetry === undefined
      ? guarded
      : <T>(operation: string, fn: () => Promise<T>): Promise<T> =>
          timed(telemetry, operation, () => guarded(operation, fn))
  return call
}

// Reports a call's duration, from before it starts until it settles, and its outcome.
function timed<T>(telemetry: AuthTelemetry, operation: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now()
  return run().then(
    (value) => {
      telemetry.storeCall(operation, performance.now() - started, 'OK')
      return value
    },
    (error: unknown) => {
      const code = isAuthError(error) ? error.code : 'AUTH_UNAVAILABLE'
      telemetry.storeCall(operation, performance.now() - started, code)
      throw error
    },
  )
}

// Limits that do not pass the schema would limit nothing or everything: fail closed instead.
const soundLimits = (limits: unknown): boolean =>
  limits === undefined || limits === null || keyLimitsSchema.safeParse(limits).success

// Subscribes to the store's invalidations (`onInvalidate`, which covers revocations), or to its
// revocations (`onRevoke`) on a 0.1 store; a store whose subscription throws cannot be used.
function subscribe(store: KeyStore, onRevoke: (digest: string) => void): unknown {
  const method = typeof store.onInvalidate === 'function' ? 'onInvalidate' : 'onRevoke'
  try {
    const listener = (digest: string): void => {
      if (typeof digest === 'string') onRevoke(digest)
    }
    return method === 'onInvalidate' ? store.onInvalidate?.(listener) : store.onRevoke?.(listener)
  } catch (cause) {
    throw new AuthError('CONFIGURATION_ERROR', {
      message: `The store failed to subscribe to revocations (${method})`,
      cause,
    })
  }
}

// A store that pushes revocations to a fleet but would not push a disable, a narrowing or a
// roll's grace end: another instance would keep accepting what this one refuses.
function checkPush(store: KeyStore): void {
  if (typeof store.onRevoke !== 'function' || typeof store.onInvalidate === 'function') return
  const writes = (['roll', 'startRollGrace', 'setDisabled', 'update'] as const).filter(
    (method) => typeof store[method] === 'function',
  )
  if (writes.length > 0) {
    throw new AuthError('CONFIGURATION_ERROR', {
      message: `The store implements ${writes.join(', ')} and pushes revocations (onRevoke) but not invalidations: implement onInvalidate`,
    })
  }
}

// `findByHash`, checked: a record that is corrupt or of another digest fails closed; one of
// another owner than the key names is `null`.
function guardFind(
  store: KeyStore,
  call: <T>(operation: string, fn: () => Promise<T>) => Promise<T>,
  corrupt: (message: string, context: Record<string, unknown>) => AuthError,
  logger: AuthLogger,
): (digest: string, embeddedUserId: string) => Promise<ApiKeyRecord | null> {
  return async (digest, embeddedUserId) => {
    const record: unknown = await call('findByHash', () => store.findByHash(digest))
    if (record === null) return null
    const field = findCorruptField(record)
    const sound = record as ApiKeyRecord
    const badLimits = field === undefined && !soundLimits(sound.limits)
    if (field !== undefined || badLimits || !digestsEqual(sound.hash, digest)) {
      throw corrupt('store returned a corrupt record', {
        field: field ?? (badLimits ? 'limits' : 'hash'),
        keyId: typeof sound?.id === 'string' ? sound.id : undefined,
      })
    }
    // Identity comes from the record; a key whose embedded user differs is someone else's data.
    if (embeddedUserId !== sound.userId) {
      logger.error('stored owner differs from the key', { keyId: sound.id })
      return null
    }
    return sound
  }
}
