/**
 * Key management (create, list, revoke), written against surviving mutants (docs/testing.md,
 * mutation testing): which 0.2 fields a new record carries (only those that say something, so a
 * 0.1 store sees 0.1 records), usage limits given at creation, the revoke reason's validation
 * error, audit records of a repeated revocation, and the owner fields of the input.
 */
import { describe, expect, it } from 'vitest'
import {
  type ApiKeyRecord,
  type KeyStore,
  AuthError,
  createApiKeyAuth,
  MemoryAuditStore,
  MemoryKeyStore,
} from '../../src/index.js'
import { createClock } from '../support/clock.js'
import { registerKey } from '../support/secret-scan.js'
import { errorOf } from '../support/setup.js'

// The record as the store received it.
function stored(memory: MemoryKeyStore, id: string): ApiKeyRecord {
  const record = memory.snapshot().find((r) => r.id === id)
  if (record === undefined) throw new Error(`no record ${id}`)
  return record
}

describe('the record a new key is stored as', () => {
  it("a user's key without extras has exactly the 0.1 fields", async () => {
    const memory = new MemoryKeyStore()
    const auth = createApiKeyAuth({ store: memory, ownerTypes: ['user', 'org'], logger: false })
    const { id, key } = await auth.createKey({ userId: 'u1', name: 'plain', ownerType: 'user' })
    registerKey(key)
    expect(Object.keys(stored(memory, id)).sort()).toEqual(
      [
        'createdAt',
        'expiresAt',
        'hash',
        'id',
        'keyPrefix',
        'lastUsedAt',
        'name',
        'revokedAt',
        'scopes',
        'userId',
      ].sort(),
    )
    await auth.close()
  })

  it("an organisation's key records its owner type; createdBy and limits when given", async () => {
    const memory = new MemoryKeyStore()
    const auth = createApiKeyAuth({
      store: memory,
      ownerTypes: ['user', 'org', 'svc'],
      logger: false,
    })
    const limits = { credits: { remaining: 5 } }
    const org = await auth.createKey({
      ownerType: 'org',
      ownerId: 'acme',
      name: 'org key',
      createdBy: 'u1',
      limits,
    })
    const svc = await auth.createKey({ ownerType: 'svc', ownerId: 'billing', name: 'svc key' })
    registerKey(org.key)
    registerKey(svc.key)
    const record = stored(memory, org.id)
    expect(record).toMatchObject({ userId: 'org:acme', ownerType: 'org', createdBy: 'u1', limits })
    // A copy, frozen: the caller's object can change later, the key's limits cannot.
    limits.credits.remaining = 1_000
    expect(record.limits).toEqual({ credits: { remaining: 5 } })
    expect(stored(memory, svc.id)).toMatchObject({ userId: 'svc:billing', ownerType: 'svc' })
    expect(
      (await auth.listKeys({ ownerType: 'org', ownerId: 'acme' })).map((k) => [
        k.ownerType,
        k.createdBy,
        k.limits,
      ]),
    ).toEqual([['org', 'u1', { credits: { remaining: 5 } }]])
    const principal = await auth.verifyKey(org.key)
    expect(principal.keyId).toBe(org.id)
    await auth.close()
  })

  it('an owner id or type the input schema refuses is named in the validation error', async () => {
    const auth = createApiKeyAuth({
      store: new MemoryKeyStore(),
      ownerTypes: ['user', 'org', 'svc'],
      logger: false,
    })
    const error = await errorOf(() =>
      auth.createKey({ ownerType: 'org', ownerId: 'not ok!', name: 'k' }),
    )
    expect(error).toBeInstanceOf(AuthError)
    expect((error as AuthError).issues).toEqual([
      { path: ['ownerId'], message: 'must match [A-Za-z0-9_-]{1,64}' },
    ])
    const badType = await errorOf(() =>
      auth.createKey({ ownerType: 'team' as 'org', ownerId: 'x', name: 'k' }),
    )
    expect((badType as AuthError).issues).toEqual([
      { path: ['ownerType'], message: expect.stringContaining('"user"|"org"|"svc"') as string },
    ])
    await auth.close()
  })
})

describe('revokeKey', () => {
  it('a reason over 200 characters or with control characters is a named validation error', async () => {
    const auth = createApiKeyAuth({ store: new MemoryKeyStore(), logger: false })
    const { id, key } = await auth.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    for (const reason of ['x'.repeat(201), 'line\nbreak', '']) {
      const error = await errorOf(() => auth.revokeKey({ userId: 'u1', keyId: id, reason }))
      expect(error).toMatchObject({ code: 'VALIDATION_ERROR', status: 400 })
      expect((error as AuthError).issues).toEqual([
        { path: ['reason'], message: 'must be 1–200 characters without control characters' },
      ])
    }
    // Nothing was revoked by the refused calls.
    expect((await auth.listKeys('u1'))[0]?.revokedAt).toBeNull()
    await auth.close()
  })

  it('revoking twice writes one audit record (the second call changes nothing)', async () => {
    const auditStore = new MemoryAuditStore()
    // A clock that stands still: the second call sees the very instant of the first revocation.
    const clock = createClock()
    const auth = createApiKeyAuth({
      store: new MemoryKeyStore(),
      auditStore,
      now: clock.now,
      logger: false,
    })
    const { id, key } = await auth.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    const first = await auth.revokeKey({ userId: 'u1', keyId: id, reason: 'leaked' })
    const second = await auth.revokeKey({ userId: 'u1', keyId: id, reason: 'user' })
    expect(second.revokedAt).toEqual(first.revokedAt)
    const { events } = await auth.listEvents({ userId: 'u1', keyId: id })
    expect(events.map((e) => [e.action, e.reason])).toEqual([
      ['revoked', 'leaked'],
      ['created', null],
    ])
    await auth.close()
  })

  it('a key another instance revoked first gets no second audit record from this call', async () => {
    const memory = new MemoryKeyStore()
    // Another instance revokes the key between this call's read and its write: the store keeps
    // that earlier revocation and answers with it.
    const racing: KeyStore = {
      insert: (r) => memory.insert(r),
      findByHash: (h) => memory.findByHash(h),
      listByUser: (u) => memory.listByUser(u),
      revoke: async (keyId, userId, at, reason) => {
        await memory.revoke(keyId, userId, new Date(at.getTime() - 60_000), 'admin')
        return memory.revoke(keyId, userId, at, reason)
      },
    }
    const auditStore = new MemoryAuditStore()
    const auth = createApiKeyAuth({ store: racing, auditStore, logger: false })
    const { id, key } = await auth.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    const info = await auth.revokeKey({ userId: 'u1', keyId: id, reason: 'user' })
    expect(info.revokedReason).toBe('admin')
    const { events } = await auth.listEvents({ userId: 'u1', keyId: id })
    expect(events.map((e) => e.action)).toEqual(['created'])
    await auth.close()
  })
})
