/**
 * The data types of keys: what users see, what stores hold, what a verified request carries.
 * @module
 */
import type { KeyLimits } from './limits/types.js'

/** Who owns a key: a person, an organisation or a service. */
export type KeyOwnerType = 'user' | 'org' | 'svc'

/** A JSON value, as key metadata may hold. */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

/**
 * Free-form data attached to a key: a JSON object of at most 8 KiB serialized, nested at most 5
 * deep, with no `__proto__`, `constructor` or `prototype` keys. Never put a secret in it: it is
 * listed and attached to every verified request.
 */
export type KeyMetadata = { [key: string]: JsonValue }

/**
 * Where a key stands at a given time: `revoked` (permanent) wins over `expired` (its own expiry
 * or the end of a roll's grace period), which wins over `disabled` (reversible), else `active`.
 */
export type KeyStatus = 'active' | 'disabled' | 'revoked' | 'expired'

/**
 * Fields of the 0.2 key lifecycle (roll, disable, update, metadata, owners). On an
 * {@link ApiKeyRecord} each one is optional, so a 0.1 store that does not keep them still works:
 * a missing field reads as its default (in brackets).
 */
export interface ApiKeyLifecycleFields {
  /** Kind of owner (`'user'`). With `'org'` or `'svc'`, `userId` is `org:<id>` or `svc:<id>`. */
  ownerType: KeyOwnerType
  /** Who created the key (the acting user's id), `null` when unknown (`null`). */
  createdBy: string | null
  /** The key's metadata (`{}`). */
  metadata: KeyMetadata
  /** When the key was disabled; `null` while enabled (`null`). */
  disabledAt: Date | null
  /** Why the key was revoked: `'user'`, `'leaked'`, `'rotated'`, `'admin'` or free text (`null`). */
  revokedReason: string | null
  /** Id of the key a roll replaced this one with (`null`). */
  replacedBy: string | null
  /** Id of the key this one was rolled from (`null`). */
  rolledFrom: string | null
  /**
   * End of the grace period a roll gave this (old) key: it is refused from then on, as expired
   * (`null`: no grace running, or a `'firstUse'` grace that has not started yet).
   */
  graceEndsAt: Date | null
  /**
   * On a key issued by a roll with `graceStarts: 'firstUse'`: the grace in ms the key it
   * replaced gets from this key's first successful verification; `null` once started (`null`).
   */
  firstUseGraceMs: number | null
}

/** What a user may see of a key: everything but the secret and its hash. */
export interface ApiKeyInfo extends ApiKeyLifecycleFields {
  /** UUID of the key. */
  id: string
  /** Owner of the key (from the store, never from the key string). */
  userId: string
  /** Human-readable name given at creation. */
  name: string
  /** Display form, e.g. `vydra_live_user_abc_X7kM...`. */
  keyPrefix: string
  /** Granted scopes. */
  scopes: string[]
  /** When the key was issued. */
  createdAt: Date
  /** `null` for a key that never expires. */
  expiresAt: Date | null
  /** Last successful use, written at most once per `touchIntervalMs`; `null` if never used. */
  lastUsedAt: Date | null
  /** When the key was revoked; `null` while active. */
  revokedAt: Date | null
  /**
   * The key's own usage limits, set at creation; `null` or absent when the instance defaults
   * apply (docs/limits.md). Stores keep it as given.
   */
  limits?: KeyLimits | null
  /** Where the key stands now (see {@link KeyStatus}). */
  status: KeyStatus
}

/**
 * A stored key: {@link ApiKeyInfo} plus the hex digest of the full key. The lifecycle fields are
 * optional so that records of 0.1 stores stay valid. A store keeps every field it is given,
 * including ones it does not know (a later version may add some, e.g. `limits`): `roll` copies
 * the whole record but its identity.
 */
export interface ApiKeyRecord
  extends Omit<ApiKeyInfo, keyof ApiKeyLifecycleFields | 'status'>, Partial<ApiKeyLifecycleFields> {
  /** SHA-256 or HMAC-SHA256 hex digest of the full key. */
  hash: string
  /** Why the key was revoked (e.g. `'leaked'`), where the store keeps it; absent or `null` otherwise. */
  revokedReason?: string | null
}

/** The identity a verified key grants; what adapters attach to the request. */
export interface ApiKeyPrincipal {
  /** UUID of the key. */
  keyId: string
  /** Owner, from the stored record (`org:<id>` or `svc:<id>` for non-user owners). */
  userId: string
  /** Granted scopes. */
  scopes: readonly string[]
  /** Name of the key. */
  name: string
  /** `null` for a key that never expires. */
  expiresAt: Date | null
  /** The key's own usage limits, when it has any (frozen); the instance defaults are not here. */
  limits?: Readonly<KeyLimits>
  /** Kind of owner. Absent on principals built by 0.1 code; read a missing one as `'user'`. */
  ownerType?: KeyOwnerType
  /** The owner's id without its kind (`acme` for `org:acme`). */
  ownerId?: string
  /** The key's metadata, frozen. */
  metadata?: Readonly<KeyMetadata>
}
