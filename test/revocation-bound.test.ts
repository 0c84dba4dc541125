/**
 * The revocation bound on a store without push (no `onRevoke`): a cached key is served at most
 * `cache.ttlMs` after the store was *read*, whatever the lookup's duration, and a clock that goes
 * back empties the cache instead of stretching what it holds.
 */
import { describe, expect, it, vi } from 'vitest'
import { codeOf, setup } from './support/setup.js'

const TTL = 30_000

describe('revocation bound without push', () => {
  it('a slow lookup does not stretch the cache life: counted from the read', async () => {
    const h = setup({ spy: { onRevoke: false }, cache: { ttlMs: TTL }, storeTimeoutMs: 60_000 })
    const { key, id } = await h.issue()
    h.spy.behave.findByHash = { kind: 'defer' }
    const start = h.clock.time
    const verified = h.auth.verifyKey(key)
    await vi.waitFor(() => expect(h.spy.pending('findByHash')).toBe(1))
    // The store answers 25 s later (the store read happened at the start, at the latest).
    h.clock.advance(25_000)
    await h.spy.release('findByHash')
    await expect(verified).resolves.toMatchObject({ keyId: id })
    h.spy.behave.findByHash = { kind: 'real' }
    // Another instance revokes it in the store; nothing tells this one.
    await h.spy.memory.revoke(id, 'u123', new Date(h.clock.time))
    h.clock.set(start + TTL - 1)
    await expect(h.auth.verifyKey(key)).resolves.toMatchObject({ keyId: id })
    h.clock.set(start + TTL)
    expect(await codeOf(() => h.auth.verifyKey(key))).toBe('KEY_REVOKED')
  })

  it('a wall clock stepped back does not keep a revoked key alive', async () => {
    const h = setup({ spy: { onRevoke: false }, cache: { ttlMs: TTL } })
    const { key, id } = await h.issue()
    await h.auth.verifyKey(key)
    await h.spy.memory.revoke(id, 'u123', new Date(h.clock.time))
    // NTP steps the clock back an hour: the entry was stored "in the future", so it is dropped.
    h.clock.advance(-3_600_000)
    expect(await codeOf(() => h.auth.verifyKey(key))).toBe('KEY_REVOKED')
  })

  it('a small step back (less than the time since the read) does not stretch an entry either', async () => {
    const h = setup({ spy: { onRevoke: false }, cache: { ttlMs: TTL } })
    const { key, id } = await h.issue()
    await h.auth.verifyKey(key)
    const lookups = h.spy.calls.findByHash
    await h.spy.memory.revoke(id, 'u123', new Date(h.clock.time))
    h.clock.advance(20_000)
    await expect(h.auth.verifyKey(key)).resolves.toMatchObject({ keyId: id })
    expect(h.spy.calls.findByHash).toBe(lookups)
    // 5 s back: the entry's wall-clock life would now end 25 s of real time after the read.
    h.clock.advance(-5_000)
    expect(await codeOf(() => h.auth.verifyKey(key))).toBe('KEY_REVOKED')
    expect(h.spy.calls.findByHash).toBe(lookups + 1)
  })

  it('the negative cache follows the same clock', async () => {
    const h = setup({ cache: { ttlMs: TTL, negativeTtlMs: 5_000 } })
    const { generateApiKey } = await import('../src/index.js')
    const unknown = generateApiKey('u123')
    expect(await codeOf(() => h.auth.verifyKey(unknown))).toBe('KEY_NOT_FOUND')
    expect(await codeOf(() => h.auth.verifyKey(unknown))).toBe('KEY_NOT_FOUND')
    expect(h.spy.calls.findByHash).toBe(1)
    h.clock.advance(5_000)
    expect(await codeOf(() => h.auth.verifyKey(unknown))).toBe('KEY_NOT_FOUND')
    expect(h.spy.calls.findByHash).toBe(2)
    h.clock.advance(-1)
    expect(await codeOf(() => h.auth.verifyKey(unknown))).toBe('KEY_NOT_FOUND')
    expect(h.spy.calls.findByHash).toBe(3)
  })
})
