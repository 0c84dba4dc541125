/**
 * Key-format details the root entry exported in 0.1, kept for 0.2 as deprecated aliases.
 * Internal module: only src/index.ts re-exports it.
 * @module
 */
import * as keyFormat from './api-key.js'
import * as scope from './scope.js'

/**
 * Characters of the checksum at the end of every key.
 * @deprecated Since 0.2: an internal detail of the key format; it may change.
 */
export const CHECKSUM_LENGTH: number = keyFormat.CHECKSUM_LENGTH
/**
 * Characters of the secret that `keyPrefix` shows.
 * @deprecated Since 0.2: an internal detail of the key format; it may change.
 */
export const KEY_PREFIX_SECRET_CHARS: number = keyFormat.KEY_PREFIX_SECRET_CHARS
/**
 * Longest token accepted as a key.
 * @deprecated Since 0.2: an internal detail of the key format; it may change.
 */
export const MAX_TOKEN_LENGTH: number = keyFormat.MAX_TOKEN_LENGTH
/**
 * Longest user id a key can embed.
 * @deprecated Since 0.2: an internal detail of the key format; it may change.
 */
export const MAX_USER_ID_LENGTH: number = keyFormat.MAX_USER_ID_LENGTH
/**
 * Characters of the secret part (random characters and checksum).
 * @deprecated Since 0.2: an internal detail of the key format; it may change.
 */
export const SECRET_LENGTH: number = keyFormat.SECRET_LENGTH
/**
 * Random characters of the secret part.
 * @deprecated Since 0.2: an internal detail of the key format; it may change.
 */
export const SECRET_RANDOM_LENGTH: number = keyFormat.SECRET_RANDOM_LENGTH
/**
 * Longest scope accepted.
 * @deprecated Since 0.2: an internal detail of the scope grammar; it may change.
 */
export const MAX_SCOPE_LENGTH: number = scope.MAX_SCOPE_LENGTH

/**
 * Whether `value` may be a key's environment (`[a-z][a-z0-9]{0,31}`).
 * @deprecated Since 0.2: `createApiKeyAuth` validates its options; it may change.
 */
export function isValidEnvironment(value: unknown): value is string {
  return keyFormat.isValidEnvironment(value)
}
/**
 * Whether `value` may be a key's prefix (`[a-z][a-z0-9]{0,31}`).
 * @deprecated Since 0.2: `createApiKeyAuth` validates its options; it may change.
 */
export function isValidKeyPrefix(value: unknown): value is string {
  return keyFormat.isValidKeyPrefix(value)
}
/**
 * Whether `value` may be the user id embedded in a key (`[A-Za-z0-9_-]{1,64}`).
 * @deprecated Since 0.2: `createKey` validates it; it may change.
 */
export function isValidUserId(value: unknown): value is string {
  return keyFormat.isValidUserId(value)
}
