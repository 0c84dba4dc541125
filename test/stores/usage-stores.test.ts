/**
 * Every UsageStore (memory, SQLite, and PostgreSQL and Redis for real): sums per (key, minute,
 * outcome), the [from, to) range, a batch applied once per id (also when sent concurrently), and
 * a fleet of services whose counts add up to the requests sent across an ambiguous flush failure.
 */
import { randomUUID } from 'node:crypto'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { PostgresUsageStore } from '../../adapters/stores/postgres/index.js'
import { RedisUsageStore } from '../../adapters/stores/redis/index.js'
import { SqliteUsageStore } from '../../adapters/stores/sqlite/index.js'
import {
  createApiKeyAuth,
  MemoryKeyStore,
  type CreatedApiKey,
  MemoryUsageStore,
  type UsageBatch,
  type UsageRow,
  type UsageStore,
} from '../../src/index.js'
import { createLogSink } from '../support/log-sink.js'
import { registerKey } from '../support/secret-scan.js'
import {
  makePool,
  makeRedis,
  serverRuns,
  sharedPostgres,
  sharedRedis,
  uniqueName,
} from './helpers.js'

const MINUTE = 60_000
const T0 = Date.UTC(2026, 0, 1, 23, 58) // two minutes before a UTC day ends (Redis: two hashes)

const pgInfo = sharedPostgres()
const redisInfo = sharedRedis()
const pool = pgInfo === null ? undefined : makePool(pgInfo, { max: 12 })
const redis = redisInfo === null ? undefined : makeRedis(redisInfo)
afterAll(async () => {
  await pool?.end()
  await redis?.quit()
})

interface Row {
  name: string
  runs: boolean
  make: () => Promise<UsageStore>
}

const stores: Row[] = [
  { name: 'memory', runs: true, make: () => Promise.resolve(new MemoryUsageStore()) },
  {
    name: 'SQLite',
    runs: true,
    make: () => Promise.resolve(new SqliteUsageStore(new Database(':memory:'))),
  },
  {
    name: 'PostgreSQL',
    runs: serverRuns('PostgreSQL', pgInfo),
    make: async () => {
      const store = new PostgresUsageStore(pool as NonNullable<typeof pool>, {
        table: uniqueName('usage'),
      })
      await store.migrate()
      return store
    },
  },
  {
    name: 'Redis',
    runs: serverRuns('Redis', redisInfo),
    make: () =>
      Promise.resolve(
        new RedisUsageStore(redis as NonNullable<typeof redis>, {
          namespace: `${uniqueName('usage')}:`,
        }),
      ),
  },
]

const row = (keyId: string, minute: number, outcome: string, count: number): UsageRow => ({
  keyId,
  minute: new Date(minute),
  outcome,
  count,
})

const sorted = (rows: UsageRow[]): string[] =>
  rows.map((r) => `${r.keyId}|${r.minute.toISOString()}|${r.outcome}|${r.count}`).sort()

describe.each(stores)('$name usage store', ({ runs, make }) => {
  it.runIf(runs)('adds counts per (key, minute, outcome) and reads [from, to)', async () => {
    const store = await make()
    const a = randomUUID()
    const b = randomUUID()
    await store.addUsage({
      id: randomUUID(),
      rows: [row(a, T0, 'OK', 3), row(a, T0, 'KEY_EXPIRED', 1), row(a, T0 + 3 * MINUTE, 'OK', 2)],
    })
    await store.addUsage({ id: randomUUID(), rows: [row(a, T0, 'OK', 4), row(b, T0, 'OK', 9)] })
    expect(sorted(await store.readUsage(a, new Date(T0), new Date(T0 + 10 * MINUTE)))).toEqual(
      sorted([row(a, T0, 'OK', 7), row(a, T0, 'KEY_EXPIRED', 1), row(a, T0 + 3 * MINUTE, 'OK', 2)]),
    )
    // `to` is exclusive, `from` inclusive.
    expect(sorted(await store.readUsage(a, new Date(T0), new Date(T0 + 3 * MINUTE)))).toEqual(
      sorted([row(a, T0, 'OK', 7), row(a, T0, 'KEY_EXPIRED', 1)]),
    )
    expect(await store.readUsage(a, new Date(T0 + MINUTE), new Date(T0 + 3 * MINUTE))).toEqual([])
    expect(await store.readUsage(randomUUID(), new Date(0), new Date(T0 * 2))).toEqual([])
  })

  it.runIf(runs)('a batch is applied once per id, also when sent concurrently', async () => {
    const store = await make()
    const keyId = randomUUID()
    const batch: UsageBatch = { id: randomUUID(), rows: [row(keyId, T0, 'OK', 5)] }
    await Promise.all(Array.from({ length: 5 }, () => store.addUsage(batch)))
    await store.addUsage(batch)
    const read = await store.readUsage(keyId, new Date(T0), new Date(T0 + MINUTE))
    expect(read.map((r) => r.count)).toEqual([5])
  })

  it.runIf(runs)('10 instances adding to the same rows at once lose nothing', async () => {
    const store = await make()
    const keys = Array.from({ length: 5 }, () => randomUUID())
    const batches = Array.from({ length: 10 }, (_, i) => ({
      id: randomUUID(),
      rows: keys.flatMap((k) => [row(k, T0, 'OK', i + 1), row(k, T0 + MINUTE, 'OK', 1)]),
    }))
    await Promise.all(batches.map((b) => store.addUsage(b)))
    for (const k of keys) {
      const read = await store.readUsage(k, new Date(T0), new Date(T0 + 2 * MINUTE))
      expect(read.reduce((n, r) => n + r.count, 0)).toBe(55 + 10)
    }
  })

  it.runIf(runs)(
    'a fleet of 10 services: the counts equal the requests sent, across a flush whose answer was lost',
    async () => {
      const usageStore = await make()
      let lost = 0
      // The first write of instance 0 is applied, then reported as failed (a timeout after the
      // commit): its retry must not count twice.
      const flaky: UsageStore = {
        addUsage: async (batch) => {
          await usageStore.addUsage(batch)
          if (lost++ === 0) throw new Error('timeout after commit')
        },
        readUsage: (...args) => usageStore.readUsage(...args),
      }
      const keyStore = new MemoryKeyStore()
      let now = T0
      const fleet = Array.from({ length: 10 }, (_, i) =>
        createApiKeyAuth({
          store: keyStore,
          usageStore: i === 0 ? flaky : usageStore,
          now: () => now,
          logger: createLogSink().logger,
        }),
      )
      const keys: CreatedApiKey[] = []
      for (let i = 0; i < 5; i++) {
        const created = await (fleet[0] as (typeof fleet)[0]).createKey({
          userId: `u${i}`,
          name: 'k',
        })
        registerKey(created.key)
        keys.push(created)
      }
      let sent = 0
      for (let round = 0; round < 3; round++) {
        await Promise.all(
          fleet.flatMap((auth, i) =>
            keys.map(async (k, j) => {
              for (let n = 0; n < i + j + 1; n++) {
                await auth.verifyKey(k.key)
                sent++
              }
            }),
          ),
        )
        await Promise.all(fleet.map((auth) => auth.flushUsage()))
        now += MINUTE
      }
      await Promise.all(fleet.map((auth) => auth.close()))
      let counted = 0
      for (const k of keys) {
        const report = await (fleet[1] as (typeof fleet)[0]).usage({
          keyId: k.id,
          from: new Date(T0),
          to: new Date(now),
        })
        counted += report.total
      }
      expect(lost).toBeGreaterThan(1)
      expect(counted).toBe(sent)
    },
  )
})
