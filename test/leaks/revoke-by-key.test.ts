/** auth.revokeByKey: revocation from the full key string, for scanners and support tooling. */
import { describe, expect, it } from 'vitest'
import { generateApiKey, MemoryKeyStore, createApiKeyAuth } from '../../src/index.js'
import { codeOf, setup } from '../support/setup.js'

describe('auth.revokeByKey', () => {
  it('revokes a key from its string with the reason, and the key is refused at once', async () => {
    const h = setup()
    const { key, id } = await h.issue()
    await h.auth.verifyKey(key) // cached
    const result = await h.auth.revokeByKey(key, { reason: 'leaked', source: 'https://x.test/a' })
    expect(result.status).toBe('revoked')
    expect(result.key?.id).toBe(id)
    expect(result.key?.revokedAt).toBeInstanceOf(Date)
    expect(JSON.stringify(result)).not.toContain(key.slice(-38))
    expect(await codeOf(() => h.auth.verifyKey(key))).toBe('KEY_REVOKED')
    const stored = await h.spy.memory.findByHash((await h.spy.memory.listByUser('u123'))[0]!.hash)
    expect(stored?.revokedReason).toBe('leaked')
  })

  it('is idempotent: a second call is already_revoked and keeps the first revokedAt', async () => {
    const h = setup()
    const { key } = await h.issue()
    const first = await h.auth.revokeByKey(key)
    h.clock.advance(60_000)
    const second = await h.auth.revokeByKey(key, { reason: 'other' })
    expect(second.status).toBe('already_revoked')
    expect(second.key?.revokedAt?.getTime()).toBe(first.key?.revokedAt?.getTime())
    const [record] = await h.spy.memory.listByUser('u123')
    expect(record?.revokedReason).toBe('leaked')
  })

  it('defaults the reason to leaked and refuses control characters or overlong reasons', async () => {
    const h = setup()
    const a = await h.issue()
    const b = await h.issue()
    await h.auth.revokeByKey(a.key, { reason: 'bad\nline' })
    await h.auth.revokeByKey(b.key, { reason: 'x'.repeat(500) })
    const reasons = (await h.spy.memory.listByUser('u123')).map((r) => r.revokedReason)
    expect(reasons).toContain('leaked')
    expect(reasons).toContain('x'.repeat(100))
  })

  it('answers not_found, without any store call, for malformed keys and bad checksums', async () => {
    const h = setup()
    const { key } = await h.issue()
    const before = h.spy.calls.findByHash
    const flipped = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A')
    for (const input of [flipped, '', 'vydra_live_user_', 42, null, undefined, {}, key + 'x']) {
      expect(await h.auth.revokeByKey(input)).toEqual({ status: 'not_found', key: null })
    }
    expect(h.spy.calls.findByHash).toBe(before)
    expect(await codeOf(() => h.auth.verifyKey(key))).toBe('resolved')
  })

  it('answers not_found for a well-formed unknown key and for another environment', async () => {
    const h = setup()
    expect((await h.auth.revokeByKey(generateApiKey('u123'))).status).toBe('not_found')
    const store = new MemoryKeyStore()
    const test = createApiKeyAuth({ store, environment: 'test', logger: false })
    const live = createApiKeyAuth({ store, logger: false })
    const { key } = await test.createKey({ userId: 'u1', name: 'k' })
    expect((await live.revokeByKey(key)).status).toBe('not_found')
    expect(await codeOf(() => test.verifyKey(key))).toBe('resolved')
  })

  it('fails closed with AUTH_UNAVAILABLE when the store fails', async () => {
    const h = setup()
    const { key } = await h.issue()
    h.spy.behave.findByHash = { kind: 'reject' }
    expect(await codeOf(() => h.auth.revokeByKey(key))).toBe('AUTH_UNAVAILABLE')
  })

  it('reaches every instance sharing the store (push invalidation)', async () => {
    const store = new MemoryKeyStore()
    const a = createApiKeyAuth({ store, logger: false })
    const b = createApiKeyAuth({ store, logger: false })
    const { key } = await a.createKey({ userId: 'u1', name: 'k' })
    await b.verifyKey(key)
    await a.revokeByKey(key)
    expect(await codeOf(() => b.verifyKey(key))).toBe('KEY_REVOKED')
  })
})

describe('revokeByKey events', () => {
  it('key.revoked and key.leaked once, named after reportedBy, never the key', async () => {
    const h = setup()
    const { key, id } = await h.issue()
    const revoked: unknown[] = []
    const leaked: unknown[] = []
    h.auth.on('key.revoked', (event) => void revoked.push(event))
    h.auth.on('key.leaked', (event) => void leaked.push(event))
    await h.auth.revokeByKey(key, { source: 'https://x.test/1', reportedBy: 'github' })
    await h.auth.revokeByKey(key, { source: 'https://x.test/2', reportedBy: 'github' })
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(revoked).toEqual([
      expect.objectContaining({
        keyId: id,
        reason: 'leaked',
        actor: { type: 'system', id: 'github' },
      }),
    ])
    expect(leaked).toEqual([
      expect.objectContaining({
        keyId: id,
        source: 'github',
        url: 'https://x.test/1',
        revoked: true,
      }),
    ])
    expect(JSON.stringify([revoked, leaked])).not.toContain(key.slice(-38, -30))
  })
})
