/**
 * Key management: create (validated, under a per-user lock, within the cap), list and revoke.
 * Internal: not exported from the package.
 * @module
 */
import { z } from 'zod'
import { formatKeyPrefix, generateApiKey, isValidUserId } from '../api-key.js'
import { AuthError, type ValidationIssue } from '../errors.js'
import { recordToInfo } from '../key-record.js'
import { isUuid } from '../lib/uuid.js'
import { freezeLimits, keyLimitsSchema } from '../limits/schema.js'
import type { KeyLimits } from '../limits/types.js'
import { createKeyBodySchema } from '../key-input-schema.js'
import { countsTowardCap } from '../store-rules.js'
import type { ApiKeyInfo, ApiKeyRecord, KeyMetadata, KeyOwnerType } from '../types.js'
import { copyMetadata, metadataSchema } from './key-metadata.js'
import { REVOKE_REASON_SCHEMA } from './key-name.js'
import { keyNotFound, requireOwner, resolveOwner, type KeyOwnerInput } from './key-owner.js'
import type { ServiceClock } from './clock.js'
import type { GuardedStore } from './guarded-store.js'
import type { KeyEvents, ManagementContext } from './key-events.js'
import { auditChanges, type AuditLog } from './audit-log.js'
import type { AuditRecord } from '../audit-store.js'
import type { ScopeRegistry } from './scope-registry.js'

/** The reminder returned with every new key. */
export const CREATE_KEY_MESSAGE = 'Store this key securely. It will not be shown again.'

/** Input of `createKey`. */
export interface CreateKeyInput extends KeyOwnerInput {
  /**
   * Owner of a user key; from the session, never from a request body. For an organisation's or
   * a service's key give `ownerType` and `ownerId` instead.
   */
  userId?: string
  /** 1–100 characters, no control characters. */
  name: string
  /** Granted scopes. @defaultValue `['*']` */
  scopes?: string[]
  /** Days until expiry, a positive integer; omitted for a key that never expires. */
  expiresInDays?: number
  /** A JSON object (≤ 8 KiB, depth ≤ 5), listed and attached to the verified principal. */
  metadata?: KeyMetadata
  /** Who creates the key (e.g. the signed-in user creating an organisation's key). */
  createdBy?: string
  /**
   * The key's usage limits (docs/limits.md); omitted for the instance defaults. Set by the
   * application (a plan), never taken from the self-service routes' request body.
   */
  limits?: KeyLimits
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
  ownerTypes: readonly KeyOwnerType[]
  hash: (key: string) => string
  clock: ServiceClock
  store: GuardedStore
  registry: ScopeRegistry
  /** Called with a new key's digest: a lookup of it under way may have read "no such key". */
  onCreate: (digest: string) => void
  /** Where `key.created` and `key.revoked` go. */
  events: KeyEvents
  /** Where their audit records go. */
  audit: AuditLog
}

/** The management half of the service. */
export interface KeyManager {
  createKey(input: CreateKeyInput, context?: ManagementContext): Promise<CreatedApiKey>
  listKeys(owner: string | KeyOwnerInput): Promise<ApiKeyInfo[]>
  revokeKey(input: RevokeKeyInput, context?: ManagementContext): Promise<ApiKeyInfo>
}

/** Input of `revokeKey`. */
export interface RevokeKeyInput extends KeyOwnerInput {
  keyId: string
  /** Why: `'user'`, `'leaked'`, `'rotated'`, `'admin'` or any text up to 200 characters. */
  reason?: string
}

const DAY_MS = 86_400_000

/** Builds the key manager. */
export function createKeyManager(deps: KeyManagerDeps): KeyManager {
  const { store, clock, registry } = deps
  const insertWithinCap = createCappedInsert(deps)
  const schema = createKeySchema(registry, deps.maxExpiresInDays)

  const createKey = async (
    input: CreateKeyInput,
    context?: ManagementContext,
  ): Promise<CreatedApiKey> => {
    const parsed = schema.safeParse(input)
    if (!parsed.success) {
      throw new AuthError('VALIDATION_ERROR', { issues: toIssues(parsed.error.issues) })
    }
    const owner = requireOwner(input, deps.ownerTypes)
    const { name, expiresInDays, metadata, createdBy, limits } = parsed.data
    const scopes = [...new Set(parsed.data.scopes ?? ['*'])]
    const build = (now: number): { key: string; record: ApiKeyRecord } => {
      const key = generateApiKey(owner.ownerId, {
        prefix: deps.prefix,
        environment: deps.environment,
        ownerType: owner.ownerType,
      })
      const record: ApiKeyRecord = {
        // WebCrypto's UUID v4: on every runtime, no node:crypto import.
        id: crypto.randomUUID(),
        userId: owner.key,
        name,
        keyPrefix: formatKeyPrefix(key),
        scopes,
        createdAt: new Date(now),
        expiresAt: expiresInDays === undefined ? null : new Date(now + expiresInDays * DAY_MS),
        lastUsedAt: null,
        revokedAt: null,
        hash: deps.hash(key),
        // 0.2 fields, written only when they say something, so a 0.1 store sees 0.1 records.
        ...(owner.ownerType === 'user' ? {} : { ownerType: owner.ownerType }),
        ...(metadata === undefined ? {} : { metadata: copyMetadata(metadata) }),
        ...(createdBy === undefined ? {} : { createdBy }),
        // Usage limits (issue 12): only a key with its own has the field.
        ...(limits === undefined ? {} : { limits: freezeLimits(limits) }),
      }
      return { key, record }
    }
    const created = await insertWithinCap(owner.key, build, (record, now) =>
      deps.audit.record('created', record, now, context, auditChanges(record)),
    )
    deps.onCreate(created.record.hash)
    await deps.audit.after([created.audit], true)
    const apiKey = toInfo(created.record, created.now)
    deps.events.created(apiKey, context)
    return {
      id: created.record.id,
      key: created.key,
      keyPrefix: created.record.keyPrefix,
      message: CREATE_KEY_MESSAGE,
      apiKey,
    }
  }

  // A string is a user id, as in 0.1; an object names any owner this instance allows (an org's
  // keys are stored under `org:<id>`, which the 0.1 user-id check would refuse).
  const listKeys = async (owner: string | KeyOwnerInput): Promise<ApiKeyInfo[]> => {
    const resolved =
      typeof owner === 'string'
        ? isValidUserId(owner)
          ? owner
          : null
        : (resolveOwner(owner, deps.ownerTypes)?.key ?? null)
    if (resolved === null) return []
    const records = await store.list(resolved)
    const now = clock()
    return records
      .map((r) => toInfo(r, now))
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
  }

  const revokeKey = createRevokeKey(deps)

  return { createKey, listKeys, revokeKey }
}

// `revokeKey`: atomic in the store, with the owner checked in the same step.
function createRevokeKey(deps: KeyManagerDeps): (input: RevokeKeyInput) => Promise<ApiKeyInfo> {
  const { store, clock } = deps
  return async (input: RevokeKeyInput, context?: ManagementContext): Promise<ApiKeyInfo> => {
    const owner = resolveOwner(input, deps.ownerTypes)
    const keyId = input?.keyId
    if (owner === null || !isUuid(keyId)) throw keyNotFound()
    const reason = input.reason
    if (reason !== undefined && !REVOKE_REASON_SCHEMA.safeParse(reason).success) {
      throw new AuthError('VALIDATION_ERROR', {
        issues: [
          { path: ['reason'], message: 'must be 1–200 characters without control characters' },
        ],
      })
    }
    // The key must be one of this environment's (`list` filters): a key of another environment
    // is as unknown here as a key of another user.
    const own = await store.list(owner.key)
    const before = own.find((r) => r.id === keyId)
    if (before === undefined) throw keyNotFound()
    const now = clock()
    const audit = deps.audit.record('revoked', before, now, {
      ...context,
      reason: reason ?? context?.reason,
    })
    const write = deps.audit.forStore([audit])
    const record = await store.revoke(keyId, owner.key, new Date(now), reason, write)
    if (record === null) throw keyNotFound()
    // Revoked by this call: the store kept an earlier `revokedAt` otherwise.
    await deps.audit.after(
      [audit],
      before.revokedAt === null && record.revokedAt?.getTime() === now,
    )
    const info = toInfo(record, now)
    // Revoking again changes nothing, so it is no event.
    if (before.revokedAt === null) deps.events.revoked(info, context)
    return info
  }
}

// Inserts a new key within `maxKeysPerUser`: exact across the fleet when the store counts and
// inserts in one step (`insertCapped`); otherwise creations of one owner run one at a time here
// (exact per process).
type Inserted = { key: string; record: ApiKeyRecord; now: number; audit: AuditRecord | undefined }
type AuditOf = (record: ApiKeyRecord, now: number) => AuditRecord | undefined

function createCappedInsert(
  deps: KeyManagerDeps,
): (
  ownerKey: string,
  build: (now: number) => { key: string; record: ApiKeyRecord },
  auditOf: AuditOf,
) => Promise<Inserted> {
  const { store, clock } = deps
  const withUserLock = createUserLocks()
  return async (ownerKey, build, auditOf): Promise<Inserted> => {
    const keyPrefix = `${deps.prefix}_${deps.environment}_`
    if (store.capabilities.cap) {
      const now = clock()
      const built = build(now)
      const audit = auditOf(built.record, now)
      const cap = { max: deps.maxKeysPerUser, keyPrefix, at: new Date(now) }
      if (!(await store.insertCapped(built.record, cap, deps.audit.forStore([audit])))) {
        throw new AuthError('KEY_LIMIT_REACHED')
      }
      return { ...built, now, audit }
    }
    return withUserLock(ownerKey, async () => {
      const existing = await store.list(ownerKey)
      const now = clock()
      const active = existing.filter((r) => countsTowardCap(r, keyPrefix, now))
      if (active.length >= deps.maxKeysPerUser) throw new AuthError('KEY_LIMIT_REACHED')
      const built = build(now)
      const audit = auditOf(built.record, now)
      await store.insert(built.record, deps.audit.forStore([audit]))
      return { ...built, now, audit }
    })
  }
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

// The input of `createKey`; a scope the registry refuses is named (it is the caller's own input).
function createKeySchema(
  registry: ScopeRegistry,
  maxExpiresInDays: number,
): z.ZodType<CreateKeyInput> {
  const body = createKeyBodySchema({
    maxExpiresInDays,
    unknownScopes: (scopes) => registry.unknownGranted(scopes),
  })
  return z.object({
    userId: z.string().refine(isValidUserId, 'must match [A-Za-z0-9_-]{1,64}').optional(),
    ...body.shape,
    metadata: metadataSchema.optional(),
    createdBy: z.string().min(1).max(200).optional(),
    ownerType: z.enum(['user', 'org', 'svc']).optional(),
    ownerId: z.string().refine(isValidUserId, 'must match [A-Za-z0-9_-]{1,64}').optional(),
    // Limits are the application's (a plan), never part of the routes' body.
    limits: keyLimitsSchema.optional(),
  })
}

/** What a user may see of a record (its status now). */
export function toInfo(record: ApiKeyRecord, atMs: number): ApiKeyInfo {
  return recordToInfo(record, atMs)
}

export function toIssues(issues: readonly z.core.$ZodIssue[]): ValidationIssue[] {
  return issues.map((issue) => ({
    path: issue.path.filter((p): p is string | number => typeof p !== 'symbol'),
    message: issue.message,
  }))
}
