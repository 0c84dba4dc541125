/**
 * Key format details written against mutants of `src/api-key.ts` and `src/lib/base62.ts` that
 * survived the key-format tests (docs/testing.md, mutation testing; test/mutation/equivalent.md
 * lists those no test can kill). Expected keys are computed outside the library: zlib's CRC-32
 * in six base62 digits, the alphabet written out.
 */
import { crc32 as zlibCrc32 } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import {
  formatKeyPrefix,
  generateApiKey,
  isValidEnvironment,
  MAX_TOKEN_LENGTH,
  parseApiKey,
} from '../../src/index.js'

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const RANDOM = '0123456789ABCDEFGHIJKLMNOPQRSTUV'
const KNOWN_KEY = 'vydra_live_user_u123_0123456789ABCDEFGHIJKLMNOPQRSTUV4Dam3h'

// The body with zlib's CRC-32 of its bytes appended in six base62 digits.
function withChecksum(body: string): string {
  let n = BigInt(zlibCrc32(Buffer.from(body, 'latin1')))
  let digits = ''
  for (let i = 0; i < 6; i++) {
    digits = BASE62[Number(n % 62n)] + digits
    n /= 62n
  }
  return body + digits
}

// What a call throws, as `[code, message]`, or `'returned'`.
function refusal(fn: () => unknown): unknown {
  try {
    fn()
    return 'returned'
  } catch (error) {
    const { code, message } = error as { code?: unknown; message?: unknown }
    return [code, message]
  }
}

describe('generateApiKey: arguments', () => {
  it('a user id with separate options: the options shape the key', () => {
    // The counting source gives the random part 0…V, as in test/api-key.test.ts.
    const counting = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i % 62)
    expect(
      generateApiKey('u1', { prefix: 'acme', environment: 'test', randomBytes: counting }),
    ).toBe(withChecksum(`acme_test_user_u1_${RANDOM}`))
    expect(generateApiKey('acme', { ownerType: 'org', randomBytes: counting })).toBe(
      withChecksum(`vydra_live_org_acme_${RANDOM}`),
    )
  })

  it('null or undefined as the user is an invalid user id (VALIDATION_ERROR), not a crash', () => {
    for (const user of [null, undefined]) {
      expect(refusal(() => generateApiKey(user as unknown as string))).toEqual([
        'VALIDATION_ERROR',
        'Invalid user id',
      ])
    }
  })

  it('an owner type other than user, org or svc is refused with its message and issue', () => {
    for (const ownerType of ['team', 'USER', '', 'users']) {
      let error: unknown
      try {
        generateApiKey({ userId: 'u1', ownerType: ownerType as 'user' })
      } catch (caught) {
        error = caught
      }
      expect(error).toMatchObject({ code: 'VALIDATION_ERROR', message: 'Invalid owner type' })
      expect((error as { issues?: unknown }).issues).toEqual([
        { path: ['ownerType'], message: "must be 'user', 'org' or 'svc'" },
      ])
    }
  })

  it('an environment must match the whole grammar, not only start with it', () => {
    for (const environment of ['live-x', 'live!', 'live_', 'a'.repeat(33), 'live test']) {
      expect([environment, isValidEnvironment(environment)]).toEqual([environment, false])
      expect(refusal(() => generateApiKey('u1', { environment }))).toEqual([
        'CONFIGURATION_ERROR',
        'Invalid key environment',
      ])
    }
    expect(isValidEnvironment('a'.repeat(32))).toBe(true)
  })
})

describe('parseApiKey and formatKeyPrefix: what they accept as input', () => {
  it('parseApiKey refuses every non-string with INVALID_FORMAT, never another error', () => {
    for (const value of [42, null, undefined, {}, [KNOWN_KEY], { length: 60 }, true]) {
      const outcome = refusal(() => parseApiKey(value))
      expect([value, outcome]).toEqual([value, ['INVALID_FORMAT', expect.any(String)]])
    }
  })

  it('parseApiKey with null options reads the defaults', () => {
    const options = null as unknown as Parameters<typeof parseApiKey>[1]
    expect(parseApiKey(KNOWN_KEY, options)).toMatchObject({
      prefix: 'vydra',
      environment: 'live',
      userId: 'u123',
    })
    expect(refusal(() => parseApiKey('vydra_live_user_u123_x', options))).toEqual([
      'INVALID_FORMAT',
      expect.any(String),
    ])
  })

  it('formatKeyPrefix refuses non-strings with INVALID_FORMAT, never another error', () => {
    for (const value of [42, null, undefined, {}, ['a_12345678']]) {
      const outcome = refusal(() => formatKeyPrefix(value as string))
      expect([value, outcome]).toEqual([value, ['INVALID_FORMAT', expect.any(String)]])
    }
  })

  it('the token cap is inclusive: a well-formed 512-character key parses, 513 never does', () => {
    // Keys issued with a valid prefix are at most 174 characters; a longer prefix given to
    // parseApiKey is the only way to reach the cap with a key that is otherwise well formed.
    const keyOf = (length: number): { key: string; prefix: string } => {
      // `<prefix>_live_user_u_` + 38: 51 characters besides the prefix.
      const prefix = 'p'.repeat(length - 51)
      return { key: withChecksum(`${prefix}_live_user_u_${RANDOM}`), prefix }
    }
    const atCap = keyOf(MAX_TOKEN_LENGTH)
    expect(atCap.key).toHaveLength(512)
    expect(parseApiKey(atCap.key, { prefix: atCap.prefix })).toMatchObject({ userId: 'u' })
    const over = keyOf(MAX_TOKEN_LENGTH + 1)
    expect(over.key).toHaveLength(513)
    expect(refusal(() => parseApiKey(over.key, { prefix: over.prefix }))).toEqual([
      'INVALID_FORMAT',
      expect.any(String),
    ])
  })
})

describe('randomBase62 through generateApiKey: how the random source is used', () => {
  const secretOf = (key: string): string => key.slice('vydra_live_user_u_'.length, -6)

  it('bytes 248 to 255 are dropped (248 = 4 × 62), so every character is equally likely', () => {
    // 248 would be "0" (248 % 62) if it were taken; the first accepted byte is 1.
    const source = (n: number): Uint8Array =>
      Uint8Array.from({ length: n }, (_, i) => (i < 8 ? 248 + i : i - 7))
    expect(secretOf(generateApiKey({ userId: 'u', randomBytes: source }))).toBe(
      '123456789ABCDEFGHIJKLMNOPQRSTUVW',
    )
  })

  it('a second draw asks only for what the first left missing, plus a margin', () => {
    const requests: number[] = []
    const source = (n: number): Uint8Array => {
      requests.push(n)
      // First draw: 10 usable bytes, the rest rejected; then usable bytes only.
      return requests.length === 1
        ? Uint8Array.from({ length: n }, (_, i) => (i < 10 ? 0 : 255))
        : Uint8Array.from({ length: n }, (_, i) => i % 62)
    }
    const key = generateApiKey({ userId: 'u', randomBytes: source })
    expect(secretOf(key)).toBe('0'.repeat(10) + RANDOM.slice(0, 22))
    expect(requests).toHaveLength(2)
    // 22 characters were missing: at least that many bytes, and fewer than a fresh draw.
    expect(requests[1]).toBeGreaterThanOrEqual(22)
    expect(requests[1]).toBeLessThan(requests[0] as number)
  })

  it('a sound source is asked once per key in practically every case', () => {
    // Each draw asks for 10 % more than needed plus 4 bytes: with 8 of 256 byte values rejected,
    // a second draw needs more than 8 rejections among 40 bytes (binomial odds about 1 in
    // 300 000; 2000 keys expect 0.006 second draws, and 6 or more are out of reach). Asking for
    // only a few bytes over the 32 needed (34) would make about one key in eleven draw twice.
    let draws = 0
    const source = (n: number): Uint8Array => {
      draws++
      return crypto.getRandomValues(new Uint8Array(n))
    }
    const keys = 2000
    for (let i = 0; i < keys; i++) generateApiKey({ userId: 'u', randomBytes: source })
    expect(draws).toBeGreaterThanOrEqual(keys)
    expect(draws - keys).toBeLessThanOrEqual(5)
  })
})
