/** Attack class LUA (docs/security.md): `lastUsedAt` write amplification and its failures. */
import { describe, expect, it, vi } from 'vitest'
import { generateApiKey, MemoryKeyStore } from '../../src/index.js'
import { createClock } from '../support/clock.js'
import { codeOf, recordFor, setup } from '../support/setup.js'
import { createStoreSpy } from '../support/store-spy.js'

describe('LUA: lastUsedAt writes', () => {
  it('LUA-01 1 000 requests within the interval write once; one more after the interval', async () => {
    const { auth, spy, clock, issue } = setup()
    const { key, id } = await issue()
    for (let i = 0; i < 1000; i++) {
      await auth.authenticate(`Bearer ${key}`)
      clock.advance(59)
    }
    // 1000 × 59 ms = 59 s: still inside the 60 s window.
    expect(spy.calls.touch).toBe(1)
    expect(spy.touches[0]?.keyId).toBe(id)
    clock.advance(1_000)
    await auth.authenticate(`Bearer ${key}`)
    expect(spy.calls.touch).toBe(2)
    await vi.waitFor(async () => {
      const [record] = await spy.memory.listByUser('u123')
      expect(record?.lastUsedAt?.getTime()).toBe(clock.time)
    })
  })

  it('LUA-02 wrong, expired, revoked and 403 requests never touch', async () => {
    const { auth, spy, clock, issue } = setup()
    const revoked = await issue()
    await auth.revokeKey({ userId: 'u123', keyId: revoked.id })
    const expired = generateApiKey('u123')
    await spy.memory.insert(recordFor(expired, { expiresAt: new Date(clock.time) }))
    const scoped = await issue({ scopes: ['models:read'] })
    expect(await codeOf(() => auth.verifyKey(generateApiKey('u123')))).toBe('KEY_NOT_FOUND')
    expect(await codeOf(() => auth.verifyKey(expired))).toBe('KEY_EXPIRED')
    expect(await codeOf(() => auth.verifyKey(revoked.key))).toBe('KEY_REVOKED')
    expect(await codeOf(() => auth.verifyKey(scoped.key, { scopes: ['models:write'] }))).toBe(
      'INSUFFICIENT_SCOPE',
    )
    expect(await codeOf(() => auth.verifyKey('garbage'))).toBe('INVALID_FORMAT')
    expect(spy.calls.touch).toBe(0)
    expect(auth.cacheStats().touched).toBe(0)
  })

  it('LUA-03 a touch that never settles does not hold the request', async () => {
    const { auth, spy, issue } = setup()
    const { key } = await issue()
    spy.behave.touch = { kind: 'defer' }
    await expect(auth.authenticate(`Bearer ${key}`)).resolves.toMatchObject({ userId: 'u123' })
    // The request has resolved while its touch is still pending: it was never awaited.
    expect(spy.pending('touch')).toBe(1)
    await spy.release('touch')
  })

  it('LUA-03 a failing touch still answers 200 and logs one warning without the key', async () => {
    const unhandled = vi.fn()
    process.on('unhandledRejection', unhandled)
    try {
      for (const behave of [{ kind: 'reject' }, { kind: 'throw-sync' }] as const) {
        const { auth, spy, logs, issue } = setup()
        const { key } = await issue()
        spy.behave.touch = behave
        await expect(auth.authenticate(`Bearer ${key}`)).resolves.toBeDefined()
        await vi.waitFor(() => expect(logs.count('warn')).toBe(1))
        expect(logs.text()).not.toContain(key.slice(-38))
      }
      expect(unhandled).not.toHaveBeenCalled()
    } finally {
      process.off('unhandledRejection', unhandled)
    }
  })

  it('LUA-03 a hanging touch is abandoned with a warning after its deadline', async () => {
    const { auth, spy, logs, issue } = setup({ storeTimeoutMs: 5 })
    const { key } = await issue()
    spy.behave.touch = { kind: 'defer' }
    await auth.verifyKey(key)
    await vi.waitFor(() => expect(logs.count('warn')).toBe(1), { timeout: 2_000 })
    expect(logs.lines[0]?.message).toMatch(/lastUsedAt/)
  })

  it('LUA-05 50 concurrent requests at a window boundary on 3 instances: at most one write per instance', async () => {
    const memory = new MemoryKeyStore()
    const clock = createClock()
    const instances = [0, 1, 2].map(() => setup({ clock, spy: createStoreSpy({ memory }) }))
    const { key, id } = await instances[0]!.issue()
    for (const { auth } of instances) await auth.verifyKey(key)
    clock.advance(60_000) // exactly at the boundary of every instance's window
    await Promise.all(
      instances.flatMap(({ auth }) => Array.from({ length: 50 }, () => auth.verifyKey(key))),
    )
    for (const { spy } of instances) expect(spy.calls.touch).toBe(2)
    // Store-side condition: an older write never moves lastUsedAt back.
    await memory.touch(id, new Date(clock.time - 30_000))
    const [record] = await memory.listByUser('u123')
    expect(record?.lastUsedAt?.getTime()).toBe(clock.time)
  })

  it('LUA-06 verification never runs bulk work: only findByHash (once) and touch reach the store', async () => {
    const { auth, spy, issue } = setup()
    const { key } = await issue()
    const before = { ...spy.calls }
    for (let i = 0; i < 100; i++) await auth.verifyKey(key)
    expect(spy.calls).toEqual({
      ...before,
      findByHash: before.findByHash + 1,
      touch: before.touch + 1,
    })
  })

  it('LUA a store without touch is fine', async () => {
    const { auth, issue } = setup({ spy: { touch: false } })
    const { key } = await issue()
    await expect(auth.verifyKey(key)).resolves.toBeDefined()
  })
})
