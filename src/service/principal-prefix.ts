/**
 * The display prefix of a verified key, by its principal: the principal itself holds no prefix
 * (its shape is public and shared by every request), but events about a charged key name it
 * (`limit.hit`). Set once per cached key, read only when an event is built. Internal.
 * @module
 */
import type { ApiKeyPrincipal } from '../types.js'

const prefixes = new WeakMap<ApiKeyPrincipal, string>()

/** Records the display prefix of the key `principal` stands for. */
export function rememberKeyPrefix(principal: ApiKeyPrincipal, keyPrefix: string): void {
  prefixes.set(principal, keyPrefix)
}

/** The display prefix of the key behind `principal`, or `null` for a principal built elsewhere. */
export function keyPrefixOf(principal: ApiKeyPrincipal): string | null {
  return prefixes.get(principal) ?? null
}
