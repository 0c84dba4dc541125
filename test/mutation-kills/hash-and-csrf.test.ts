/**
 * Hashing and CSRF details written against surviving mutants (docs/testing.md, mutation
 * testing): the message of an empty pepper, a byte pepper changed after use, and an unreadable
 * own origin that trusts nothing.
 */
import { createHash, createHmac } from 'node:crypto'
import { createRequire, syncBuiltinESMExports } from 'node:module'
import { describe, expect, it, vi } from 'vitest'
import { checkCsrf, hashApiKey } from '../../src/index.js'
import { createBinaryKeyHasher, createKeyHasher } from '../../src/hash.js'

const codeOf = (fn: () => void): string => {
  try {
    fn()
    return 'ok'
  } catch (error) {
    return (error as { code: string }).code
  }
}

describe('hashing: an empty pepper', () => {
  it('is refused with a message that says so, as a string and as bytes', () => {
    for (const call of [
      () => hashApiKey('k', ''),
      () => hashApiKey('k', new Uint8Array(0)),
      () => createKeyHasher(''),
      () => createKeyHasher(new Uint8Array(0)),
    ]) {
      expect(call).toThrow(
        expect.objectContaining({
          code: 'CONFIGURATION_ERROR',
          message: 'The pepper must not be empty',
        }),
      )
    }
  })
})

describe('hashing: a byte pepper the caller changes later', () => {
  // The reason the `pepper.slice()` mutant of src/hash.ts is listed as equivalent: both hashers
  // copy the key material when they are made (node:crypto's createSecretKey, the JavaScript
  // HMAC's precomputed pads), so later writes to the caller's array change no digest.
  const KEY = 'vydra_live_user_u1_' + 'A'.repeat(38)
  const expected = createHmac('sha256', Buffer.from([1, 2, 3]))
    .update(KEY)
    .digest('hex')

  it('with node:crypto: the digest stays that of the bytes given', () => {
    const pepper = new Uint8Array([1, 2, 3])
    const hasher = createKeyHasher(pepper)
    pepper.fill(9)
    expect(hasher(KEY)).toBe(expected)
  })

  it('without node:crypto: the same', async () => {
    vi.resetModules()
    vi.doMock('../../src/lib/node-crypto.js', () => ({ nodeCrypto: undefined }))
    try {
      const web = await import('../../src/hash.js')
      const pepper = new Uint8Array([1, 2, 3])
      const hasher = web.createKeyHasher(pepper)
      pepper.fill(9)
      expect(hasher(KEY)).toBe(expected)
    } finally {
      vi.doUnmock('../../src/lib/node-crypto.js')
      vi.resetModules()
    }
  })
})

describe('hashing: the binary digest the verification cache is keyed by', () => {
  // Known answers from node:crypto's own digests, as 32 one-byte characters (latin1).
  const KEY = 'vydra_live_user_u1_' + 'A'.repeat(38) + 'é'
  const latin1 = (digest: Buffer): string => digest.toString('latin1')
  const plain = latin1(createHash('sha256').update(KEY, 'utf8').digest())
  const peppered = latin1(createHmac('sha256', 'pep').update(KEY, 'utf8').digest())

  it('is the SHA-256 or HMAC-SHA256 of the key as 32 bytes, for string and byte peppers', () => {
    for (const [pepper, expected] of [
      [undefined, plain],
      ['pep', peppered],
      [new TextEncoder().encode('pep'), peppered],
    ] as const) {
      const hasher = createBinaryKeyHasher(pepper)
      expect(hasher?.(KEY)).toBe(expected)
      expect(hasher?.(KEY)).toHaveLength(32)
    }
  })

  it('refuses the peppers createKeyHasher refuses, with the same messages', () => {
    for (const pepper of ['', new Uint8Array(0), 42, ['pep']]) {
      expect(() => createBinaryKeyHasher(pepper as string)).toThrow(
        expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
      )
    }
  })

  it('a byte pepper changed by the caller afterwards changes no digest', () => {
    const pepper = new Uint8Array([1, 2, 3])
    const hasher = createBinaryKeyHasher(pepper)
    pepper.fill(9)
    expect(hasher?.(KEY)).toBe(
      latin1(
        createHmac('sha256', Buffer.from([1, 2, 3]))
          .update(KEY)
          .digest(),
      ),
    )
  })

  it('without the one-shot crypto.hash (Node < 20.12) the digest is the same', async () => {
    const nodeCrypto = createRequire(import.meta.url)('node:crypto') as { hash?: unknown }
    const oneShot = nodeCrypto.hash
    nodeCrypto.hash = undefined
    syncBuiltinESMExports()
    let fresh: typeof import('../../src/hash.js')
    try {
      vi.resetModules()
      fresh = await import('../../src/hash.js')
    } finally {
      nodeCrypto.hash = oneShot
      syncBuiltinESMExports()
      vi.resetModules()
    }
    expect(fresh.createBinaryKeyHasher()?.(KEY)).toBe(plain)
  })

  it('is undefined without node:crypto (the cache then keys by the hex digest)', async () => {
    vi.resetModules()
    vi.doMock('../../src/lib/node-crypto.js', () => ({ nodeCrypto: undefined }))
    try {
      const web = await import('../../src/hash.js')
      expect(web.createBinaryKeyHasher()).toBeUndefined()
      expect(web.createBinaryKeyHasher('pep')).toBeUndefined()
      // The pepper is still checked first.
      expect(() => web.createBinaryKeyHasher('')).toThrow(
        expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
      )
    } finally {
      vi.doUnmock('../../src/lib/node-crypto.js')
      vi.resetModules()
    }
  })
})

describe('CSRF: an own origin that cannot be read', () => {
  it('trusts no origin at all, whatever the Origin header says', () => {
    // Hosts that make no URL, or `:authority` and `Host` that disagree: the allowed list is
    // empty. "Stryker was here" is the element StrykerJS puts into a mutated empty array.
    const hosts: Record<string, string>[] = [
      { host: 'a b' },
      { host: 'exa mple:80' },
      { ':authority': 'a.example', host: 'b.example' },
    ]
    for (const headers of hosts) {
      for (const origin of ['Stryker was here', 'http://a b', 'http://a.example', '']) {
        expect([
          headers,
          origin,
          codeOf(() => checkCsrf({ headers: { ...headers, origin } }, undefined)),
        ]).toEqual([headers, origin, 'CSRF_REJECTED'])
      }
    }
  })
})
