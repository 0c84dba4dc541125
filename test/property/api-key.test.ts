/** Property tests of the key format: round trips, mutations, and the checksum against zlib. */
import { crc32 as zlibCrc32 } from 'node:zlib'
import { fc, test } from '@fast-check/vitest'
import { describe, expect } from 'vitest'
import {
  CHECKSUM_LENGTH,
  createApiKeyAuth,
  generateApiKey,
  isAuthError,
  type KeyOwnerType,
  MemoryKeyStore,
  parseApiKey,
  SECRET_LENGTH,
} from '../../src/index.js'
import { crc32Ascii } from '../../src/lib/crc32.js'
import { type Harness, setup } from '../support/setup.js'

const userIdArb = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/)
const ownerTypeArb = fc.constantFrom('user', 'org', 'svc') satisfies fc.Arbitrary<KeyOwnerType>
const nameArb = fc.stringMatching(/^[a-z][a-z0-9]{0,31}$/)
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/** Reference: fixed-width base62 by BigInt, independent of the library's encoder. */
function base62Fixed(value: number, width: number): string {
  let n = BigInt(value)
  let out = ''
  for (let i = 0; i < width; i++) {
    out = BASE62[Number(n % 62n)] + out
    n /= 62n
  }
  return out
}

describe('key format properties', () => {
  test.prop([userIdArb, nameArb, nameArb], { numRuns: 300 })(
    'parseApiKey(generateApiKey(x)) round-trips for any valid userId, prefix and environment',
    (userId, prefix, environment) => {
      const key = generateApiKey(userId, { prefix, environment })
      const parsed = parseApiKey(key, { prefix, environment })
      expect(parsed).toEqual({
        prefix,
        environment,
        userId,
        ownerType: 'user',
        ownerId: userId,
        secret: key.slice(-SECRET_LENGTH),
      })
      expect(key).toBe(`${prefix}_${environment}_user_${userId}_${parsed.secret}`)
      // The checksum is CRC-32 (zlib's) of everything before it, in fixed-width base62.
      const body = key.slice(0, -CHECKSUM_LENGTH)
      expect(key.slice(-CHECKSUM_LENGTH)).toBe(base62Fixed(zlibCrc32(body), CHECKSUM_LENGTH))
    },
  )

  test.prop([ownerTypeArb, userIdArb, nameArb, nameArb], { numRuns: 300 })(
    'parseApiKey(generateApiKey(x)) round-trips for every owner kind: the kind, the id, and userId as records name it',
    (ownerType, ownerId, prefix, environment) => {
      const key = generateApiKey({ userId: ownerId, ownerType, prefix, environment })
      const parsed = parseApiKey(key, { prefix, environment })
      expect(parsed).toEqual({
        prefix,
        environment,
        userId: ownerType === 'user' ? ownerId : `${ownerType}:${ownerId}`,
        ownerType,
        ownerId,
        secret: key.slice(-SECRET_LENGTH),
      })
      expect(key).toBe(`${prefix}_${environment}_${ownerType}_${ownerId}_${parsed.secret}`)
    },
  )

  test.prop([ownerTypeArb, userIdArb], { numRuns: 60 })(
    'auth.createKey then parseApiKey: the owner parsed from the key is the one the record and the principal name',
    async (ownerType, ownerId) => {
      const auth = createApiKeyAuth({
        store: new MemoryKeyStore(),
        logger: false,
        ownerTypes: ['user', 'org', 'svc'],
      })
      const created = await auth.createKey({ ownerType, ownerId, name: 'k' })
      const parsed = parseApiKey(created.key)
      const principal = await auth.verifyKey(created.key)
      const [listed] = (await auth.listKeyPage({ ownerType, ownerId })).keys
      expect(parsed).toMatchObject({ ownerType, ownerId })
      expect(principal).toMatchObject({ userId: parsed.userId, ownerType, ownerId })
      expect(listed).toMatchObject({ id: created.id, userId: parsed.userId, ownerType })
    },
  )

  test.prop([fc.string({ unit: 'binary-ascii', maxLength: 300 })], { numRuns: 500 })(
    'the internal CRC-32 equals zlib.crc32 on any ASCII text (differential)',
    (text) => {
      expect(crc32Ascii(text)).toBe(zlibCrc32(text))
    },
  )

  test.prop([fc.string({ unit: 'binary', maxLength: 600 }), nameArb], { numRuns: 300 })(
    'parseApiKey never throws anything but INVALID_FORMAT',
    (input, environment) => {
      try {
        parseApiKey(input, { environment })
      } catch (error) {
        expect(isAuthError(error) && error.code).toBe('INVALID_FORMAT')
      }
    },
  )
})

describe('mutations of a valid key are never accepted', () => {
  // One stored key per file run, made by the first test that needs it (not while the file
  // loads, for exact per-test coverage); every mutant must be refused by verifyKey.
  let shared: Promise<{ harness: Harness; key: string }> | undefined
  const stored = (): Promise<{ harness: Harness; key: string }> =>
    (shared ??= (async () => {
      const harness = setup({ cache: false })
      const { key } = await harness.issue({ userId: 'org_team-42' })
      return { harness, key }
    })())

  // Refused offline: grammar or checksum says INVALID_FORMAT and the store is never asked (a
  // KEY_NOT_FOUND would mean the checksum let the mutant through to a lookup).
  const refused = async (candidate: string): Promise<void> => {
    const { harness, key } = await stored()
    if (candidate === key) return
    const lookups = harness.spy.calls.findByHash
    try {
      await harness.auth.verifyKey(candidate)
      expect.unreachable(`mutant accepted: ${JSON.stringify(candidate)}`)
    } catch (error) {
      expect(isAuthError(error)).toBe(true)
      expect((error as { code: string }).code, JSON.stringify(candidate)).toBe('INVALID_FORMAT')
    }
    expect(harness.spy.calls.findByHash, 'store asked').toBe(lookups)
  }

  test.prop([fc.nat(), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })], {
    numRuns: 400,
  })('every single-character change is rejected', async (at, c) => {
    const { key } = await stored()
    const i = at % key.length
    await refused(key.slice(0, i) + c + key.slice(i + 1))
  })

  test.prop([fc.nat()], { numRuns: 200 })('every truncation is rejected', async (n) => {
    const { key } = await stored()
    await refused(key.slice(0, n % key.length))
    await refused(key.slice((n % (key.length - 1)) + 1))
  })

  test.prop([fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }), fc.boolean()], {
    numRuns: 200,
  })('every extension is rejected', async (extra, front) => {
    const { key } = await stored()
    await refused(front ? extra + key : key + extra)
  })

  test.prop([fc.nat(), fc.nat()], { numRuns: 200 })(
    'swapping two different characters is rejected',
    async (a, b) => {
      const { key } = await stored()
      const i = a % key.length
      const j = b % key.length
      const chars = [...key]
      ;[chars[i], chars[j]] = [chars[j] as string, chars[i] as string]
      await refused(chars.join(''))
    },
  )
})
