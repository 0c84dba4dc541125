/**
 * Revocation from the full key and `lookupKey` (`src/service/revoke-by-key.ts`), written against
 * surviving mutants (docs/testing.md, mutation testing): the audit action and actor, the
 * events, a revocation another caller made first, a store answering `null`, keys of other owner
 * kinds, and an empty reason.
 */
import { describe, expect, it } from 'vitest'
import {
  type ApiKeyRecord,
  type AuditQuery,
  type AuditRecord,
  createApiKeyAuth,
  type KeyStore,
  MemoryAuditStore,
  MemoryKeyStore,
} from '../../src/index.js'
import { registerKey } from '../support/secret-scan.js'

const turn = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5))

describe('revokeByKey', () => {
  it('audits a non-leak reason as revoked, by revokeByKey unless a reporter is named', async () => {
    const auditStore = new MemoryAuditStore()
    const auth = createApiKeyAuth({ store: new MemoryKeyStore(), auditStore, logger: false })
    const { id, key } = await auth.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    expect((await auth.revokeByKey(key, { reason: 'rotated' })).status).toBe('revoked')
    const { events } = await auth.listEvents({ userId: 'u1', keyId: id })
    expect(events.map((e) => [e.action, e.reason, e.actor])).toEqual([
      ['revoked', 'rotated', { type: 'system', id: 'revokeByKey' }],
      ['created', null, null],
    ])
    await auth.close()
  })

  it('emits key.revoked, and key.leaked only for a leak; an empty reason is a leak', async () => {
    const auth = createApiKeyAuth({ store: new MemoryKeyStore(), logger: false })
    const seen: string[] = []
    auth.on('key.revoked', (e) => void seen.push(`revoked ${e.reason}`))
    auth.on('key.leaked', () => void seen.push('leaked'))
    const a = await auth.createKey({ userId: 'u1', name: 'a' })
    const b = await auth.createKey({ userId: 'u1', name: 'b' })
    registerKey(a.key)
    registerKey(b.key)
    await auth.revokeByKey(a.key, { reason: 'rotated' })
    await turn()
    expect(seen).toEqual(['revoked rotated'])
    seen.length = 0
    await auth.revokeByKey(b.key, { reason: '' })
    await turn()
    expect(seen.sort()).toEqual(['leaked', 'revoked leaked'])
    expect((await auth.lookupKey(b.key))?.revokedReason).toBe('leaked')
    await auth.close()
  })

  it('a key another caller revoked first is already_revoked here: no event, no audit record', async () => {
    const memory = new MemoryKeyStore()
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
    const seen: string[] = []
    auth.on('key.revoked', () => void seen.push('revoked'))
    auth.on('key.leaked', () => void seen.push('leaked'))
    const { id, key } = await auth.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    const result = await auth.revokeByKey(key)
    expect(result.status).toBe('already_revoked')
    expect(result.key?.revokedReason).toBe('admin')
    await turn()
    expect(seen).toEqual([])
    const { events } = await auth.listEvents({ userId: 'u1', keyId: id })
    expect(events.map((e) => e.action)).toEqual(['created'])
    await auth.close()
  })

  it('a store answering null to the revoke is not_found', async () => {
    const memory = new MemoryKeyStore()
    const store: KeyStore = {
      insert: (r) => memory.insert(r),
      findByHash: (h) => memory.findByHash(h),
      listByUser: (u) => memory.listByUser(u),
      revoke: async () => null,
    }
    const auth = createApiKeyAuth({ store, logger: false })
    const { key } = await auth.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    expect(await auth.revokeByKey(key)).toEqual({ status: 'not_found', key: null })
    await auth.close()
  })

  it("an organisation's key is found and revoked by its string", async () => {
    const auth = createApiKeyAuth({
      store: new MemoryKeyStore(),
      ownerTypes: ['user', 'org'],
      logger: false,
    })
    const { id, key } = await auth.createKey({ ownerType: 'org', ownerId: 'acme', name: 'k' })
    registerKey(key)
    expect((await auth.lookupKey(key))?.id).toBe(id)
    expect(await auth.revokeByKey(key)).toMatchObject({ status: 'revoked', key: { id } })
    await auth.close()
  })
})

describe('lookupKey', () => {
  it('the info of a key of this instance; null for anything else', async () => {
    const auth = createApiKeyAuth({ store: new MemoryKeyStore(), logger: false })
    const other = createApiKeyAuth({ store: new MemoryKeyStore(), logger: false })
    const { id, key } = await auth.createKey({ userId: 'u1', name: 'k' })
    const unknown = await other.createKey({ userId: 'u1', name: 'elsewhere' })
    registerKey(key)
    registerKey(unknown.key)
    expect(await auth.lookupKey(key)).toMatchObject({ id, name: 'k', revokedAt: null })
    expect(await auth.lookupKey(unknown.key)).toBeNull()
    expect(await auth.lookupKey('not a key')).toBeNull()
    expect(await auth.lookupKey(42)).toBeNull()
    await auth.revokeKey({ userId: 'u1', keyId: id })
    expect((await auth.lookupKey(key))?.revokedAt).toBeInstanceOf(Date)
    await Promise.all([auth.close(), other.close()])
  })
})

describe('revokeByKey with a store that is also the audit store', () => {
  it('hands the audit record to the store with the revocation', async () => {
    const memory = new MemoryKeyStore()
    const audit = new MemoryAuditStore()
    const both: KeyStore & {
      appendAudit: (r: readonly AuditRecord[]) => Promise<void>
      listAudit: (q: AuditQuery) => Promise<AuditRecord[]>
    } = {
      insert: async (record: ApiKeyRecord, write?: readonly AuditRecord[]) => {
        await memory.insert(record)
        if (write !== undefined) await audit.appendAudit(write)
      },
      findByHash: (h) => memory.findByHash(h),
      listByUser: (u) => memory.listByUser(u),
      revoke: async (keyId, userId, at, reason, write) => {
        const record = await memory.revoke(keyId, userId, at, reason)
        if (record !== null && write !== undefined) {
          await audit.appendAudit(write as readonly AuditRecord[])
        }
        return record
      },
      appendAudit: (r) => audit.appendAudit(r),
      listAudit: (q) => audit.listAudit(q),
    }
    const auth = createApiKeyAuth({ store: both, auditStore: both, logger: false })
    const { id, key } = await auth.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    expect((await auth.revokeByKey(key, { reportedBy: 'github' })).status).toBe('revoked')
    const { events } = await auth.listEvents({ userId: 'u1', keyId: id })
    expect(events.map((e) => [e.action, e.actor])).toEqual([
      ['leaked', { type: 'system', id: 'github' }],
      ['created', null],
    ])
    await auth.close()
  })
})
