/**
 * A key as JSON: the one view the key-management routes answer with and `vydra-auth --json`
 * prints, so both always show the same fields (the OpenAPI document's `ApiKey`).
 * @module
 */
import type { ApiKeyInfo, KeyMetadata, KeyOwnerType, KeyStatus } from './types.js'

/**
 * A key as its owner sees it over HTTP: {@link ApiKeyInfo} with ISO 8601 dates. Never the secret
 * or its digest (an `ApiKeyInfo` has neither).
 */
export interface ApiKeyJson {
  /** UUID of the key. */
  id: string
  /** Owner of the key. */
  userId: string
  /** Human-readable name. */
  name: string
  /** Display form of the key: enough to recognise it, not to use it. */
  keyPrefix: string
  /** Granted scopes. */
  scopes: string[]
  /** ISO 8601. */
  createdAt: string
  /** ISO 8601; `null` for a key that never expires. */
  expiresAt: string | null
  /** ISO 8601; `null` if never used. */
  lastUsedAt: string | null
  /** ISO 8601; `null` while not revoked. */
  revokedAt: string | null
  /** Where the key stands now. */
  status: KeyStatus
  /** Kind of owner. */
  ownerType: KeyOwnerType
  /** Who created the key, `null` when unknown. */
  createdBy: string | null
  /** The key's metadata. */
  metadata: KeyMetadata
  /** ISO 8601; `null` while enabled. */
  disabledAt: string | null
  /** Why the key was revoked, `null` otherwise. */
  revokedReason: string | null
  /** Id of the key a roll replaced this one with. */
  replacedBy: string | null
  /** Id of the key this one was rolled from. */
  rolledFrom: string | null
  /** ISO 8601: end of the grace a roll gave this (old) key. */
  graceEndsAt: string | null
}

const iso = (date: Date | null): string | null => date?.toISOString() ?? null

/**
 * A key's JSON, as the key-management routes answer it (`GET <basePath>`, `PATCH`, `disable`,
 * `enable`). For applications that serve keys from routes of their own.
 *
 * @example
 * ```ts
 * const keys = (await auth.listKeys(userId)).map(apiKeyToJson)
 * ```
 */
export function apiKeyToJson(info: ApiKeyInfo): ApiKeyJson {
  return {
    id: info.id,
    userId: info.userId,
    name: info.name,
    keyPrefix: info.keyPrefix,
    scopes: info.scopes,
    createdAt: info.createdAt.toISOString(),
    expiresAt: iso(info.expiresAt),
    lastUsedAt: iso(info.lastUsedAt),
    revokedAt: iso(info.revokedAt),
    status: info.status,
    ownerType: info.ownerType,
    createdBy: info.createdBy,
    metadata: info.metadata,
    disabledAt: iso(info.disabledAt),
    revokedReason: info.revokedReason,
    replacedBy: info.replacedBy,
    rolledFrom: info.rolledFrom,
    graceEndsAt: iso(info.graceEndsAt),
  }
}
