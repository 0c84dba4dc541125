/** `generateApiKey`, `parseApiKey`, `formatKeyPrefix` and the format constants. */
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
      secret: '0123456789ABCDEFGHIJKLMNOPQRSTUV3QF5pq',
    })
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
