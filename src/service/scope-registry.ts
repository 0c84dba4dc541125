/**
 * The scope registry: which scopes keys may be granted and routes may require. Internal.
 * @module
 */
import { AuthError } from '../errors.js'
import { scopeSatisfies, validateScope } from '../scope.js'

/** The registry of known scopes, or none (`undefined`: every well-formed scope is known). */
export interface ScopeRegistry {
  /** The granted scopes the registry does not list exactly (`*` is always allowed). */
  unknownGranted(scopes: readonly string[]): string[]
  /**
   * Checks scopes a route will require, once at set-up: each must be well formed and, with a
   * registry, covered by it. @throws `CONFIGURATION_ERROR`.
   */
  checkRouteScopes(scopes: readonly string[]): readonly string[]
}

/** Builds the registry from the `scopes` option. */
export function createScopeRegistry(known: readonly string[] | undefined): ScopeRegistry {
  return {
    unknownGranted: (scopes) =>
      known === undefined ? [] : scopes.filter((s) => s !== '*' && !known.includes(s)),
    checkRouteScopes: (scopes) => {
      if (!Array.isArray(scopes)) {
        throw new AuthError('CONFIGURATION_ERROR', { message: 'Required scopes must be an array' })
      }
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
      return Object.freeze([...scopes])
    },
  }
}
