/**
 * Scopes: `segment(:segment)*` or `*`; a granted scope ending in `:*` covers everything under it.
 * @module
 */

/** Longest scope accepted. */
export const MAX_SCOPE_LENGTH = 100

const SCOPE_PATTERN = /^[A-Za-z0-9_.-]+(?::[A-Za-z0-9_.-]+)*(?::\*)?$/

/**
 * True when `scope` is well formed: `*`, or segments of `[A-Za-z0-9_.-]` joined by `:`, optionally
 * ending in `:*`, at most {@link MAX_SCOPE_LENGTH} characters. Rejects `models:`, `:read`,
 * `*:read`, `models:*:read`, empty strings and whitespace.
 *
 * @example
 * ```ts
 * validateScope('models:*')      // true
 * validateScope('models:*:read') // false
 * ```
 */
export function validateScope(scope: unknown): scope is string {
  if (typeof scope !== 'string' || scope.length === 0 || scope.length > MAX_SCOPE_LENGTH) {
    return false
  }
  return scope === '*' || SCOPE_PATTERN.test(scope)
}

/**
 * True when the `granted` scope covers the `required` one. `*` covers all; `a:*` covers every
 * scope under `a:` (including `a:b:*`); a required scope is otherwise matched literally and
 * case-sensitively, so requiring `models:*` is satisfied only by `models:*` or `*`.
 *
 * @example
 * ```ts
 * scopeSatisfies('models:*', 'models:read') // true
 * scopeSatisfies('models:read', 'models:*') // false
 * ```
 */
export function scopeSatisfies(granted: string, required: string): boolean {
  if (typeof granted !== 'string' || typeof required !== 'string') return false
  if (granted === '*' || granted === required) return required.length > 0
  const length = granted.length
  if (
    length < 3 ||
    granted.charCodeAt(length - 1) !== 42 ||
    granted.charCodeAt(length - 2) !== 58
  ) {
    return false
  }
  // `a:*` covers `a:` followed by at least one more character; compared in place, no slice.
  if (required.length < length) return false
  for (let i = 0; i < length - 1; i++) {
    if (required.charCodeAt(i) !== granted.charCodeAt(i)) return false
  }
  return true
}

/**
 * True when every required scope is covered by at least one granted scope. A `granted` value that
 * is not an array (a corrupt record) grants nothing; a `required` value that is not an array is
 * never satisfied.
 *
 * @example
 * ```ts
 * hasScopes(['models:read', 'jobs:*'], ['models:read', 'jobs:write']) // true
 * hasScopes(['models:read'], ['models:read', 'jobs:read'])            // false
 * ```
 */
export function hasScopes(granted: readonly string[], required: readonly string[]): boolean {
  // Anything but arrays (corrupt records, untyped callers) grants nothing beyond "nothing required".
  if (!Array.isArray(required)) return false
  if (!Array.isArray(granted)) return required.length === 0
  outer: for (let r = 0; r < required.length; r++) {
    const need = required[r] as string
    for (let g = 0; g < granted.length; g++) {
      if (scopeSatisfies(granted[g] as string, need)) continue outer
    }
    return false
  }
  return true
}

/**
 * Every required scope that `granted` does not cover, in the order `required` lists them, each
 * once: what a 403 names in its `scope` challenge attribute and `requiredScopes` (RFC 6750 §3).
 * Empty when every required scope is covered. A `granted` value that is not an array (a corrupt
 * record) covers nothing; a `required` value that is not an array requires nothing here (callers
 * refuse it before asking).
 *
 * @example
 * ```ts
 * missingScopes(['models:read', 'jobs:*'], ['models:read', 'jobs:x', 'account:read'])
 * // ['account:read']
 * ```
 * @internal
 */
export function missingScopes(granted: readonly string[], required: readonly string[]): string[] {
  if (!Array.isArray(required)) return []
  const held: readonly string[] = Array.isArray(granted) ? granted : []
  const missing: string[] = []
  for (const need of required) {
    if (missing.includes(need)) continue
    if (!held.some((scope) => scopeSatisfies(scope, need))) missing.push(need)
  }
  return missing
}

/**
 * Scopes of which a key must hold at least one (any-of), beside the plain array whose scopes it
 * must hold all of.
 *
 * @example
 * ```ts
 * await auth.verifyKey(key, { scopes: { anyOf: ['models:read', 'models:admin'] } })
 * ```
 */
export interface AnyOfScopes {
  /** The alternatives, at least one; a key holding any one of them passes. */
  readonly anyOf: readonly string[]
}

/**
 * What a route may require: every scope of an array (all-of), or at least one of `anyOf`.
 */
export type RequiredScopes = readonly string[] | AnyOfScopes

/**
 * True when `required` is the any-of form (an object with `anyOf`, not an array). Its `anyOf` is
 * not checked here. @internal
 */
export function isAnyOfScopes(required: RequiredScopes | undefined): required is AnyOfScopes {
  return (
    typeof required === 'object' &&
    required !== null &&
    !Array.isArray(required) &&
    'anyOf' in required
  )
}

/**
 * True when some scope of `anyOf` is covered by `granted`. An empty or non-array `anyOf` is
 * never satisfied (nothing to hold is not a way in). @internal
 */
export function hasAnyScope(granted: readonly string[], anyOf: readonly string[]): boolean {
  if (!Array.isArray(anyOf) || !Array.isArray(granted)) return false
  for (let r = 0; r < anyOf.length; r++) {
    const need = anyOf[r] as string
    for (let g = 0; g < granted.length; g++) {
      if (scopeSatisfies(granted[g] as string, need)) return true
    }
  }
  return false
}
