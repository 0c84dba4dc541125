/**
 * `countHeaderLines` (src/lib/count-header-lines.ts), the duplicate-`Authorization` check's
 * counter, against an independent oracle: lower-case every name and compare. Its fast paths
 * (the two usual spellings compared whole, the remembered canonical spelling) must give the
 * same count as the plain comparison for any casing, any other header, any name asked.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { countHeaderLines } from '../../src/lib/count-header-lines.js'

// The oracle: how many names of the raw list equal `name` ignoring ASCII case.
const oracle = (raw: readonly string[], name: string): number =>
  raw.filter((value, i) => i % 2 === 0 && value.toLowerCase() === name).length

const list = (...names: string[]): string[] => names.flatMap((n) => [n, 'value'])

describe('countHeaderLines', () => {
  it('counts every casing of the name, and nothing else', () => {
    const raw = list(
      'Authorization',
      'authorization',
      'AUTHORIZATION',
      'aUtHoRiZaTiOn',
      'Authorizatio',
      'Authorizations',
      'X-Authorization',
      'Authorization ',
      'Host',
    )
    expect(countHeaderLines(raw, 'authorization')).toBe(4)
    expect(countHeaderLines(raw, 'host')).toBe(1)
    expect(countHeaderLines(raw, 'x-authorization')).toBe(1)
  })

  it('reads names only, never values, and no list is 0', () => {
    expect(countHeaderLines(['Host', 'Authorization'], 'authorization')).toBe(0)
    expect(countHeaderLines(undefined, 'authorization')).toBe(0)
    expect(countHeaderLines([], 'authorization')).toBe(0)
  })

  it('a character that differs only by the case bit is not a letter match', () => {
    // '-' (0x2d) | 0x20 is '-'; '@' (0x40) | 0x20 is '`' (0x60); '[' (0x5b) | 0x20 is '{'.
    // Only letters of the name may match their other case.
    expect(countHeaderLines(list('x\rhub'), 'x-hub')).toBe(0)
    expect(countHeaderLines(list('X-HUB', 'x-Hub', 'X\u000dHUB'), 'x-hub')).toBe(2)
    expect(countHeaderLines(list('a{b', 'A[B', 'a[b'), 'a{b')).toBe(1)
    expect(countHeaderLines(list('A`B', 'a@b'), 'a`b')).toBe(1)
  })

  it('the canonical spelling follows the name asked, when names alternate', () => {
    const raw = list('X-Hub-Signature-256', 'Authorization', 'x-hub-signature-256')
    for (let i = 0; i < 3; i++) {
      expect(countHeaderLines(raw, 'x-hub-signature-256')).toBe(2)
      expect(countHeaderLines(raw, 'authorization')).toBe(1)
    }
  })

  it('matches the oracle for any list and any casing', () => {
    const names = ['authorization', 'x-forwarded-for', 'host', 'a', 'x-hub-signature-256']
    const casing = (name: string) =>
      fc
        .array(fc.boolean(), { minLength: name.length, maxLength: name.length })
        .map((upper) => [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(''))
    const header = fc.oneof(
      fc.constantFrom(...names).chain(casing),
      fc.string({ maxLength: 20 }),
      fc.constantFrom('Authorization', 'authorization', 'AUTHORIZATION'),
    )
    fc.assert(
      fc.property(
        fc.array(fc.tuple(header, fc.string({ maxLength: 5 })), { maxLength: 12 }),
        fc.constantFrom(...names),
        (pairs, name) => {
          const raw = pairs.flat()
          expect(countHeaderLines(raw, name)).toBe(oracle(raw, name))
        },
      ),
      { numRuns: 2000 },
    )
  })
})
