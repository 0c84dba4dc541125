/**
 * Key management: create (validated, under a per-user lock, within the cap), list and revoke.
 * Internal: not exported from the package.
 * @module
 */
import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import { formatKeyPrefix, generateApiKey, isValidUserId } from '../api-key.js'
import { AuthError, type ValidationIssue } from '../errors.js'
import { isUuid } from '../lib/uuid.js'
import { createKeyBodySchema } from '../key-input-schema.js'
import type { ApiKeyInfo, ApiKeyRecord } from '../types.js'
import type { ServiceClock } from './clock.js'
import type { GuardedStore } from './guarded-store.js'
import type { KeyEvents, ManagementContext } from './key-events.js'
import type { ScopeRegistry } from './scope-registry.js'

/** The reminder returned with every new key. */
export const CREATE_KEY_MESSAGE = 'Store this key securely. It will not be shown again.'

/** Input of `createKey`. */
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

/** What `createKey` returns: the only place the full key ever appears. */
export interface CreatedApiKey {
  id: string
  /** The full key. Show it once; it cannot be recovered. */
  key: string
  keyPrefix: string
  message: string
  apiKey: ApiKeyInfo
}

/** What {@link createKeyManager} needs. */
export interface KeyManagerDeps {
  prefix: string
  environment: string
  maxKeysPerUser: number
  maxExpiresInDays: number
  hash: (key: string) => string
  clock: ServiceClock
  store: GuardedStore
  registry: ScopeRegistry
  /** Called with a new key's digest: a lookup of it under way may have read "no such key". */
  onCreate: (digest: string) => void
  /** Emitters of `key.created` and `key.revoked`. */
  events: KeyEvents
}

/** The management half of the service. */
export interface KeyManager {
  createKey(input: CreateKeyInput, context?: ManagementContext): Promise<CreatedApiKey>
  listKeys(userId: string): Promise<ApiKeyInfo[]>
  revokeKey(
    input: { userId: string; keyId: string },
    context?: ManagementContext,
  ): Promise<ApiKeyInfo>
}

const DAY_MS = 86_400_000

/** Builds the key manager. */
export function createKeyManager(deps: KeyManagerDeps): KeyManager {
  const { store, clock, registry } = deps
  const withUserLock = createUserLocks()
  const schema = createKeySchema(registry, deps.maxExpiresInDays)

  const createKey = async (
    input: CreateKeyInput,
    context?: ManagementContext,
  ): Promise<CreatedApiKey> => {
    const parsed = schema.safeParse(input)
    if (!parsed.success) {
      throw new AuthError('VALIDATION_ERROR', { issues: toIssues(parsed.error.issues) })
    }
    const { userId, name, expiresInDays } = parsed.data
    const scopes = [...new Set(parsed.data.scopes ?? ['*'])]
    return withUserLock(userId, async () => {
      const existing = await store.list(userId)
      const now = clock()
      const active = existing.filter(
        (r) => r.revokedAt === null && (r.expiresAt === null || r.expiresAt.getTime() > now),
      )
      if (active.length >= deps.maxKeysPerUser) throw new AuthError('KEY_LIMIT_REACHED')
      const key = generateApiKey(userId, { prefix: deps.prefix, environment: deps.environment })
      const record: ApiKeyRecord = {
        id: randomUUID(),
        userId,
        name,
        keyPrefix: formatKeyPrefix(key),
        scopes,
        createdAt: new Date(now),
        expiresAt: expiresInDays === undefined ? null : new Date(now + expiresInDays * DAY_MS),
        lastUsedAt: null,
        revokedAt: null,
        hash: deps.hash(key),
      }
      await store.insert(record)
      deps.onCreate(record.hash)
      const apiKey = toInfo(record)
      deps.events.created(apiKey, context)
      return {
        id: record.id,
        key,
        keyPrefix: record.keyPrefix,
        message: CREATE_KEY_MESSAGE,
        apiKey,
      }
    })
  }

  const listKeys = async (userId: string): Promise<ApiKeyInfo[]> => {
    if (!isValidUserId(userId)) return []
    const records = await store.list(userId)
    return records.map(toInfo).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
  }

  const notFound = (): AuthError => new AuthError('KEY_NOT_FOUND', { message: 'API key not found' })

  const revokeKey = async (
    input: { userId: string; keyId: string },
    context?: ManagementContext,
  ): Promise<ApiKeyInfo> => {
    const { userId, keyId } = input ?? {}
    if (!isValidUserId(userId) || !isUuid(keyId)) throw notFound()
    // The key must be one of this environment's (`list` filters): a key of another environment
    // is as unknown here as a key of another user.
    const own = await store.list(userId)
    const before = own.find((r) => r.id === keyId)
    if (before === undefined) throw notFound()
    const record = await store.revoke(keyId, userId, new Date(clock()))
    if (record === null) throw notFound()
    const info = toInfo(record)
    // Revoking again changes nothing, so it is no event.
    if (before.revokedAt === null) deps.events.revoked(info, context)
    return info
  }

  return { createKey, listKeys, revokeKey }
}

// Creations for one user run one at a time, so the cap check and the insert cannot interleave
// (within this instance; across instances the cap can be exceeded by N − 1).
function createUserLocks(): <T>(userId: string, fn: () => Promise<T>) => Promise<T> {
  const userLocks = new Map<string, Promise<unknown>>()
  return async <T>(userId: string, fn: () => Promise<T>): Promise<T> => {
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
}

// The input of `createKey`: the routes' body (shared with the OpenAPI document) and its owner.
function createKeySchema(
  registry: ScopeRegistry,
  maxExpiresInDays: number,
): z.ZodType<CreateKeyInput> {
  const body = createKeyBodySchema({
    maxExpiresInDays,
    unknownScopes: (scopes) => registry.unknownGranted(scopes),
  })
  return z.object({
    userId: z.string().refine(isValidUserId, 'must match [A-Za-z0-9_-]{1,64}'),
    ...body.shape,
  })
}

/** What a user may see of a record. */
export function toInfo(record: ApiKeyRecord): ApiKeyInfo {
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
