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

// The grammar of docs/scopes.md, written without the library's regular expression: `*`, or
// `:`-joined non-empty segments of [A-Za-z0-9_.-], the last of several may be `*`; ≤ 100 chars.
const SEGMENT_CHARS = new Set(
  'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-'.split(''),
)
function referenceValid(s: string): boolean {
  if (s.length === 0 || s.length > 100) return false
  if (s === '*') return true
  const parts = s.split(':')
  return parts.every(
    (part, i) =>
      (part === '*' && i === parts.length - 1 && i > 0) ||
      (part.length > 0 && [...part].every((c) => SEGMENT_CHARS.has(c))),
  )
}

// Valid scopes (up to and past the 100-character limit) and near misses: one character of a
// valid scope replaced, inserted or deleted, mostly with characters that matter to the grammar.
const longSegment = fc.stringMatching(/^[a-z0-9]{20,40}$/)
const longScope = fc
  .array(longSegment, { minLength: 3, maxLength: 4 })
  .map((parts) => parts.join(':'))
const validScope = fc.oneof(anyScope, longScope)
const edit = fc.tuple(
  fc.nat(),
  fc.constantFrom('replace', 'insert', 'delete'),
  fc.constantFrom(':', '*', ' ', '\t', 'a', 'Z', '9', '_', '.', '-', '\n', 'é', '/', '::'),
)
const nearMiss = fc.tuple(validScope, edit).map(([scope, [at, how, c]]) => {
  const i = at % (scope.length + 1)
  if (how === 'insert') return scope.slice(0, i) + c + scope.slice(i)
  if (how === 'delete') return scope.slice(0, i) + scope.slice(i + 1)
  return scope.slice(0, i) + c + scope.slice(i + 1)
})
const validOrNearMiss = fc.oneof(validScope, nearMiss)

// The matching rules of docs/scopes.md, written independently of scopeSatisfies: `*` covers
// every scope, `p:*` covers what starts with `p:` and has more after it, otherwise equality.
function referenceSatisfies(granted: string, required: string): boolean {
  if (required.length === 0) return false
  if (granted === '*' || granted === required) return true
  if (!granted.endsWith(':*')) return false
  const parent = granted.slice(0, -1) // `p:`
  return required.startsWith(parent) && required.length > parent.length
}

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
        required.every((r) => granted.some((g) => referenceSatisfies(g, r))),
      )
    },
  )

  test.prop([smallOrStar, smallOrStar], { numRuns: 500 })(
    'scopeSatisfies agrees with the reference on related scopes',
    (granted, required) => {
      expect(scopeSatisfies(granted, required)).toBe(referenceSatisfies(granted, required))
    },
  )

  test.prop([fc.array(smallOrStar, { maxLength: 4 }), fc.array(smallOrStar, { maxLength: 4 })], {
    numRuns: 500,
  })('hasScopes agrees with the reference on related scope lists', (granted, required) => {
    expect(hasScopes(granted, required)).toBe(
      required.every((r) => granted.some((g) => referenceSatisfies(g, r))),
    )
  })

  test.prop([fc.string({ unit: 'binary', maxLength: 120 })], { numRuns: 300 })(
    'validateScope never throws on arbitrary strings and agrees with the reference',
    (s) => {
      expect(validateScope(s)).toBe(referenceValid(s))
    },
  )

  test.prop([validOrNearMiss], { numRuns: 1_000 })(
    'validateScope agrees with a reference grammar on valid scopes and their near misses',
    (s) => {
      const valid = validateScope(s)
      expect(valid).toBe(referenceValid(s))
      if (valid) {
        expect(s.length).toBeLessThanOrEqual(100)
        expect(s).not.toMatch(/\s|^:|:$|::|\*:|^\*.|[^:]\*/)
      }
    },
  )

  test('that generator makes valid scopes often (the `if (valid)` branch runs)', () => {
    const sample = fc.sample(validOrNearMiss, { numRuns: 2_000, seed: 42 })
    const valid = sample.filter((s) => referenceValid(s)).length
    expect(valid / sample.length).toBeGreaterThan(0.3)
    expect(valid / sample.length).toBeLessThan(0.8)
  })
})
