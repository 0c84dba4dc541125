/**
 * Reading records of any store version: the defaults of the 0.2 lifecycle fields, the status of
 * a key at a time, and the owner encoding (`org:<id>`, `svc:<id>`).
 * @module
 */
import type {
  ApiKeyInfo,
  ApiKeyLifecycleFields,
  ApiKeyRecord,
  KeyOwnerType,
  KeyStatus,
} from './types.js'

/** What a 0.1 record (without the lifecycle fields) means. */
export const LIFECYCLE_DEFAULTS: Readonly<ApiKeyLifecycleFields> = Object.freeze({
  ownerType: 'user',
  createdBy: null,
  metadata: Object.freeze({}) as ApiKeyLifecycleFields['metadata'],
  disabledAt: null,
  revokedReason: null,
  replacedBy: null,
  rolledFrom: null,
  graceEndsAt: null,
  firstUseGraceMs: null,
})

/**
 * When the key stops verifying by time: its expiry or the end of a roll's grace, whichever is
 * first; `Infinity` for neither.
 */
export function effectiveExpiryMs(record: ApiKeyRecord): number {
  const expires = record.expiresAt === null ? Infinity : record.expiresAt.getTime()
  const grace = record.graceEndsAt == null ? Infinity : record.graceEndsAt.getTime()
  return expires < grace ? expires : grace
}

/** Where `record` stands at `atMs` (see {@link KeyStatus}). */
export function keyStatus(record: ApiKeyRecord, atMs: number): KeyStatus {
  if (record.revokedAt !== null) return 'revoked'
  if (effectiveExpiryMs(record) <= atMs) return 'expired'
  if (record.disabledAt != null) return 'disabled'
  return 'active'
}

/** What a user may see of a record at `atMs`: no hash, every lifecycle field filled in. */
export function recordToInfo(record: ApiKeyRecord, atMs: number): ApiKeyInfo {
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
    ownerType: record.ownerType ?? LIFECYCLE_DEFAULTS.ownerType,
    createdBy: record.createdBy ?? null,
    metadata: record.metadata ?? {},
    disabledAt: record.disabledAt ?? null,
    revokedReason: record.revokedReason ?? null,
    replacedBy: record.replacedBy ?? null,
    rolledFrom: record.rolledFrom ?? null,
    graceEndsAt: record.graceEndsAt ?? null,
    firstUseGraceMs: record.firstUseGraceMs ?? null,
    status: keyStatus(record, atMs),
    // Usage limits (docs/limits.md): present only on a key with its own, like the principal's.
    ...(record.limits === undefined || record.limits === null ? {} : { limits: record.limits }),
  }
}

/**
 * The `userId` a record of this owner holds: the id itself for a user, `org:<id>` or
 * `svc:<id>` otherwise. `:` never occurs in an id a key can embed, so no user can be mistaken
 * for an organisation or a service, in any store, including 0.1 ones.
 */
export function ownerKey(ownerType: KeyOwnerType, ownerId: string): string {
  return ownerType === 'user' ? ownerId : `${ownerType}:${ownerId}`
}

/** The kind and id of the owner a stored `userId` names (see {@link ownerKey}). */
export function parseOwnerKey(userId: string): { ownerType: KeyOwnerType; ownerId: string } {
  if (userId.startsWith('org:')) return { ownerType: 'org', ownerId: userId.slice(4) }
  if (userId.startsWith('svc:')) return { ownerType: 'svc', ownerId: userId.slice(4) }
  return { ownerType: 'user', ownerId: userId }
}
