/**
 * The scope registry: which scopes keys may be granted and routes may require. Internal.
 * @module
 */
import { AuthError } from '../errors.js'
import {
  type AnyOfScopes,
  isAnyOfScopes,
  type RequiredScopes,
  scopeSatisfies,
  validateScope,
} from '../scope.js'

/** The registry of known scopes, or none (`undefined`: every well-formed scope is known). */
export interface ScopeRegistry {
  /** The granted scopes the registry does not list exactly (`*` is always allowed). */
  unknownGranted(scopes: readonly string[]): string[]
  /**
   * Checks scopes a route will require, once at set-up: each must be well formed and, with a
   * registry, covered by it. @throws `CONFIGURATION_ERROR`.
   */
  checkRouteScopes(scopes: readonly string[]): readonly string[]
  checkRouteScopes(scopes: AnyOfScopes): AnyOfScopes
  checkRouteScopes(scopes: RequiredScopes): RequiredScopes
}

// Each scope well formed and, with a registry, covered by it.
function checkEach(scopes: readonly unknown[], known: readonly string[] | undefined): void {
  for (const scope of scopes) {
    const ok =
      validateScope(scope) &&
      (known === undefined ||
        scope === '*' ||
        // `*` in the registry covers everything, so it cannot vouch for a typo'd scope.
        known.some((entry) => entry !== '*' && scopeSatisfies(entry, scope)))
    if (!ok) {
      throw new AuthError('CONFIGURATION_ERROR', {
        message: `Unknown or malformed required scope: ${JSON.stringify(scope)}`,
      })
    }
  }
}

/** Builds the registry from the `scopes` option. */
export function createScopeRegistry(known: readonly string[] | undefined): ScopeRegistry {
  return {
    unknownGranted: (scopes) =>
      known === undefined ? [] : scopes.filter((s) => s !== '*' && !known.includes(s)),
    checkRouteScopes: ((scopes: RequiredScopes): RequiredScopes => {
      if (isAnyOfScopes(scopes)) {
        // Read once: a getter must not answer one list here and another per request.
        const anyOf: unknown = scopes.anyOf
        if (!Array.isArray(anyOf) || anyOf.length === 0) {
          throw new AuthError('CONFIGURATION_ERROR', {
            message: 'Required scopes { anyOf } must be a non-empty array of scope strings',
          })
        }
        checkEach(anyOf, known)
        return Object.freeze({ anyOf: Object.freeze([...(anyOf as string[])]) })
      }
      if (!Array.isArray(scopes)) {
        throw new AuthError('CONFIGURATION_ERROR', { message: 'Required scopes must be an array' })
      }
      checkEach(scopes, known)
      return Object.freeze([...scopes])
    }) as ScopeRegistry['checkRouteScopes'],
  }
}
