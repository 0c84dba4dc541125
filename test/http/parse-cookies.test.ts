import { describe, expect, test } from 'vitest'
import { parseCookies } from '../../src/index.js'

describe('parseCookies', () => {
  test('pairs, whitespace, quotes, percent-encoding', () => {
    expect(parseCookies('a=1; b = two ;c="q"; d=%41%42')).toEqual({
      a: '1',
      b: 'two',
      c: 'q',
      d: 'AB',
    })
  })

  test('the first cookie of a name wins; malformed pieces are skipped', () => {
    expect(parseCookies('s=first; s=second; =x; novalue; e=%E0%A4%A')).toEqual({
      s: 'first',
      e: '%E0%A4%A',
    })
  })

  test('no header, non-strings and oversized headers give no cookies; prototype keys are plain', () => {
    expect(parseCookies(undefined)).toEqual({})
    expect(parseCookies(42)).toEqual({})
    expect(parseCookies(`a=${'x'.repeat(20_000)}`)).toEqual({})
    const cookies = parseCookies('__proto__=1; constructor=2')
    expect(cookies.constructor).toBe('2')
    expect(Object.getPrototypeOf(cookies)).toBeNull()
  })
})
