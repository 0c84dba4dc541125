/** Attack class EXP (docs/security.md): expired keys and hostile clocks, with a fake clock. */
import { describe, expect, it } from 'vitest'
import { createApiKeyAuth, generateApiKey, MemoryKeyStore } from '../../src/index.js'
import { codeOf, errorOf, recordFor, setup } from '../support/setup.js'
import { createStoreSpy } from '../support/store-spy.js'

const DAY = 86_400_000

describe('EXP: expiry and clocks', () => {
  it('EXP-01 expiresAt = now + 1 passes, and fails at the exact expiry instant (cache on)', async () => {
    const { auth, spy, clock } = setup()
    const key = generateApiKey('u123')
    await spy.memory.insert(recordFor(key, { expiresAt: new Date(clock.time + 1) }))
    await expect(auth.authenticate(`Bearer ${key}`)).resolves.toMatchObject({ userId: 'u123' })
    expect(auth.cacheStats().positive).toBe(1)
    clock.advance(1)
    const error = await errorOf(() => auth.authenticate(`Bearer ${key}`))
    expect(error).toMatchObject({ code: 'KEY_EXPIRED', status: 401 })
    // The second request was served from the cache: expiry is checked on every hit.
    expect(spy.calls.findByHash).toBe(1)
  })

  it('EXP-01 a key created with expiresInDays expires exactly expiresInDays later', async () => {
    const { auth, clock, issue } = setup()
    const created = clock.time
    const { key } = await issue({ expiresInDays: 1 })
    clock.set(created + DAY - 1)
    await expect(auth.verifyKey(key)).resolves.toMatchObject({
      expiresAt: new Date(created + DAY),
    })
    clock.set(created + DAY)
    expect(await codeOf(() => auth.verifyKey(key))).toBe('KEY_EXPIRED')
    clock.set(created + DAY + 10 * DAY)
    expect(await codeOf(() => auth.verifyKey(key))).toBe('KEY_EXPIRED')
  })

  it('EXP-04 expiresAt null means no expiry; a missing or undefined expiresAt fails closed (503)', async () => {
    const { auth, spy, clock, logs } = setup()
    const forever = generateApiKey('u123')
    await spy.memory.insert(recordFor(forever, { expiresAt: null }))
    clock.advance(100 * 365 * DAY)
    await expect(auth.verifyKey(forever)).resolves.toMatchObject({ expiresAt: null })

    const missing = generateApiKey('u123')
    const noField: Record<string, unknown> = { ...recordFor(missing) }
    delete noField.expiresAt
    spy.findResult = () => noField
    expect(await codeOf(() => auth.verifyKey(missing))).toBe('AUTH_UNAVAILABLE')
    const undef = generateApiKey('u123')
    spy.findResult = () => recordFor(undef, { expiresAt: undefined })
    expect(await codeOf(() => auth.verifyKey(undef))).toBe('AUTH_UNAVAILABLE')
    expect(logs.lines.filter((l) => l.message.includes('corrupt'))).toHaveLength(2)
    expect(auth.cacheStats()).toMatchObject({ positive: 1, negative: 0 })
  })

  it('EXP-06 expiresInDays 0, -1, 1.5, "30", NaN, Infinity, 1e9 and > max are VALIDATION_ERROR; nothing stored', async () => {
    const { auth, spy } = setup()
    for (const expiresInDays of [0, -1, 1.5, '30', NaN, Infinity, -Infinity, 1e9, 3651, null]) {
      const error = await errorOf(() =>
        auth.createKey({ userId: 'u123', name: 'x', expiresInDays: expiresInDays as number }),
      )
      expect(error, String(expiresInDays)).toMatchObject({ code: 'VALIDATION_ERROR', status: 400 })
      expect((error as { issues: { path: unknown[] }[] }).issues[0]?.path).toEqual([
        'expiresInDays',
      ])
    }
    expect(spy.calls.insert).toBe(0)
    expect(await spy.memory.listByUser('u123')).toEqual([])
    const ok = await auth.createKey({ userId: 'u123', name: 'x', expiresInDays: 3650 })
    expect(ok.apiKey.expiresAt?.getTime()).toBe(ok.apiKey.createdAt.getTime() + 3650 * DAY)
  })

  it('EXP-07 one injected clock drives creation and expiry; tolerance is capped at startup', async () => {
    const { auth, clock, issue } = setup({ clockToleranceMs: 1_000 })
    const { key } = await issue({ expiresInDays: 1 })
    const [info] = await auth.listKeys('u123')
    expect(info?.createdAt.getTime()).toBe(clock.time)
    clock.advance(DAY + 999)
    await expect(auth.verifyKey(key)).resolves.toBeDefined()
    clock.advance(1)
    expect(await codeOf(() => auth.verifyKey(key))).toBe('KEY_EXPIRED')

    const store = new MemoryKeyStore()
    for (const clockToleranceMs of [86_400_000, 300_001, -1, 0.5]) {
      expect(await codeOf(() => createApiKeyAuth({ store, clockToleranceMs, logger: false }))).toBe(
        'CONFIGURATION_ERROR',
      )
    }
    expect(createApiKeyAuth({ store, clockToleranceMs: 300_000 }).options.clockToleranceMs).toBe(
      300_000,
    )
  })

  it('EXP-07 clockToleranceMs extends validity past expiresAt, never shortens it (cache off, seeded record)', async () => {
    const { auth, spy, clock } = setup({ clockToleranceMs: 5_000, cache: false })
    const key = generateApiKey('u123')
    const expiresAt = clock.time + 60_000
    await spy.memory.insert(recordFor(key, { expiresAt: new Date(expiresAt) }))
    for (const at of [expiresAt - 5_000, expiresAt - 1, expiresAt, expiresAt + 4_999]) {
      clock.set(at)
      await expect(auth.verifyKey(key), `at expiresAt${at - expiresAt}`).resolves.toBeDefined()
    }
    clock.set(expiresAt + 5_000)
    expect(await codeOf(() => auth.verifyKey(key))).toBe('KEY_EXPIRED')
    // Without tolerance the same record expires at expiresAt exactly.
    const strict = setup({ cache: false, clock, spy: createStoreSpy({ memory: spy.memory }) })
    clock.set(expiresAt - 1)
    await expect(strict.auth.verifyKey(key)).resolves.toBeDefined()
    clock.set(expiresAt)
    expect(await codeOf(() => strict.auth.verifyKey(key))).toBe('KEY_EXPIRED')
  })

  it('EXP cache entries never outlive expiresAt even inside the cache TTL', async () => {
    const { auth, spy, clock } = setup({ cache: { ttlMs: 30_000 } })
    const key = generateApiKey('u123')
    await spy.memory.insert(recordFor(key, { expiresAt: new Date(clock.time + 10) }))
    await auth.verifyKey(key)
    clock.advance(10)
    expect(await codeOf(() => auth.verifyKey(key))).toBe('KEY_EXPIRED')
    expect(spy.calls.findByHash).toBe(1)
  })
})
