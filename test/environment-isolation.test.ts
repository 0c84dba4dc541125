/**
 * Instances of different environments (or prefixes) sharing one store: each sees and touches
 * only its own keys. Red-team finding: a `test` key holding `*` listed and revoked `live` keys.
 */
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  createApiKeyAuth,
  formatKeyPrefix,
  generateApiKey,
  hashApiKey,
  MemoryKeyStore,
} from '../src/index.js'
import { codeOf, recordFor } from './support/setup.js'

const instances = (
  store = new MemoryKeyStore(),
): Record<'live' | 'test' | 'acme', ReturnType<typeof createApiKeyAuth>> => ({
  live: createApiKeyAuth({ store, logger: false }),
  test: createApiKeyAuth({ store, environment: 'test', logger: false }),
  acme: createApiKeyAuth({ store, prefix: 'acme', logger: false }),
})

describe('environments sharing a store', () => {
  it('a test instance neither lists nor revokes live keys, and the reverse', async () => {
    const store = new MemoryKeyStore()
    const { live, test, acme } = instances(store)
    const liveKey = await live.createKey({ userId: 'u1', name: 'live key' })
    const testKey = await test.createKey({ userId: 'u1', name: 'test key' })
    const acmeKey = await acme.createKey({ userId: 'u1', name: 'acme key' })

    expect((await live.listKeys('u1')).map((k) => k.id)).toEqual([liveKey.id])
    expect((await test.listKeys('u1')).map((k) => k.id)).toEqual([testKey.id])
    expect((await acme.listKeys('u1')).map((k) => k.id)).toEqual([acmeKey.id])

    for (const [instance, foreign] of [
      [test, liveKey.id],
      [test, acmeKey.id],
      [live, testKey.id],
      [acme, liveKey.id],
    ] as const) {
      expect(await codeOf(() => instance.revokeKey({ userId: 'u1', keyId: foreign }))).toBe(
        'KEY_NOT_FOUND',
      )
    }
    // Nothing was revoked: every key still verifies on its own instance.
    await expect(live.verifyKey(liveKey.key)).resolves.toMatchObject({ keyId: liveKey.id })
    await expect(test.verifyKey(testKey.key)).resolves.toMatchObject({ keyId: testKey.id })
    await expect(acme.verifyKey(acmeKey.key)).resolves.toMatchObject({ keyId: acmeKey.id })
    expect((await store.listByUser('u1')).every((r) => r.revokedAt === null)).toBe(true)

    // Each instance still revokes its own.
    await test.revokeKey({ userId: 'u1', keyId: testKey.id })
    expect(await codeOf(() => test.verifyKey(testKey.key))).toBe('KEY_REVOKED')
    await expect(live.verifyKey(liveKey.key)).resolves.toMatchObject({ keyId: liveKey.id })
  })

  it('a key of one environment is INVALID_FORMAT on another, without a lookup', async () => {
    const store = new MemoryKeyStore()
    const { live, test } = instances(store)
    const liveKey = await live.createKey({ userId: 'u1', name: 'live key' })
    expect(await codeOf(() => test.verifyKey(liveKey.key))).toBe('INVALID_FORMAT')
  })

  it('the per-user cap counts the keys of the instance environment only', async () => {
    const store = new MemoryKeyStore()
    const live = createApiKeyAuth({ store, maxKeysPerUser: 1, logger: false })
    const test = createApiKeyAuth({ store, environment: 'test', maxKeysPerUser: 1, logger: false })
    await live.createKey({ userId: 'u1', name: 'a' })
    await test.createKey({ userId: 'u1', name: 'b' })
    expect(await codeOf(() => live.createKey({ userId: 'u1', name: 'c' }))).toBe(
      'KEY_LIMIT_REACHED',
    )
  })

  it('records written before 0.1.1 partition by their keyPrefix, with no migration', async () => {
    // A record exactly as 0.1.0 wrote it: no field but keyPrefix says which environment.
    const store = new MemoryKeyStore()
    const liveKey = generateApiKey('u1')
    const testKey = generateApiKey('u1', { environment: 'test' })
    await store.insert(recordFor(liveKey))
    await store.insert({
      ...recordFor(liveKey),
      id: randomUUID(),
      keyPrefix: formatKeyPrefix(testKey),
      hash: hashApiKey(testKey),
    })
    const { live, test } = instances(store)
    expect((await live.listKeys('u1')).map((k) => k.keyPrefix)).toEqual([
      expect.stringMatching(/^vydra_live_user_u1_/),
    ])
    expect((await test.listKeys('u1')).map((k) => k.keyPrefix)).toEqual([
      expect.stringMatching(/^vydra_test_user_u1_/),
    ])
  })

  it("a record without a keyPrefix is corrupt: 503, never listed as anyone's", async () => {
    const store = new MemoryKeyStore()
    const key = generateApiKey('u1')
    await store.insert(recordFor(key, { keyPrefix: undefined }))
    const { live } = instances(store)
    expect(await codeOf(() => live.listKeys('u1'))).toBe('AUTH_UNAVAILABLE')
  })
})
