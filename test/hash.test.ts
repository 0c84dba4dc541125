/** `hashApiKey`: SHA-256, or HMAC-SHA256 with a pepper. */
import { createHash, createHmac } from 'node:crypto'
import { createRequire, syncBuiltinESMExports } from 'node:module'
import { describe, expect, it, vi } from 'vitest'
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

describe('hashing details', () => {
  // Known answers computed outside Node: `printf %s KEY | sha256sum` and
  // `printf %s KEY | openssl dgst -sha256 -hmac pep`.
  const KEY = 'vydra_live_user_u123_0123456789ABCDEFGHIJKLMNOPQRSTUV4Dam3h'
  const SHA256 = '6a5ba6a8db464e093e1e132fb82c18adb40db5543c96780c7ef256736bc3b135'
  const HMAC = '161e144858d3b47583f3b979507d2f7d6cfea8881bcae3c279bc8cd6e37d36f3'

  it('matches digests computed by other tools, for string and byte peppers', () => {
    expect(hashApiKey(KEY)).toBe(SHA256)
    expect(hashApiKey(KEY, 'pep')).toBe(HMAC)
    expect(createKeyHasher()(KEY)).toBe(SHA256)
    // An empty pepper is refused, never read as none (issue 9, finding 6).
    expect(() => createKeyHasher('')).toThrow(
      expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
    )
    expect(createKeyHasher('pep')(KEY)).toBe(HMAC)
    expect(createKeyHasher(new TextEncoder().encode('pep'))(KEY)).toBe(HMAC)
  })

  it('refuses a key that is not a string and a pepper of another type, with their messages', () => {
    expect(() => hashApiKey(42 as unknown as string)).toThrow(
      expect.objectContaining({ code: 'INVALID_FORMAT' }),
    )
    for (const pepper of [42, {}, ['pep']]) {
      for (const call of [
        () => hashApiKey(KEY, pepper as string),
        () => createKeyHasher(pepper as string),
      ]) {
        expect(call).toThrow(
          expect.objectContaining({
            code: 'CONFIGURATION_ERROR',
            message: 'The pepper must be a string or bytes',
          }),
        )
      }
    }
  })

  it('without the one-shot crypto.hash (Node < 20.12) the digests are the same', async () => {
    const nodeCrypto = createRequire(import.meta.url)('node:crypto') as { hash?: unknown }
    const oneShot = nodeCrypto.hash
    nodeCrypto.hash = undefined
    syncBuiltinESMExports()
    let fresh: typeof import('../src/hash.js')
    try {
      vi.resetModules()
      fresh = await import('../src/hash.js')
    } finally {
      nodeCrypto.hash = oneShot
      syncBuiltinESMExports()
    }
    expect(fresh.hashApiKey(KEY)).toBe(SHA256)
    expect(fresh.createKeyHasher()(KEY)).toBe(SHA256)
    expect(fresh.hashApiKey(KEY, 'pep')).toBe(HMAC)
  })
})
