/** `validateScope`, `scopeSatisfies`, `hasScopes`, `missingScopes`. */
import { describe, expect, it } from 'vitest'
import { hasScopes, MAX_SCOPE_LENGTH, scopeSatisfies, validateScope } from '../src/index.js'
import { missingScopes } from '../src/scope.js'

describe('scopes', () => {
  it('validates the grammar', () => {
    for (const good of [
      '*',
      'models',
      'models:read',
      'models:*',
      'a:b:c',
      'a:b:*',
      'a_b.c-d:x',
      'x'.repeat(100),
    ]) {
      expect(validateScope(good), good).toBe(true)
    }
    for (const bad of [
      '',
      ' ',
      'models:',
      ':read',
      '*:read',
      'models:*:read',
      '**',
      'a::b',
      'a b',
      ' a',
      'a\n',
      'a:*:*',
      '*a',
      'é',
      'x'.repeat(MAX_SCOPE_LENGTH + 1),
      42,
      null,
    ]) {
      expect(validateScope(bad), JSON.stringify(bad)).toBe(false)
    }
  })

  it('matches per the rules in docs/scopes.md', () => {
    expect(scopeSatisfies('*', 'models:read')).toBe(true)
    expect(scopeSatisfies('models:*', 'models:read')).toBe(true)
    expect(scopeSatisfies('models:*', 'models:a:b')).toBe(true)
    expect(scopeSatisfies('models:*', 'models')).toBe(false)
    expect(scopeSatisfies('models:*', 'modelsx:read')).toBe(false)
    expect(scopeSatisfies('models:read', 'models:*')).toBe(false)
    expect(scopeSatisfies('models:*', 'models:*')).toBe(true)
    expect(scopeSatisfies('*', '*')).toBe(true)
    expect(scopeSatisfies('models:*', '*')).toBe(false)
    expect(scopeSatisfies('*', '')).toBe(false)
    expect(scopeSatisfies('', '')).toBe(false)
  })

  it('a:* covers a one-character child, whose length equals the wildcard’s (fixed examples)', () => {
    // `jobs:*` and `jobs:x` have the same length: a `<=` instead of `<` in the length guard
    // would refuse exactly these.
    expect(scopeSatisfies('jobs:*', 'jobs:x')).toBe(true)
    expect(scopeSatisfies('j:*', 'j:x')).toBe(true)
    expect(scopeSatisfies('a:b:*', 'a:b:c')).toBe(true)
    expect(scopeSatisfies('jobs:*', 'jobs:x:y')).toBe(true)
    expect(hasScopes(['jobs:*'], ['jobs:x'])).toBe(true)
    // …but never the bare parent with its colon, a shorter string, or a one-character sibling.
    expect(scopeSatisfies('j:*', 'j:')).toBe(false)
    expect(scopeSatisfies('j:*', 'j')).toBe(false)
    expect(scopeSatisfies('jobs:*', 'jobx:x')).toBe(false)
    expect(scopeSatisfies('j:*', 'k:x')).toBe(false)
  })

  it('only a trailing ":*" makes a wildcard; anything else is matched literally', () => {
    // Strings the grammar refuses, given straight to the matcher: still never a wildcard.
    expect(scopeSatisfies('models*', 'modelsX')).toBe(false)
    expect(scopeSatisfies('ab*', 'abc')).toBe(false)
    expect(scopeSatisfies(':*', ':x')).toBe(false)
    expect(scopeSatisfies('*:', '*:x')).toBe(false)
    // Literals that share all but their last character do not cover each other.
    expect(scopeSatisfies('a:b', 'a:c')).toBe(false)
    expect(scopeSatisfies('jobs:r', 'jobs:w')).toBe(false)
    expect(scopeSatisfies('jobs:r', 'jobs:rw')).toBe(false)
  })

  it('hasScopes needs every required scope and fails closed on non-arrays', () => {
    expect(hasScopes(['models:read', 'jobs:*'], ['models:read', 'jobs:run'])).toBe(true)
    expect(hasScopes(['models:read'], ['models:read', 'jobs:run'])).toBe(false)
    expect(hasScopes([], [])).toBe(true)
    // A corrupt granted value grants nothing, and nothing is all an empty requirement needs.
    expect(hasScopes(null as unknown as string[], [])).toBe(true)
    expect(hasScopes([], ['models:read'])).toBe(false)
    expect(hasScopes('*' as unknown as string[], ['models:read'])).toBe(false)
    expect(hasScopes(null as unknown as string[], ['models:read'])).toBe(false)
    expect(hasScopes(['*'], 'models:read' as unknown as string[])).toBe(false)
  })

  it('missingScopes lists every required scope not covered, in the required order, once each', () => {
    // Expected values written out by hand from the rules of docs/scopes.md, not computed.
    const table: [string[], string[], string[]][] = [
      [['models:read'], ['models:read'], []],
      [[], ['models:read', 'jobs:read'], ['models:read', 'jobs:read']],
      [
        ['models:read'],
        ['models:read', 'jobs:read', 'account:read'],
        ['jobs:read', 'account:read'],
      ],
      [
        ['upload:*'],
        ['account:read', 'jobs:read', 'models:read'],
        ['account:read', 'jobs:read', 'models:read'],
      ],
      [['jobs:*'], ['models:read', 'jobs:read', 'account:read'], ['models:read', 'account:read']],
      [['*'], ['models:read', 'jobs:write', '*'], []],
      [['models:*'], ['*', 'models:*', 'models:read'], ['*']],
      [['models:read'], ['models:*'], ['models:*']],
      // One-character children of a wildcard are covered; the bare parent is not.
      [['jobs:*'], ['jobs:x', 'jobs:y:z', 'jobs:1'], []],
      [['a:*'], ['a:b', 'a', 'b:a'], ['a', 'b:a']],
      [['jobs:*'], ['jobsx:r', 'jobs'], ['jobsx:r', 'jobs']],
      // Case-sensitive; a scope required twice is named once.
      [
        ['Models:Read'],
        ['models:read', 'models:read', 'jobs:read', 'models:read'],
        ['models:read', 'jobs:read'],
      ],
      [['jobs:read'], [], []],
    ]
    for (const [granted, required, expected] of table) {
      expect([granted, required, missingScopes(granted, required)]).toEqual([
        granted,
        required,
        expected,
      ])
    }
  })

  it('missingScopes: a corrupt grant covers nothing; a non-array requirement asks for nothing', () => {
    for (const granted of [null, undefined, '*', 42, { 0: '*' }]) {
      expect(missingScopes(granted as unknown as string[], ['models:read', 'jobs:read'])).toEqual([
        'models:read',
        'jobs:read',
      ])
    }
    expect(missingScopes([42, null, '*'] as unknown as string[], ['models:read'])).toEqual([])
    expect(missingScopes([42, null] as unknown as string[], ['models:read'])).toEqual([
      'models:read',
    ])
    expect(missingScopes(['*'], 'models:read' as unknown as string[])).toEqual([])
  })
})
