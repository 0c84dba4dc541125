/**
 * Tests written against mutants of `src/scope.ts` and `src/bearer.ts` that survived the fast
 * suites (test/mutation/equivalent.md lists those no test can kill). Expected values are written
 * out by hand from docs/scopes.md and RFC 6750 / RFC 9110, not computed by the library.
 */
import { describe, expect, it } from 'vitest'
import { parseBearerHeader } from '../../src/bearer.js'
import { hasAnyScope, isAnyOfScopes, type RequiredScopes } from '../../src/scope.js'

const required = (value: unknown): RequiredScopes | undefined => value as RequiredScopes

describe('scopes: the any-of form', () => {
  it('is an object with an own or inherited anyOf, never an array, a string, null or undefined', () => {
    expect(isAnyOfScopes({ anyOf: ['models:read'] })).toBe(true)
    expect(isAnyOfScopes({ anyOf: [] })).toBe(true)
    // The form is decided by the shape alone: what anyOf holds is checked at set-up.
    expect(isAnyOfScopes(required({ anyOf: 'models:read' }))).toBe(true)
    expect(isAnyOfScopes(required({}))).toBe(false)
    expect(isAnyOfScopes(required({ allOf: ['models:read'] }))).toBe(false)
    expect(isAnyOfScopes(['models:read'])).toBe(false)
    expect(isAnyOfScopes([])).toBe(false)
    // An array is the all-of form even when it carries an `anyOf` property.
    expect(isAnyOfScopes(Object.assign(['models:read'], { anyOf: ['jobs:read'] }))).toBe(false)
    // Asking about anything else answers false and never throws.
    for (const value of [undefined, null, 'models:read', 42, true]) {
      expect(isAnyOfScopes(required(value)), String(value)).toBe(false)
    }
  })

  it('hasAnyScope: one covered alternative is enough; none, or nothing to hold, is not', () => {
    expect(hasAnyScope(['models:read'], ['models:write', 'models:read'])).toBe(true)
    expect(hasAnyScope(['jobs:*'], ['models:read', 'jobs:x'])).toBe(true)
    expect(hasAnyScope(['models:read', 'jobs:run'], ['jobs:run'])).toBe(true)
    expect(hasAnyScope(['*'], ['account:read'])).toBe(true)
    expect(hasAnyScope(['models:read'], ['models:write', 'jobs:run'])).toBe(false)
    expect(hasAnyScope(['models:read'], ['models:*'])).toBe(false)
    expect(hasAnyScope([], ['models:read'])).toBe(false)
    // An empty any-of list is never satisfied, not even by `*`.
    expect(hasAnyScope(['*'], [])).toBe(false)
  })

  it('hasAnyScope: non-array grants or alternatives are never satisfied (fail closed)', () => {
    const list = (value: unknown): readonly string[] => value as readonly string[]
    // A string is not a list of one: its characters must not be read as scopes.
    expect(hasAnyScope(['*'], list('models:read'))).toBe(false)
    expect(hasAnyScope(list('*'), ['models:read'])).toBe(false)
    expect(hasAnyScope(list(null), ['models:read'])).toBe(false)
    expect(hasAnyScope(['*'], list(undefined))).toBe(false)
    expect(hasAnyScope(list({ 0: '*', length: 1 }), ['models:read'])).toBe(false)
  })
})

describe('bearer: a scheme glued to a token character', () => {
  it('is one longer scheme (unsupported_scheme), for every RFC 9110 tchar that is not alphanumeric', () => {
    // RFC 9110 §5.6.2 tchar, written out: "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" /
    // "." / "^" / "_" / "`" / "|" / "~". `Bearer!abc` is the scheme `Bearer!abc`, not Bearer.
    for (const c of "!#$%&'*+-.^_`|~") {
      let reason: unknown
      try {
        parseBearerHeader(`Bearer${c}abc`)
      } catch (error) {
        reason = (error as { reason?: unknown }).reason
      }
      expect([c, reason]).toEqual([c, 'unsupported_scheme'])
    }
  })
})
