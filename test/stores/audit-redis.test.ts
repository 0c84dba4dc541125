/**
 * The audit log on real Redis: the AuditStore kit on RedisAuditStore, the service cases with a
 * RedisKeyStore, the caps (MAXLEN ~ per key and in total) and the retention (PEXPIRE).
 */
import { randomUUID } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { RedisAuditStore, RedisKeyStore } from '../../adapters/stores/redis/index.js'
import { auditStoreConformance, makeAuditRecord } from '../../src/testing/index.js'
import { auditServiceCases } from '../support/audit-service-cases.js'
import { makeRedis, serverRuns, sharedRedis, uniqueName } from './helpers.js'

const redisInfo = sharedRedis()
const runs = serverRuns('Redis', redisInfo)
const client = redisInfo === null ? undefined : makeRedis(redisInfo)
const redis = (): NonNullable<typeof client> => client as NonNullable<typeof client>
afterAll(() => client?.quit())

describe.runIf(runs)('RedisAuditStore', () => {
  auditStoreConformance(
    'RedisAuditStore',
    () => new RedisAuditStore(redis(), { namespace: `${uniqueName('aud')}:` }),
    // A stream cannot refuse a duplicate id cheaply; the core never reuses one.
    { uniqueIds: false },
  )

  auditServiceCases('RedisKeyStore + RedisAuditStore', () => {
    const namespace = `${uniqueName('aus')}:`
    const store = new RedisKeyStore(redis(), { namespace })
    return {
      store,
      auditStore: new RedisAuditStore(redis(), { namespace }),
      close: () => store.close?.(),
    }
  })

  it('caps each key stream and the stream of every record, and expires idle key streams', async () => {
    const namespace = `${uniqueName('cap')}:`
    const store = new RedisAuditStore(redis(), {
      namespace,
      maxPerKey: 10,
      maxTotal: 30,
      retentionDays: 2,
    })
    const keyId = randomUUID()
    const t0 = Date.UTC(2026, 3, 1)
    for (let i = 0; i < 300; i++) {
      await store.appendAudit([
        makeAuditRecord(keyId, t0 + i),
        makeAuditRecord(randomUUID(), t0 + i),
      ])
    }
    // MAXLEN ~ trims whole macro nodes (100 entries by default): bounded, not exact.
    const perKey = await redis().xlen(store.keyStream(keyId))
    expect(perKey).toBeGreaterThanOrEqual(10)
    expect(perKey).toBeLessThan(300)
    const total = await redis().xlen(store.stream)
    expect(total).toBeGreaterThanOrEqual(30)
    expect(total).toBeLessThan(600)
    // The newest records are the ones kept.
    const listed = await store.listAudit({ keyId, limit: 3, before: null })
    expect(listed.map((r) => r.at.getTime())).toEqual([t0 + 299, t0 + 298, t0 + 297])
    const ttl = await redis().pttl(store.keyStream(keyId))
    expect(ttl).toBeGreaterThan(2 * 86_400_000 - 60_000)
    expect(ttl).toBeLessThanOrEqual(2 * 86_400_000)
  })

  it('refuses bad options', () => {
    expect(() => new RedisAuditStore(redis(), { maxPerKey: 0 })).toThrow(/maxPerKey/)
    expect(() => new RedisAuditStore(redis(), { retentionDays: 1.5 })).toThrow(/retentionDays/)
    expect(() => new RedisAuditStore(redis(), { namespace: '' })).toThrow(/namespace/)
    expect(() => new RedisAuditStore({} as never)).toThrow(/ioredis/)
  })
})
