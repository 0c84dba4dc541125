/**
 * The audit log in memory (src/service/audit-log.ts, audit-listing.ts, memory-audit-store.ts):
 * the service cases, revokeByKey's record, the log off, a failing audit store, a store that
 * writes the records itself.
 */
import { describe, expect, it } from 'vitest'
import {
  createApiKeyAuth,
  MemoryAuditStore,
  MemoryKeyStore,
  type AuditRecord,
  type AuditStore,
  type AuditWrite,
} from '../src/index.js'
import { uuidV7 } from '../src/lib/uuid-v7.js'
import { auditServiceCases } from './support/audit-service-cases.js'
import { createLogSink } from './support/log-sink.js'
import { registerKey } from './support/secret-scan.js'

auditServiceCases('MemoryKeyStore + MemoryAuditStore', () => ({
  store: new MemoryKeyStore(),
  auditStore: new MemoryAuditStore(),
}))

const code = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => 'ok',
    (error: { code?: string }) => error.code,
  )

describe('audit log', () => {
  it('records a leaked key revoked by revokeByKey as leaked, by the reporter', async () => {
    const auditStore = new MemoryAuditStore()
    const auth = createApiKeyAuth({ store: new MemoryKeyStore(), auditStore, logger: false })
    const { id, key } = await auth.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    await auth.revokeByKey(key, { reportedBy: 'github', source: 'https://gist.example/1' })
    await auth.revokeByKey(key, { reportedBy: 'github' })
    const { events } = await auth.listEvents({ userId: 'u1', keyId: id })
    expect(events.map((e) => [e.action, e.reason, e.actor])).toEqual([
      ['leaked', 'leaked', { type: 'system', id: 'github' }],
      ['created', null, null],
    ])
    expect(JSON.stringify(events)).not.toContain('gist.example')
  })

  it('is off without auditStore: listEvents is NOT_SUPPORTED, changes work', async () => {
    const auth = createApiKeyAuth({ store: new MemoryKeyStore(), logger: false })
    const { id, key } = await auth.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    expect(await code(auth.listEvents({ userId: 'u1', keyId: id }))).toBe('NOT_SUPPORTED')
    expect(await code(auth.revokeKey({ userId: 'u1', keyId: id }))).toBe('ok')
  })

  it('refuses an auditStore that is not one', () => {
    expect(() =>
      createApiKeyAuth({
        store: new MemoryKeyStore(),
        auditStore: {} as unknown as AuditStore,
      }),
    ).toThrow(/auditStore/)
  })

  it('keeps a change whose separate audit append fails, and logs the record', async () => {
    const sink = createLogSink()
    const failing: AuditStore = {
      appendAudit: () => Promise.reject(new Error('disk full')),
      listAudit: () => Promise.reject(new Error('disk full')),
    }
    const auth = createApiKeyAuth({
      store: new MemoryKeyStore(),
      auditStore: failing,
      logger: sink.logger,
    })
    const { id, key } = await auth.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    expect(sink.lines.find((l) => l.message === 'audit record not written')?.context).toMatchObject(
      { records: [{ keyId: id, action: 'created' }] },
    )
    expect(await code(auth.listEvents({ userId: 'u1', keyId: id }))).toBe('AUTH_UNAVAILABLE')
  })

  it('answers AUTH_UNAVAILABLE for corrupt records from the audit store', async () => {
    const auditStore: AuditStore = {
      appendAudit: () => Promise.resolve(),
      listAudit: () => Promise.resolve([{ id: 1 }] as unknown as AuditRecord[]),
    }
    const auth = createApiKeyAuth({ store: new MemoryKeyStore(), auditStore, logger: false })
    const { id, key } = await auth.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    expect(await code(auth.listEvents({ userId: 'u1', keyId: id }))).toBe('AUTH_UNAVAILABLE')
  })

  it('hands the records to a key store that is also the audit store, and appends nothing', async () => {
    const memory = new MemoryAuditStore()
    const received: unknown[][] = []
    // A memory key store that takes the trailing audit argument itself.
    class AuditingStore extends MemoryKeyStore implements AuditStore {
      override async insertCapped(
        record: Parameters<MemoryKeyStore['insertCapped']>[0],
        cap: Parameters<MemoryKeyStore['insertCapped']>[1],
        audit?: AuditWrite,
      ): Promise<boolean> {
        received.push(['insertCapped', audit?.map((r) => r.action)])
        const inserted = await super.insertCapped(record, cap)
        if (inserted && audit !== undefined) await memory.appendAudit(audit)
        return inserted
      }
      appendAudit(): Promise<void> {
        throw new Error('the service must not append separately')
      }
      listAudit(query: Parameters<AuditStore['listAudit']>[0]): Promise<AuditRecord[]> {
        return memory.listAudit(query)
      }
    }
    const store = new AuditingStore()
    const auth = createApiKeyAuth({ store, auditStore: store, logger: false })
    const { id, key } = await auth.createKey({ userId: 'u1', name: 'k' })
    registerKey(key)
    expect(received).toEqual([['insertCapped', ['created']]])
    expect((await auth.listEvents({ userId: 'u1', keyId: id })).events).toHaveLength(1)
  })
})

describe('uuidV7', () => {
  it('is a version 7 UUID, sorts by time, and is monotonic within a millisecond and backwards', () => {
    // Far in the future: the generator is monotonic across the whole process.
    const t = 2 ** 47
    const ids = [uuidV7(t), uuidV7(t), uuidV7(t), uuidV7(t - 1), uuidV7(t + 1000)]
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect([...ids].sort()).toEqual(ids)
    expect(new Set(ids).size).toBe(ids.length)
    expect(parseInt(ids[4]!.replace(/-/g, '').slice(0, 12), 16)).toBe(t + 1000)
  })
})
