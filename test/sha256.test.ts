/**
 * The plain-JavaScript SHA-256 and HMAC-SHA256 used where node:crypto is missing, against
 * node:crypto (an independent implementation) on the lengths where padding changes shape.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto'
import { fc, test as prop } from '@fast-check/vitest'
import { describe, expect, test, vi } from 'vitest'
import { createKeyHasher, hashApiKey } from '../src/hash.js'
import { createHmacSha256, sha256Hex } from '../src/lib/sha256.js'

const lengths = [0, 1, 31, 32, 54, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 70_000]

describe('sha256Hex', () => {
  test('FIPS 180-4 examples', () => {
    expect(sha256Hex('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    )
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
  })

  test('every padding boundary, ASCII and multi-byte UTF-8, matches node:crypto', () => {
    for (const length of lengths) {
      for (const text of ['a'.repeat(length), 'é'.repeat(length), '😀'.repeat(length)]) {
        expect(sha256Hex(text)).toBe(createHash('sha256').update(text, 'utf8').digest('hex'))
      }
    }
  })

  prop.prop([fc.string({ unit: 'grapheme', maxLength: 300 })])('any string', (text) => {
    expect(sha256Hex(text)).toBe(createHash('sha256').update(text, 'utf8').digest('hex'))
  })
})

describe('createHmacSha256', () => {
  test('RFC 4231 test case 2', () => {
    expect(createHmacSha256(new TextEncoder().encode('Jefe'))('what do ya want for nothing?')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    )
  })

  test('keys shorter than, equal to and longer than a block; messages at every boundary', () => {
    for (const keyLength of [1, 32, 63, 64, 65, 200]) {
      const key = randomBytes(keyLength)
      const hmac = createHmacSha256(new Uint8Array(key))
      for (const length of lengths) {
        const text = 'k'.repeat(length)
        expect(hmac(text)).toBe(createHmac('sha256', key).update(text, 'utf8').digest('hex'))
      }
    }
  })

  prop.prop([fc.uint8Array({ minLength: 1, maxLength: 100 }), fc.string({ maxLength: 200 })])(
    'any key and message',
    (key, text) => {
      expect(createHmacSha256(key)(text)).toBe(
        createHmac('sha256', key).update(text, 'utf8').digest('hex'),
      )
    },
  )
})

describe('hashing without node:crypto (workerd without nodejs_compat)', () => {
  test('the same digests, peppered or not, string or bytes pepper', async () => {
    vi.resetModules()
    vi.doMock('../src/lib/node-crypto.js', () => ({ nodeCrypto: undefined }))
    try {
      const web = await import('../src/hash.js')
      const key = 'vydra_live_user_u1_' + 'A'.repeat(38)
      expect(web.hashApiKey(key)).toBe(hashApiKey(key))
      expect(web.createKeyHasher()(key)).toBe(createKeyHasher()(key))
      for (const pepper of ['pep', 'p'.repeat(100), new Uint8Array([1, 2, 3])]) {
        expect(web.createKeyHasher(pepper)(key)).toBe(createKeyHasher(pepper)(key))
        expect(web.hashApiKey(key, pepper)).toBe(hashApiKey(key, pepper))
      }
    } finally {
      vi.doUnmock('../src/lib/node-crypto.js')
      vi.resetModules()
    }
  })
})
