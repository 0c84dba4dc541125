/**
 * The auth service: issue, list, revoke and verify keys over any {@link KeyStore}.
 * @module
 */
import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import {
  formatKeyPrefix,
  generateApiKey,
  isValidUserId,
  isWellFormedKey,
  keyHead,
  SECRET_LENGTH,
} from './api-key.js'
import { parseBearerHeader } from './bearer.js'
import { AuthError, type AuthErrorResponse, isAuthError, type ValidationIssue } from './errors.js'
import { createKeyHasher, digestsEqual } from './hash.js'
import type { KeyStore } from './key-store.js'
import { findCorruptField } from './lib/check-record.js'
import { LruCache } from './lib/lru-cache.js'
import { rejectLater } from './lib/reject-later.js'
import { withTimeout } from './lib/with-timeout.js'
import { type ApiKeyAuthOptions, resolveOptions, type ResolvedAuthOptions } from './options.js'
import { hasScopes, missingScopes, scopeSatisfies, validateScope } from './scope.js'
import type { ApiKeyInfo, ApiKeyPrincipal, ApiKeyRecord } from './types.js'
import { describeError } from './lib/describe-error.js'

/** The reminder returned with every new key. */
export const CREATE_KEY_MESSAGE = 'Store this key securely. It will not be shown again.'

/** Input of {@link ApiKeyAuth.createKey}. */
export interface CreateKeyInput {
  /** Owner; from the session, never from a request body. */
  userId: string
  /** 1–100 characters, no control characters. */
  name: string
  /** Granted scopes. @defaultValue `['*']` */
  scopes?: string[]
  /** Days until expiry, a positive integer; omitted for a key that never expires. */
  expiresInDays?: number
}

/** What {@link ApiKeyAuth.createKey} returns: the only place the full key ever appears. */
export interface CreatedApiKey {
  id: string
  /** The full key. Show it once; it cannot be recovered. */
  key: string
  keyPrefix: string
  message: string
  apiKey: ApiKeyInfo
}

/** Options of {@link ApiKeyAuth.verifyKey} and {@link ApiKeyAuth.authenticate}. */
export interface VerifyOptions {
  /** Scopes the key must hold, all of them. */
  scopes?: readonly string[]
}

/** Sizes of the verification cache, for monitoring and tests. */
export interface CacheStats {
  /** Verified keys held. */
  positive: number
  /** "No such key" results held. */
  negative: number
  /** Store lookups under way. */
  inflight: number
  /** Keys whose last `touch` time is remembered. */
  touched: number
}

/** An API-key authentication service; create one with {@link createApiKeyAuth}. */
export interface ApiKeyAuth {
  /** The validated options with defaults filled in. */
  readonly options: Readonly<ResolvedAuthOptions>
  /** Issues a key. @throws `VALIDATION_ERROR`, `KEY_LIMIT_REACHED`, `AUTH_UNAVAILABLE`. */
  createKey(input: CreateKeyInput): Promise<CreatedApiKey>
  /** A user's keys, revoked and expired ones included, oldest first; never a secret or hash. */
  listKeys(userId: string): Promise<ApiKeyInfo[]>
  /**
   * Revokes a key its owner holds; revoking again returns the original `revokedAt`.
   * @throws `KEY_NOT_FOUND` when the key does not exist or belongs to someone else.
   */
  revokeKey(input: { userId: string; keyId: string }): Promise<ApiKeyInfo>
  /** Verifies a presented key and its scopes. @throws {@link AuthError} */
  verifyKey(key: unknown, options?: VerifyOptions): Promise<ApiKeyPrincipal>
  /** Parses an `Authorization` header value, then {@link ApiKeyAuth.verifyKey}. @throws {@link AuthError} */
  authenticate(authorization: unknown, options?: VerifyOptions): Promise<ApiKeyPrincipal>
  /**
   * Checks scopes a route will require, once at set-up: each must be well formed and, with a
   * registry, covered by it. @throws `CONFIGURATION_ERROR`.
   */
  requireScopes(scopes: readonly string[]): readonly string[]
  /** The HTTP response for any error: an {@link AuthError}'s own, anything else 503 (fail closed). */
  errorResponse(error: unknown): AuthErrorResponse
  /** Sizes of the verification cache. */
  cacheStats(): CacheStats
  /** Drops expired cache entries now (they are otherwise dropped lazily). */
  sweepCache(): void
  /** Stops listening to the store's revocations. */
  close(): void
}

interface CachedKey {
  principal: ApiKeyPrincipal
  revoked: boolean
  expiresAtMs: number
  /** When this entry last asked for a `lastUsedAt` write: spares a hit the map lookup. */
  touchedAt: number
}

interface Flight {
  promise: Promise<CachedKey | null>
  invalidated: boolean
}

const NEVER = Number.POSITIVE_INFINITY
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/

/**
 * Creates the auth service. Options are validated here, once; a bad option throws
 * `CONFIGURATION_ERROR` naming it.
 *
 * @example
 * ```ts
 * const auth = createApiKeyAuth({ store: new MemoryKeyStore() })
 * const { key } = await auth.createKey({ userId: 'abc', name: 'CI', scopes: ['models:read'] })
 * const principal = await auth.authenticate(`Bearer ${key}`, { scopes: ['models:read'] })
 * ```
 */
export function createApiKeyAuth(options: ApiKeyAuthOptions): ApiKeyAuth {
  const opts = resolveOptions(options)
  const { store, logger } = opts
  const head = keyHead(opts.prefix, opts.environment)
  const hash = createKeyHasher(opts.pepper)
  const clock = (): number => {
    let t: unknown
    try {
      t = opts.now()
    } catch (error) {
      logger.error('the clock threw', { error: describeError(error) })
      throw new AuthError('AUTH_UNAVAILABLE', { reason: 'invalid_clock' })
    }
    const ms = typeof t === 'number' ? t : t instanceof Date ? t.getTime() : Number.NaN
    // A broken clock (NaN, Invalid Date, out of Date range) must not make expired keys valid.
    if (!(Math.abs(ms) <= 8.64e15)) {
      logger.error('the clock returned an invalid time', { type: typeof t })
      throw new AuthError('AUTH_UNAVAILABLE', { reason: 'invalid_clock' })
    }
    return ms
  }
  const positive =
    opts.cache === false
      ? undefined
      : new LruCache<CachedKey>(opts.cache.maxEntries, opts.cache.ttlMs)
  const negative =
    opts.cache === false
      ? undefined
      : new LruCache<true>(opts.cache.negativeMaxEntries, opts.cache.negativeTtlMs)
  const inflight = new Map<string, Flight>()
  const lastTouch = new Map<string, number>()
  const maxTouched = Math.max(opts.cache === false ? 0 : opts.cache.maxEntries, 10_000)
  const userLocks = new Map<string, Promise<unknown>>()

  const unavailable = (operation: string) => (cause: unknown) => {
    if (isAuthError(cause) && cause.code === 'AUTH_UNAVAILABLE') return cause
    logger.error(`store ${operation} failed`, { error: describeError(cause) })
    return new AuthError('AUTH_UNAVAILABLE', { cause, reason: 'store_error' })
  }
  const callStore = <T>(operation: string, fn: () => Promise<T>): Promise<T> =>
    withTimeout(fn, opts.storeTimeoutMs, () => {
      logger.error(`store ${operation} timed out`, { timeoutMs: opts.storeTimeoutMs })
      return new AuthError('AUTH_UNAVAILABLE', { reason: 'store_timeout' })
    }).catch((error: unknown) => {
      throw unavailable(operation)(error)
    })

  // A store answering anything but an array of that user's sound records is broken: fail closed.
  const listRecords = async (userId: string): Promise<ApiKeyRecord[]> => {
    const records: unknown = await callStore('listByUser', () => store.listByUser(userId))
    if (
      !Array.isArray(records) ||
      records.some((r) => findCorruptField(r) !== undefined || r.userId !== userId)
    ) {
      logger.error('store returned a corrupt record list', { userId })
      throw new AuthError('AUTH_UNAVAILABLE', { reason: 'corrupt_record' })
    }
    return records as ApiKeyRecord[]
  }

  const evict = (digest: string): void => {
    positive?.delete(digest)
    negative?.delete(digest)
    const flight = inflight.get(digest)
    if (flight !== undefined) {
      // A lookup under way may have read the record before the revocation: don't cache it.
      flight.invalidated = true
      inflight.delete(digest)
    }
  }
  let unsubscribe: unknown
  try {
    unsubscribe = store.onRevoke?.((digest) => {
      if (typeof digest === 'string') evict(digest)
    })
  } catch (cause) {
    throw new AuthError('CONFIGURATION_ERROR', {
      message: 'The store failed to subscribe to revocations (onRevoke)',
      cause,
    })
  }

  const toCached = (record: ApiKeyRecord, digest: string, key: string): CachedKey | null => {
    const corrupt = findCorruptField(record)
    if (corrupt !== undefined || !digestsEqual(record.hash, digest)) {
      logger.error('store returned a corrupt record', {
        field: corrupt ?? 'hash',
        keyId: typeof record?.id === 'string' ? record.id : undefined,
      })
      throw new AuthError('AUTH_UNAVAILABLE', { reason: 'corrupt_record' })
    }
    // Identity comes from the record; a key whose embedded user differs is someone else's data.
    const embeddedUserId = key.slice(head.length, key.length - SECRET_LENGTH - 1)
    if (embeddedUserId !== record.userId) {
      logger.error('stored owner differs from the key', { keyId: record.id })
      return null
    }
    return {
      principal: Object.freeze({
        keyId: record.id,
        userId: record.userId,
        scopes: Object.freeze([...record.scopes]),
        name: record.name,
        expiresAt: record.expiresAt === null ? null : new Date(record.expiresAt.getTime()),
      }),
      revoked: record.revokedAt !== null,
      expiresAtMs: record.expiresAt === null ? NEVER : record.expiresAt.getTime(),
      touchedAt: Number.NEGATIVE_INFINITY,
    }
  }

  const load = (digest: string, key: string): Promise<CachedKey | null> => {
    const existing = inflight.get(digest)
    if (existing !== undefined) return existing.promise
    const flight: Flight = { invalidated: false, promise: undefined as never }
    flight.promise = callStore('findByHash', () => store.findByHash(digest)).then(
      (record) => {
        if (inflight.get(digest) === flight) inflight.delete(digest)
        const cached = record === null ? null : toCached(record, digest, key)
        if (!flight.invalidated) {
          const now = clock()
          if (cached === null) negative?.set(digest, true, now)
          else positive?.set(digest, cached, now)
        }
        return cached
      },
      (error: unknown) => {
        if (inflight.get(digest) === flight) inflight.delete(digest)
        throw error
      },
    )
    inflight.set(digest, flight)
    return flight.promise
  }

  // Returns when the key's last write was asked for (now, or earlier when throttled).
  const touch = (keyId: string, now: number): number => {
    if (store.touch === undefined) return now
    const last = lastTouch.get(keyId)
    if (last !== undefined && now - last < opts.touchIntervalMs) return last
    lastTouch.delete(keyId)
    lastTouch.set(keyId, now)
    if (lastTouch.size > maxTouched) lastTouch.delete(lastTouch.keys().next().value as string)
    const at = new Date(now)
    // Fire and forget: a slow or failing write never delays or fails the request.
    withTimeout(
      () => (store.touch as NonNullable<KeyStore['touch']>)(keyId, at),
      opts.storeTimeoutMs * 5,
      () => new Error('touch timed out'),
    ).catch((error: unknown) =>
      logger.warn('lastUsedAt update failed', { keyId, error: describeError(error) }),
    )
    return now
  }

  // The decision on a cached or loaded key: the principal, or the error to reject with. It
  // returns the error instead of throwing it, so a cache hit never unwinds a stack.
  const decide = (
    cached: CachedKey,
    now: number,
    verifyOptions: VerifyOptions | undefined,
  ): ApiKeyPrincipal | AuthError => {
    if (cached.revoked) return new AuthError('KEY_REVOKED')
    if (now >= cached.expiresAtMs + opts.clockToleranceMs) return new AuthError('KEY_EXPIRED')
    const required = verifyOptions?.scopes
    // A non-array would skip the check below (`length` undefined): refuse it, never grant.
    if (required !== undefined && !Array.isArray(required)) {
      throw new AuthError('CONFIGURATION_ERROR', { message: 'Required scopes must be an array' })
    }
    if (
      required !== undefined &&
      required.length > 0 &&
      !hasScopes(cached.principal.scopes, required)
    ) {
      return new AuthError('INSUFFICIENT_SCOPE', {
        requiredScopes: missingScopes(cached.principal.scopes, required),
      })
    }
    if (now - cached.touchedAt >= opts.touchIntervalMs) {
      cached.touchedAt = touch(cached.principal.keyId, now)
    }
    return cached.principal
  }

  const settle = (
    cached: CachedKey,
    result: ApiKeyPrincipal | AuthError,
  ): Promise<ApiKeyPrincipal> =>
    result === cached.principal ? Promise.resolve(result) : rejectLater(result)

  const afterLoad =
    (verifyOptions: VerifyOptions | undefined) =>
    (loaded: CachedKey | null): ApiKeyPrincipal => {
      if (loaded === null) throw new AuthError('KEY_NOT_FOUND')
      const result = decide(loaded, clock(), verifyOptions)
      if (result instanceof AuthError) throw result
      return result
    }

  // Not `async`: a rejection decided without I/O (malformed, checksum, negative cache, a cached
  // key that fails) settles through `rejectLater` and a hit through `Promise.resolve`, which
  // keeps rejected requests an order of magnitude cheaper than a verification.
  const verifyKey = (key: unknown, verifyOptions?: VerifyOptions): Promise<ApiKeyPrincipal> => {
    try {
      if (typeof key !== 'string' || !isWellFormedKey(key, head)) {
        return rejectLater(new AuthError('INVALID_FORMAT'))
      }
      const digest = hash(key)
      const now = clock()
      const cached = positive?.get(digest, now)
      if (cached !== undefined) return settle(cached, decide(cached, now, verifyOptions))
      if (negative?.get(digest, now) !== undefined) {
        return rejectLater(new AuthError('KEY_NOT_FOUND'))
      }
      return load(digest, key).then(afterLoad(verifyOptions))
    } catch (error) {
      // The clock or the hasher failing is still a rejection, never a synchronous throw.
      return Promise.reject(error)
    }
  }

  const authenticate = (
    authorization: unknown,
    verifyOptions?: VerifyOptions,
  ): Promise<ApiKeyPrincipal> => {
    let key: string
    try {
      key = parseBearerHeader(authorization)
    } catch (error) {
      return rejectLater(error)
    }
    return verifyKey(key, verifyOptions)
  }

  const withUserLock = async <T>(userId: string, fn: () => Promise<T>): Promise<T> => {
    const previous = userLocks.get(userId) ?? Promise.resolve()
    const run = previous.then(fn, fn)
    const settled = run.then(
      () => undefined,
      () => undefined,
    )
    userLocks.set(userId, settled)
    try {
      return await run
    } finally {
      if (userLocks.get(userId) === settled) userLocks.delete(userId)
    }
  }

  const createKeySchema = z.object({
    userId: z.string().refine(isValidUserId, 'must match [A-Za-z0-9_-]{1,64}'),
    name: z
      .string()
      .min(1)
      .max(100)
      .refine((name) => name.trim().length > 0, 'must not be blank')
      .refine((name) => !CONTROL_CHARS.test(name), 'must not contain control characters'),
    scopes: z
      .array(z.string().refine(validateScope, 'not a valid scope'))
      .min(1)
      .max(50)
      .refine(
        (scopes) =>
          opts.scopes === undefined || scopes.every((s) => s === '*' || opts.scopes?.includes(s)),
        'contains a scope that is not in the registry',
      )
      .optional(),
    expiresInDays: z.number().int().positive().max(opts.maxExpiresInDays).optional(),
  })

  const createKey = async (input: CreateKeyInput): Promise<CreatedApiKey> => {
    const parsed = createKeySchema.safeParse(input)
    if (!parsed.success) {
      throw new AuthError('VALIDATION_ERROR', { issues: toIssues(parsed.error.issues) })
    }
    const { userId, name, expiresInDays } = parsed.data
    const scopes = [...new Set(parsed.data.scopes ?? ['*'])]
    return withUserLock(userId, async () => {
      const existing = await listRecords(userId)
      const now = clock()
      const active = existing.filter(
        (r) => r.revokedAt === null && (r.expiresAt === null || r.expiresAt.getTime() > now),
      )
      if (active.length >= opts.maxKeysPerUser) throw new AuthError('KEY_LIMIT_REACHED')
      const key = generateApiKey(userId, { prefix: opts.prefix, environment: opts.environment })
      const createdAt = new Date(now)
      const record: ApiKeyRecord = {
        id: randomUUID(),
        userId,
        name,
        keyPrefix: formatKeyPrefix(key),
        scopes,
        createdAt,
        expiresAt: expiresInDays === undefined ? null : new Date(now + expiresInDays * 86_400_000),
        lastUsedAt: null,
        revokedAt: null,
        hash: hash(key),
      }
      await callStore('insert', () => store.insert(record))
      negative?.delete(record.hash)
      return {
        id: record.id,
        key,
        keyPrefix: record.keyPrefix,
        message: CREATE_KEY_MESSAGE,
        apiKey: toInfo(record),
      }
    })
  }

  const listKeys = async (userId: string): Promise<ApiKeyInfo[]> => {
    if (!isValidUserId(userId)) return []
    const records = await listRecords(userId)
    return records.map(toInfo).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
  }

  const revokeKey = async (input: { userId: string; keyId: string }): Promise<ApiKeyInfo> => {
    const { userId, keyId } = input ?? {}
    if (!isValidUserId(userId) || typeof keyId !== 'string' || !UUID_PATTERN.test(keyId)) {
      throw new AuthError('KEY_NOT_FOUND', { message: 'API key not found' })
    }
    const record = await callStore('revoke', () => store.revoke(keyId, userId, new Date(clock())))
    if (record === null) throw new AuthError('KEY_NOT_FOUND', { message: 'API key not found' })
    // `?.`: a store may answer undefined; the corrupt-record check below then fails closed.
    if (typeof record?.hash === 'string') evict(record.hash)
    if (findCorruptField(record) !== undefined || record.revokedAt === null) {
      logger.error('store returned a corrupt record from revoke', { keyId })
      throw new AuthError('AUTH_UNAVAILABLE', { reason: 'corrupt_record' })
    }
    return toInfo(record)
  }

  const requireScopes = (scopes: readonly string[]): readonly string[] => {
    if (!Array.isArray(scopes)) {
      throw new AuthError('CONFIGURATION_ERROR', { message: 'Required scopes must be an array' })
    }
    for (const scope of scopes) {
      const known =
        validateScope(scope) &&
        (opts.scopes === undefined ||
          scope === '*' ||
          // `*` in the registry covers everything, so it cannot vouch for a typo'd scope.
          opts.scopes.some((entry) => entry !== '*' && scopeSatisfies(entry, scope)))
      if (!known) {
        throw new AuthError('CONFIGURATION_ERROR', {
          message: `Unknown or malformed required scope: ${JSON.stringify(scope)}`,
        })
      }
    }
    return Object.freeze([...scopes])
  }

  return {
    options: opts,
    createKey,
    listKeys,
    revokeKey,
    verifyKey,
    authenticate,
    requireScopes,
    errorResponse: (error) => {
      if (isAuthError(error)) return error.toResponse({ realm: opts.realm })
      logger.error('unexpected error during authentication', { error: describeError(error) })
      return new AuthError('AUTH_UNAVAILABLE', { cause: error }).toResponse({ realm: opts.realm })
    },
    cacheStats: () => ({
      positive: positive?.size ?? 0,
      negative: negative?.size ?? 0,
      inflight: inflight.size,
      touched: lastTouch.size,
    }),
    sweepCache: () => {
      const now = clock()
      positive?.sweep(now)
      negative?.sweep(now)
    },
    close: () => {
      if (typeof unsubscribe === 'function') unsubscribe()
    },
  }
}

function toInfo(record: ApiKeyRecord): ApiKeyInfo {
  return {
    id: record.id,
    userId: record.userId,
    name: record.name,
    keyPrefix: record.keyPrefix,
    scopes: [...record.scopes],
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    lastUsedAt: record.lastUsedAt ?? null,
    revokedAt: record.revokedAt,
  }
}

function toIssues(issues: readonly z.core.$ZodIssue[]): ValidationIssue[] {
  return issues.map((issue) => ({
    path: issue.path.filter((p): p is string | number => typeof p !== 'symbol'),
    message: issue.message,
  }))
}
