/**
 * Tests written against mutants of `src/scope.ts` and `src/bearer.ts` that survived the fast
 * suites (test/mutation/equivalent.md lists those no test can kill). Expected values are written
 * out by hand from docs/scopes.md and RFC 6750 / RFC 9110, not computed by the library.
 */
import { describe, expect, it } from 'vitest'
import { parseBearerHeader } from '../../src/bearer.js'
import {
  hasAnyScope,
  hasScopes,
  isAnyOfScopes,
  missingScopes,
  type RequiredScopes,
  scopeSatisfies,
} from '../../src/scope.js'

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

describe('scopes: values that are not strings (a corrupt record, an untyped caller)', () => {
  const scope = (value: unknown): string => value as string

  it('scopeSatisfies answers false for them and never throws, whatever their length', () => {
    // Arrays and array-likes of three or more elements pass a length check meant for strings.
    const odd: unknown[] = [
      ['a', ':', '*'],
      ['models', 'read', 'x'],
      { length: 5 },
      42,
      null,
      undefined,
    ]
    for (const value of odd) {
      expect([value, scopeSatisfies(scope(value), 'models:read')]).toEqual([value, false])
      expect([value, scopeSatisfies('models:*', scope(value))]).toEqual([value, false])
      expect([value, scopeSatisfies('*', scope(value))]).toEqual([value, false])
    }
  })

  it('hasScopes: a corrupt element among the grants covers nothing and breaks nothing', () => {
    const grants = (...values: unknown[]): string[] => values as string[]
    expect(hasScopes(grants(['j', 'o', 'b', 's', ':', '*']), ['jobs:run'])).toBe(false)
    expect(hasScopes(grants(['a', 'b', 'c'], 'jobs:*'), ['jobs:run'])).toBe(true)
    expect(hasScopes(['jobs:*'], grants(['j', 'o', 'b']))).toBe(false)
  })
})

describe('scopes: missingScopes with values that are not arrays', () => {
  const list = (value: unknown): readonly string[] => value as readonly string[]

  it('a requirement that is not an array asks for nothing, whatever is granted', () => {
    // A string must not be read as a list of one-character scopes.
    for (const granted of [[], ['jobs:run'], ['m']]) {
      expect([granted, missingScopes(granted, list('models:read'))]).toEqual([granted, []])
      expect([granted, missingScopes(granted, list(42))]).toEqual([granted, []])
      expect([granted, missingScopes(granted, list({ length: 2 }))]).toEqual([granted, []])
    }
  })

  it('a grant that is not an array covers nothing, whatever the requirement names', () => {
    // "Stryker was here" is the element StrykerJS puts into a mutated empty array: a corrupt
    // grant must not turn into a list that covers it.
    for (const granted of [null, undefined, 'Stryker was here', 42]) {
      expect(missingScopes(list(granted), ['Stryker was here', 'models:read'])).toEqual([
        'Stryker was here',
        'models:read',
      ])
    }
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

describe('bearer: a field over the 576-character cap is judged on its first 576 characters', () => {
  // docs/errors.md: only the first 576 characters of a field are read (the 512-character token
  // cap plus room for OWS), and a Bearer attempt that runs into the cap is `too_long`. Each case
  // puts the end of a scan (scheme, spaces, padding) exactly at the cap with more of the same
  // character after it, where reading one character further would change the verdict.
  const reasonOf = (value: string): unknown => {
    try {
      parseBearerHeader(value)
      return 'accepted'
    } catch (error) {
      return [(error as { code?: unknown }).code, (error as { reason?: unknown }).reason]
    }
  }
  const tooLong = ['INVALID_FORMAT', 'too_long']

  it('the scheme ends at the cap: a Bearer attempt cut short, whatever follows', () => {
    // 570 + 6 = 576: the characters read are OWS and `Bearer`.
    const field = `${' '.repeat(570)}Bearer${'x'.repeat(10)}`
    expect(field.length).toBeGreaterThan(576)
    expect(reasonOf(field)).toEqual(tooLong)
  })

  it('spaces after the scheme run into the cap', () => {
    expect(reasonOf(`Bearer${' '.repeat(600)}`)).toEqual(tooLong)
  })

  it('token68 padding runs into the cap, with or without a token before it', () => {
    expect(reasonOf(`Bearer a${'='.repeat(600)}`)).toEqual(tooLong)
    expect(reasonOf(`Bearer ${'='.repeat(600)}`)).toEqual(tooLong)
  })

  it('a token that runs into the cap is too long even when the part read is under 512 characters', () => {
    // 100 + 7 = 107 characters before the token: 469 of it are read, and the rest is not seen.
    const field = `${' '.repeat(100)}Bearer ${'a'.repeat(600)}`
    expect(reasonOf(field)).toEqual(tooLong)
  })

  it('more than one token past the cap is still a malformed header, not a long token', () => {
    expect(reasonOf(`Bearer abc def${'a'.repeat(600)}`)).toEqual([
      'INVALID_FORMAT',
      'malformed_header',
    ])
  })
})

describe('bearer: the scheme glued to a token68 character that is no tchar', () => {
  it('`Bearer/abc` is a malformed header, never the token `/abc`', () => {
    // `/` may appear in a token68 (RFC 6750 §2.1) but not in a scheme (RFC 9110 tchar): the
    // scheme `Bearer` ends there, and no SP follows it.
    for (const field of ['Bearer/abc', 'bearer/', 'Bearer//x==']) {
      let outcome: unknown = 'accepted'
      try {
        outcome = parseBearerHeader(field)
      } catch (error) {
        outcome = [(error as { code?: unknown }).code, (error as { reason?: unknown }).reason]
      }
      expect([field, outcome]).toEqual([field, ['INVALID_FORMAT', 'malformed_header']])
    }
  })
})
