/** Property tests of the scope laws. */
import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import { hasScopes, scopeSatisfies, validateScope } from '../../src/index.js'

const segment = fc.stringMatching(/^[A-Za-z0-9_.-]{1,8}$/)
const segments = fc.array(segment, { minLength: 1, maxLength: 4 })
const literal = segments.map((s) => s.join(':'))
const wildcard = fc.oneof(
  fc.constant('*'),
  segments.map((s) => `${s.join(':')}:*`),
)
const anyScope = fc.oneof(literal, wildcard)
// A tiny alphabet so that random triples are often related: transitivity gets real cases.
const small = fc
  .tuple(fc.array(fc.constantFrom('a', 'b'), { minLength: 1, maxLength: 3 }), fc.boolean())
  .map(([s, star]) => (star ? `${s.join(':')}:*` : s.join(':')))
const smallOrStar = fc.oneof(small, fc.constant('*'))

describe('scope laws', () => {
  test.prop([anyScope], { numRuns: 300 })(
    'generated scopes are valid and satisfy themselves',
    (s) => {
      expect(validateScope(s)).toBe(true)
      expect(scopeSatisfies(s, s)).toBe(true)
    },
  )

  test.prop([anyScope])('* covers every valid scope', (s) => {
    expect(scopeSatisfies('*', s)).toBe(true)
  })

  test.prop([segments, segments])('a:* covers a:x:y and a:x:*', (head, tail) => {
    const a = head.join(':')
    const rest = tail.join(':')
    expect(scopeSatisfies(`${a}:*`, `${a}:${rest}`)).toBe(true)
    expect(scopeSatisfies(`${a}:*`, `${a}:${rest}:*`)).toBe(true)
    // …but not the bare parent, nor a sibling that only shares a string prefix.
    expect(scopeSatisfies(`${a}:*`, a)).toBe(false)
    expect(scopeSatisfies(`${a}:*`, `${a}x:${rest}`)).toBe(false)
  })

  test.prop([literal, wildcard])('a literal never covers a wildcard', (l, w) => {
    expect(scopeSatisfies(l, w)).toBe(false)
  })

  test.prop([literal, literal])('literals cover only themselves', (a, b) => {
    expect(scopeSatisfies(a, b)).toBe(a === b)
  })

  test.prop([smallOrStar, smallOrStar, smallOrStar], { numRuns: 500 })(
    'coverage is transitive',
    (a, b, c) => {
      if (scopeSatisfies(a, b) && scopeSatisfies(b, c)) expect(scopeSatisfies(a, c)).toBe(true)
    },
  )

  test.prop([literal.filter((s) => s.toUpperCase() !== s)])('matching is case-sensitive', (s) => {
    expect(scopeSatisfies(s.toUpperCase(), s)).toBe(false)
    expect(scopeSatisfies(`${s.toUpperCase()}:*`, `${s}:x`)).toBe(false)
  })

  test.prop([fc.array(anyScope, { maxLength: 5 }), fc.array(anyScope, { maxLength: 5 })])(
    'hasScopes is "every required is covered by some granted"',
    (granted, required) => {
      expect(hasScopes(granted, required)).toBe(
        required.every((r) => granted.some((g) => scopeSatisfies(g, r))),
      )
    },
  )

  test.prop([fc.string({ unit: 'binary', maxLength: 120 })], { numRuns: 300 })(
    'validateScope never throws and rejects the malformed shapes',
    (s) => {
      const valid = validateScope(s)
      if (valid) {
        expect(s.length).toBeLessThanOrEqual(100)
        expect(s).not.toMatch(/\s|^:|:$|::|\*:|^\*.|[^*]\*/)
      }
    },
  )
})
