/** `hashApiKey`: SHA-256, or HMAC-SHA256 with a pepper. */
import { createHash, createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { generateApiKey, hashApiKey } from '../src/index.js'
import { createKeyHasher, digestsEqual } from '../src/hash.js'

describe('hashApiKey', () => {
  it('is SHA-256 hex without a pepper and HMAC-SHA256 hex with one', () => {
    const key = generateApiKey('u')
    expect(hashApiKey(key)).toBe(createHash('sha256').update(key).digest('hex'))
    expect(hashApiKey(key, 'pep')).toBe(createHmac('sha256', 'pep').update(key).digest('hex'))
    expect(hashApiKey(key, new TextEncoder().encode('pep'))).toBe(hashApiKey(key, 'pep'))
    // An empty pepper is refused, never read as "no pepper" (0.1.0 hashed it as plain SHA-256).
    expect(() => hashApiKey(key, '')).toThrow(
      expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
    )
    expect(() => createKeyHasher(new Uint8Array(0))).toThrow(
      expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
    )
  })

  it('the bound hasher agrees with hashApiKey', () => {
    const key = generateApiKey('u')
    expect(createKeyHasher()(key)).toBe(hashApiKey(key))
    expect(createKeyHasher('pep')(key)).toBe(hashApiKey(key, 'pep'))
    expect(createKeyHasher(new Uint8Array([1, 2, 3]))(key)).toBe(
      hashApiKey(key, new Uint8Array([1, 2, 3])),
    )
  })

  it('digestsEqual compares equal and unequal lengths without throwing', () => {
    const d = hashApiKey('a')
    expect(digestsEqual(d, d)).toBe(true)
    expect(digestsEqual(d, hashApiKey('b'))).toBe(false)
    expect(digestsEqual(d, d.slice(1))).toBe(false)
    expect(digestsEqual(d, '')).toBe(false)
  })
})
