/**
 * The data types of keys: what users see, what stores hold, what a verified request carries.
 * @module
 */
import type { KeyLimits } from './limits/types.js'

/** What a user may see of a key: everything but the secret and its hash. */
export interface ApiKeyInfo {
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
}

/** A stored key: {@link ApiKeyInfo} plus the hex digest of the full key. */
export interface ApiKeyRecord extends ApiKeyInfo {
  /** SHA-256 or HMAC-SHA256 hex digest of the full key. */
  hash: string
  /** Why the key was revoked (e.g. `'leaked'`), where the store keeps it; absent or `null` otherwise. */
  revokedReason?: string | null
}

/** The identity a verified key grants; what adapters attach to the request. */
export interface ApiKeyPrincipal {
  /** UUID of the key. */
  keyId: string
  /** Owner, from the stored record. */
  userId: string
  /** Granted scopes. */
  scopes: readonly string[]
  /** Name of the key. */
  name: string
  /** `null` for a key that never expires. */
  expiresAt: Date | null
  /** The key's own usage limits, when it has any (frozen); the instance defaults are not here. */
  limits?: Readonly<KeyLimits>
}
