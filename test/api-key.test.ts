/** `generateApiKey`, `parseApiKey`, `formatKeyPrefix` and the format constants. */
import { crc32 as zlibCrc32 } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import {
  CHECKSUM_LENGTH,
  formatKeyPrefix,
  generateApiKey,
  isValidEnvironment,
  isValidKeyPrefix,
  isValidUserId,
  KEY_PREFIX_SECRET_CHARS,
  MAX_TOKEN_LENGTH,
  parseApiKey,
  SECRET_LENGTH,
  SECRET_RANDOM_LENGTH,
} from '../src/index.js'

// Keys computed outside the library: the first 32 base62 digits as the random part, then the
// CRC-32 of everything before it (Python's zlib.crc32) in 6 base62 digits.
const KNOWN_KEY = 'vydra_live_user_u123_0123456789ABCDEFGHIJKLMNOPQRSTUV4Dam3h'
const KNOWN_ORG_KEY = 'vydra_live_user_org_team_42_0123456789ABCDEFGHIJKLMNOPQRSTUV3QF5pq'
// Owner kinds of issue 11, computed the same way.
const KNOWN_ORG_OWNER_KEY = 'vydra_live_org_acme_0123456789ABCDEFGHIJKLMNOPQRSTUV1NNQnn'
const KNOWN_SVC_KEY = 'vydra_live_svc_billing-export_0123456789ABCDEFGHIJKLMNOPQRSTUV0KDi4N'
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const counting = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i % 62)

describe('key format', () => {
  it('generates and parses keys computed outside the library (fixed random bytes)', () => {
    expect(generateApiKey({ userId: 'u123', randomBytes: counting })).toBe(KNOWN_KEY)
    expect(generateApiKey({ userId: 'org_team_42', randomBytes: counting })).toBe(KNOWN_ORG_KEY)
    expect(parseApiKey(KNOWN_ORG_KEY)).toEqual({
      prefix: 'vydra',
      environment: 'live',
      userId: 'org_team_42',
      ownerType: 'user',
      ownerId: 'org_team_42',
      secret: '0123456789ABCDEFGHIJKLMNOPQRSTUV3QF5pq',
    })
  })

  it('parses organisation and service keys (issue 11): owner kind and id added, userId as records name it', () => {
    const random = { randomBytes: counting }
    expect(generateApiKey({ userId: 'acme', ownerType: 'org', ...random })).toBe(
      KNOWN_ORG_OWNER_KEY,
    )
    expect(generateApiKey({ userId: 'billing-export', ownerType: 'svc', ...random })).toBe(
      KNOWN_SVC_KEY,
    )
    expect(parseApiKey(KNOWN_ORG_OWNER_KEY)).toEqual({
      prefix: 'vydra',
      environment: 'live',
      userId: 'org:acme',
      ownerType: 'org',
      ownerId: 'acme',
      secret: '0123456789ABCDEFGHIJKLMNOPQRSTUV1NNQnn',
    })
    expect(parseApiKey(KNOWN_SVC_KEY)).toEqual({
      prefix: 'vydra',
      environment: 'live',
      userId: 'svc:billing-export',
      ownerType: 'svc',
      ownerId: 'billing-export',
      secret: '0123456789ABCDEFGHIJKLMNOPQRSTUV0KDi4N',
    })
    expect(parseApiKey(KNOWN_KEY)).toMatchObject({
      userId: 'u123',
      ownerType: 'user',
      ownerId: 'u123',
    })
    // The checksum covers the kind: another kind, or an unknown one, is not a key.
    for (const kind of ['svc', 'user', 'team']) {
      const forged = KNOWN_ORG_OWNER_KEY.replace('_org_', `_${kind}_`)
      expect(() => parseApiKey(forged), kind).toThrow(
        expect.objectContaining({ code: 'INVALID_FORMAT' }),
      )
    }
    // Prefix and environment still bind every kind.
    const test = generateApiKey({ userId: 'acme', ownerType: 'org', environment: 'test' })
    expect(() => parseApiKey(test)).toThrow(expect.objectContaining({ code: 'INVALID_FORMAT' }))
    expect(parseApiKey(test, { environment: 'test' }).userId).toBe('org:acme')
  })

  it('every other digit at every checksum position is INVALID_FORMAT (all six positions compared)', () => {
    let refused = 0
    for (let i = KNOWN_KEY.length - 6; i < KNOWN_KEY.length; i++) {
      for (const c of BASE62) {
        if (c === KNOWN_KEY[i]) continue
        const candidate = KNOWN_KEY.slice(0, i) + c + KNOWN_KEY.slice(i + 1)
        expect(() => parseApiKey(candidate), `position ${i}: ${c}`).toThrow(
          expect.objectContaining({ code: 'INVALID_FORMAT' }),
        )
        refused++
      }
    }
    expect(refused).toBe(6 * 61)
  })

  it('has the documented shape and constants', () => {
    expect([SECRET_RANDOM_LENGTH, CHECKSUM_LENGTH, SECRET_LENGTH, MAX_TOKEN_LENGTH]).toEqual([
      32, 6, 38, 512,
    ])
    const key = generateApiKey('u123')
    expect(key).toMatch(/^vydra_live_user_u123_[0-9A-Za-z]{38}$/)
    expect(generateApiKey({ userId: 'u', prefix: 'acme', environment: 'test' })).toMatch(
      /^acme_test_user_u_[0-9A-Za-z]{38}$/,
    )
    expect(generateApiKey('u', { environment: 'test' })).toMatch(/^vydra_test_user_u_/)
  })

  it('refuses bad user ids, prefixes and environments with typed errors', () => {
    for (const userId of ['', 'a b', 'ü', 'x'.repeat(65), 'a.b', 'a:b']) {
      expect(() => generateApiKey(userId)).toThrow(
        expect.objectContaining({ code: 'VALIDATION_ERROR' }),
      )
    }
    for (const prefix of ['', 'Vydra', '1a', 'a_b', 'x'.repeat(33)]) {
      expect(() => generateApiKey('u', { prefix })).toThrow(
        expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
      )
    }
    expect(() => generateApiKey('u', { environment: 'LIVE' })).toThrow(
      expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
    )
    expect(isValidUserId('org_team-42')).toBe(true)
    expect(isValidKeyPrefix('vydra')).toBe(true)
    expect(isValidEnvironment('live')).toBe(true)
    expect(isValidUserId(42)).toBe(false)
  })

  it('parses from the right so the userId may hold "_" and "-"', () => {
    const key = generateApiKey('user_2ab-XYZ_')
    expect(parseApiKey(key)).toMatchObject({
      prefix: 'vydra',
      environment: 'live',
      userId: 'user_2ab-XYZ_',
    })
  })

  it('parses only keys of its own prefix and environment', () => {
    const key = generateApiKey('u', { prefix: 'acme', environment: 'test' })
    expect(() => parseApiKey(key)).toThrow(expect.objectContaining({ code: 'INVALID_FORMAT' }))
    expect(parseApiKey(key, { prefix: 'acme', environment: 'test' }).userId).toBe('u')
  })

  it('rejects a key over 512 characters before anything else', () => {
    const key = generateApiKey('u')
    expect(() => parseApiKey(`${'a'.repeat(600)}${key}`)).toThrow(
      expect.objectContaining({ code: 'INVALID_FORMAT' }),
    )
  })

  it('formatKeyPrefix reveals the head and exactly 4 characters of the secret', () => {
    const key = generateApiKey('org_team_42')
    const prefix = formatKeyPrefix(key)
    const secretStart = key.length - SECRET_LENGTH
    expect(prefix).toBe(`${key.slice(0, secretStart + KEY_PREFIX_SECRET_CHARS)}...`)
    expect(KEY_PREFIX_SECRET_CHARS).toBeLessThanOrEqual(8)
    // Written out, not derived from the library's constants.
    expect(formatKeyPrefix(KNOWN_ORG_KEY)).toBe('vydra_live_user_org_team_42_0123...')
    expect(formatKeyPrefix(KNOWN_KEY)).toBe('vydra_live_user_u123_0123...')
    expect(formatKeyPrefix('a_12345678')).toBe('a_1234...')
    expect(() => formatKeyPrefix('a_1234567')).toThrow(
      expect.objectContaining({ code: 'INVALID_FORMAT' }),
    )
    for (const bad of ['', 'nounderscore', 'a_b', 'x'.repeat(600)]) {
      expect(() => formatKeyPrefix(bad)).toThrow(
        expect.objectContaining({ code: 'INVALID_FORMAT' }),
      )
    }
  })
})

// A key body with its checksum appended, computed outside the library: zlib's CRC-32 over the
// bytes of the body (one byte per character, as the key grammar is ASCII) in 6 base62 digits.
function withChecksum(body: string): string {
  let n = BigInt(zlibCrc32(Buffer.from(body, 'latin1')))
  let digits = ''
  for (let i = 0; i < 6; i++) {
    digits = BASE62[Number(n % 62n)] + digits
    n /= 62n
  }
  return body + digits
}
const RANDOM = '0123456789ABCDEFGHIJKLMNOPQRSTUV'

describe('the grammar is checked, not only the checksum (keys with valid checksums)', () => {
  it('the helper reproduces a real key', () => {
    expect(withChecksum(`vydra_live_user_u123_${RANDOM}`)).toBe(KNOWN_KEY)
  })

  it('a character outside base62 in the secret is INVALID_FORMAT even with a matching checksum', () => {
    // Each just outside a range of [0-9A-Za-z], plus the user-id extras and a non-ASCII one.
    for (const c of ['!', '/', ':', '@', '[', '`', '{', '~', '\u007f', '-', '_', 'é']) {
      const key = withChecksum(`vydra_live_user_u123_${c}${RANDOM.slice(1)}`)
      expect(() => parseApiKey(key), JSON.stringify(c)).toThrow(
        expect.objectContaining({ code: 'INVALID_FORMAT' }),
      )
    }
  })

  it('a character outside [A-Za-z0-9_-] in the user id is INVALID_FORMAT even with a matching checksum', () => {
    for (const c of ['!', '.', ':', '@', '~', ' ', '\u007f', 'é']) {
      const key = withChecksum(`vydra_live_user_u${c}3_${RANDOM}`)
      expect(() => parseApiKey(key), JSON.stringify(c)).toThrow(
        expect.objectContaining({ code: 'INVALID_FORMAT' }),
      )
    }
    // The same shape with allowed characters parses: the refusals above are about the character.
    expect(parseApiKey(withChecksum(`vydra_live_user_u-_3_${RANDOM}`)).userId).toBe('u-_3')
  })

  it('an empty or 65-character user id, or no separator before the secret, is INVALID_FORMAT', () => {
    const refused = [
      withChecksum(`vydra_live_user__${RANDOM}`),
      // No user id and no separator: the secret right after the head.
      withChecksum(`vydra_live_user_${RANDOM}`),
      withChecksum(`vydra_live_user_${'u'.repeat(65)}_${RANDOM}`),
      // A valid key's separator replaced (its checksum still counts a "_" there).
      `${KNOWN_KEY.slice(0, 20)}X${KNOWN_KEY.slice(21)}`,
    ]
    for (const key of refused) {
      expect(() => parseApiKey(key), key).toThrow(
        expect.objectContaining({ code: 'INVALID_FORMAT' }),
      )
    }
    expect(parseApiKey(withChecksum(`vydra_live_user_${'u'.repeat(64)}_${RANDOM}`)).userId).toBe(
      'u'.repeat(64),
    )
  })

  it('prefix, environment and user id validators take strings only', () => {
    expect(isValidKeyPrefix(['vydra'])).toBe(false)
    expect(isValidEnvironment(['live'])).toBe(false)
    expect(isValidUserId(['u123'])).toBe(false)
    expect(isValidKeyPrefix('vydra')).toBe(true)
    expect(isValidEnvironment('live')).toBe(true)
  })

  it('bad generator inputs are refused with their documented messages and issues', () => {
    const errorOf = (fn: () => unknown): unknown => {
      try {
        fn()
      } catch (error) {
        return error
      }
      return undefined
    }
    expect(errorOf(() => generateApiKey('u', { prefix: 'Bad' }))).toMatchObject({
      code: 'CONFIGURATION_ERROR',
      message: 'Invalid key prefix',
    })
    expect(errorOf(() => generateApiKey('u', { environment: 'Bad' }))).toMatchObject({
      code: 'CONFIGURATION_ERROR',
      message: 'Invalid key environment',
    })
    const invalidUser = errorOf(() => generateApiKey('a b')) as { issues: unknown }
    expect(invalidUser).toMatchObject({ code: 'VALIDATION_ERROR', message: 'Invalid user id' })
    expect(invalidUser.issues).toEqual([
      { path: ['userId'], message: 'must match [A-Za-z0-9_-]{1,64}' },
    ])
  })

  it('formatKeyPrefix: 512 characters are fine, the last "_" may be the first character', () => {
    expect(formatKeyPrefix(`a_${'x'.repeat(510)}`)).toBe('a_xxxx...')
    expect(() => formatKeyPrefix(`a_${'x'.repeat(511)}`)).toThrow(
      expect.objectContaining({ code: 'INVALID_FORMAT' }),
    )
    expect(formatKeyPrefix('_12345678')).toBe('_1234...')
  })
})

describe('the random source', () => {
  it('a source that keeps yielding only rejected bytes is given up after 64 draws', () => {
    let draws = 0
    const biased = (n: number): Uint8Array => {
      draws++
      return new Uint8Array(n).fill(255)
    }
    expect(() => generateApiKey({ userId: 'u', randomBytes: biased })).toThrow(
      expect.objectContaining({
        code: 'CONFIGURATION_ERROR',
        message: 'The random source yields no usable bytes',
      }),
    )
    expect(draws).toBe(64)
    // Anything but bytes is refused at once.
    draws = 0
    const broken = (): Uint8Array => {
      draws++
      return [1, 2, 3] as unknown as Uint8Array
    }
    expect(() => generateApiKey({ userId: 'u', randomBytes: broken })).toThrow(
      expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
    )
    expect(draws).toBe(1)
  })
})
