/**
 * Roll, disable and enable: what happens to a key after it was issued. Each is one atomic store
 * operation; the store's push (and this instance's eviction) makes it visible fleet-wide.
 * Internal: not exported from the package.
 * @module
 */
import { z } from 'zod'
import { formatKeyPrefix, generateApiKey } from '../api-key.js'
import { AuthError } from '../errors.js'
import { recordToInfo } from '../key-record.js'
import type { KeyRollRefusal } from '../key-store.js'
import { isUuid } from '../lib/uuid.js'
import type { ApiKeyInfo, ApiKeyRecord } from '../types.js'
import type { ServiceClock } from './clock.js'
import type { GuardedStore } from './guarded-store.js'
import { CREATE_KEY_MESSAGE, toIssues, type CreatedApiKey } from './key-manager.js'
import { keyNotFound, resolveOwner, type KeyOwnerInput, type ResolvedOwner } from './key-owner.js'
import type { KeyOwnerType } from '../types.js'
import type { AuditLog } from './audit-log.js'
import type { ManagementContext } from './key-events.js'

/** Input of `rollKey`. */
export interface RollKeyInput extends KeyOwnerInput {
  /** The key to roll. */
  keyId: string
  /**
   * How long the old key keeps working, in ms, at most `maxRollGraceMs`; `0` revokes it now.
   * @defaultValue `min(86_400_000, maxRollGraceMs)` (one day)
   */
  gracePeriodMs?: number
  /** When the grace starts: now, or at the new key's first successful verification. @defaultValue `'now'` */
  graceStarts?: 'now' | 'firstUse'
  /** Who rolls it (recorded as the new key's `createdBy`). */
  actorId?: string
}

/** What `rollKey` returns: a new key shown once, like `createKey`, and the old key's end. */
export interface RolledApiKey extends CreatedApiKey {
  previous: {
    id: string
    /**
     * When the old key stops working: the end of its grace (or its own earlier expiry), the
     * roll itself for a grace of 0; `null` while a `'firstUse'` grace has not started and the
     * old key never expires.
     */
    expiresAt: Date | null
  }
}

/** Input of `disableKey` and `enableKey`. */
export interface KeyRefInput extends KeyOwnerInput {
  keyId: string
}

/** What {@link createKeyLifecycle} needs. */
export interface KeyLifecycleDeps {
  prefix: string
  environment: string
  maxRollGraceMs: number
  ownerTypes: readonly KeyOwnerType[]
  hash: (key: string) => string
  clock: ServiceClock
  store: GuardedStore
  /** Where each change's audit record goes. */
  audit: AuditLog
}

/** The lifecycle operations of the service; `context` says who asks, from where, why. */
export interface KeyLifecycle {
  rollKey(input: RollKeyInput, context?: ManagementContext): Promise<RolledApiKey>
  disableKey(input: KeyRefInput, context?: ManagementContext): Promise<ApiKeyInfo>
  enableKey(input: KeyRefInput, context?: ManagementContext): Promise<ApiKeyInfo>
  /** The owner's record `keyId` of this environment, or `KEY_NOT_FOUND`. */
  findOwn(input: KeyRefInput): Promise<{ owner: ResolvedOwner; record: ApiKeyRecord }>
}

const DAY_MS = 86_400_000
// A chain of rolls within one grace is followed this far before giving up (409).
const MAX_ROLL_HOPS = 4

const REFUSALS: Record<Exclude<KeyRollRefusal, 'replaced'>, string> = {
  revoked: 'A revoked key cannot be rolled',
  expired: 'An expired key cannot be rolled',
  disabled: 'A disabled key cannot be rolled; enable it first',
}

/** Builds the lifecycle operations. */
export function createKeyLifecycle(deps: KeyLifecycleDeps): KeyLifecycle {
  const { store, clock } = deps

  const findOwn: KeyLifecycle['findOwn'] = async (input) => {
    const owner = resolveOwner(input, deps.ownerTypes)
    if (owner === null || !isUuid(input?.keyId)) throw keyNotFound()
    // Listed, so that a key of another environment is as unknown here as another owner's.
    const record = (await store.list(owner.key)).find((r) => r.id === input.keyId)
    if (record === undefined) throw keyNotFound()
    return { owner, record }
  }

  const rollKey = createRollKey(deps, findOwn)

  const setDisabled = async (
    input: KeyRefInput,
    disable: boolean,
    context: ManagementContext | undefined,
  ): Promise<ApiKeyInfo> => {
    if (!store.capabilities.disable) throw new AuthError('NOT_SUPPORTED')
    const { owner, record } = await findOwn(input)
    if (record.revokedAt !== null) {
      throw new AuthError('KEY_STATE_CONFLICT', {
        message: disable ? 'A revoked key cannot be disabled' : 'A revoked key cannot be enabled',
        reason: 'revoked',
      })
    }
    const now = clock()
    const audit = deps.audit.record(disable ? 'disabled' : 'enabled', record, now, context)
    const changed = await store.setDisabled(
      record.id,
      owner.key,
      disable ? new Date(now) : null,
      deps.audit.forStore([audit]),
    )
    if (changed === null) throw keyNotFound()
    // Changed by this call (the store keeps an earlier `disabledAt`, and enabling an enabled
    // key changes nothing).
    const wasDisabled = (record.disabledAt ?? null) !== null
    const changedNow =
      changed.revokedAt === null &&
      (disable
        ? !wasDisabled && changed.disabledAt?.getTime() === now
        : wasDisabled && (changed.disabledAt ?? null) === null)
    await deps.audit.after([audit], changedNow)
    // Revoked between the read and the write: the store changed nothing.
    if (changed.revokedAt !== null) {
      throw new AuthError('KEY_STATE_CONFLICT', {
        message: 'The key was revoked',
        reason: 'revoked',
      })
    }
    return recordToInfo(changed, now)
  }

  return {
    rollKey,
    disableKey: (input, context) => setDisabled(input, true, context),
    enableKey: (input, context) => setDisabled(input, false, context),
    findOwn,
  }
}

// `rollKey`: one atomic store roll, following a key already rolled within its grace to its
// replacement.
function createRollKey(
  deps: KeyLifecycleDeps,
  findOwn: KeyLifecycle['findOwn'],
): (input: RollKeyInput, context?: ManagementContext) => Promise<RolledApiKey> {
  const { store, clock } = deps
  const rollSchema = z.object({
    gracePeriodMs: z.number().int().min(0).max(deps.maxRollGraceMs).optional(),
    graceStarts: z.enum(['now', 'firstUse']).optional(),
    actorId: z.string().min(1).max(200).optional(),
  })
  return async (input: RollKeyInput, context?: ManagementContext): Promise<RolledApiKey> => {
    const parsed = rollSchema.safeParse(input ?? {})
    if (!parsed.success) {
      throw new AuthError('VALIDATION_ERROR', { issues: toIssues(parsed.error.issues) })
    }
    const graceMs = parsed.data.gracePeriodMs ?? Math.min(DAY_MS, deps.maxRollGraceMs)
    const graceStarts = graceMs === 0 ? 'now' : (parsed.data.graceStarts ?? 'now')
    if (!store.capabilities.roll || (graceStarts === 'firstUse' && !store.capabilities.firstUse)) {
      throw new AuthError('NOT_SUPPORTED')
    }
    const { owner } = await findOwn(input)
    const actorId = parsed.data.actorId
    // Who rolls: the caller's context, else the `actorId` of the input (a user).
    const who: ManagementContext | undefined =
      context ?? (actorId === undefined ? undefined : { actor: { type: 'user', id: actorId } })
    let keyId = input.keyId
    for (let hop = 0; hop < MAX_ROLL_HOPS; hop++) {
      const key = generateApiKey(owner.ownerId, {
        prefix: deps.prefix,
        environment: deps.environment,
        ownerType: owner.ownerType,
      })
      const now = clock()
      const next = {
        // WebCrypto's UUID v4: on every runtime, no node:crypto import.
        id: crypto.randomUUID(),
        hash: deps.hash(key),
        keyPrefix: formatKeyPrefix(key),
        createdAt: new Date(now),
        createdBy: parsed.data.actorId ?? null,
      }
      const audit = [
        deps.audit.record('rolled', { id: keyId, userId: owner.key }, now, who, {
          newKeyId: next.id,
          gracePeriodMs: graceMs,
          graceStarts,
        }),
        deps.audit.record('created', { id: next.id, userId: owner.key }, now, who, {
          rolledFrom: keyId,
        }),
      ]
      const result = await store.roll(
        { keyId, userId: owner.key, next, at: new Date(now), graceMs, graceStarts },
        deps.audit.forStore(audit),
      )
      if (result === null) throw keyNotFound()
      await deps.audit.after(audit, result.ok)
      if (result.ok) {
        const old = result.previous
        return {
          id: next.id,
          key,
          keyPrefix: next.keyPrefix,
          message: CREATE_KEY_MESSAGE,
          apiKey: recordToInfo(result.next, now),
          previous: { id: old.id, expiresAt: old.revokedAt ?? old.graceEndsAt ?? old.expiresAt },
        }
      }
      if (result.reason !== 'replaced' || typeof result.current.replacedBy !== 'string') {
        const reason = result.reason === 'replaced' ? 'revoked' : result.reason
        throw new AuthError('KEY_STATE_CONFLICT', { message: REFUSALS[reason], reason })
      }
      // Rolling a key already rolled within its grace rolls its replacement (which ends the
      // first key's grace at once).
      keyId = result.current.replacedBy
    }
    throw new AuthError('KEY_STATE_CONFLICT', {
      message: 'The key is being rolled concurrently; try again',
      reason: 'roll_contention',
    })
  }
}
