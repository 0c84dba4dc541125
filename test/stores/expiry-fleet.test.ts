/**
 * Exactly-once expiry warnings: 10 service instances sharing a real PostgreSQL or Redis (and the
 * memory and SQLite stores in one process) call `notifyExpiring` at the same moment, twice per step; every
 * (key, notice) is emitted by exactly one of them, with no leader.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { PostgresExpiryStore, PostgresKeyStore } from '../../adapters/stores/postgres/index.js'
import { RedisExpiryStore, RedisKeyStore } from '../../adapters/stores/redis/index.js'
import { SqliteExpiryStore, SqliteKeyStore } from '../../adapters/stores/sqlite/index.js'
import {
  createApiKeyAuth,
  MemoryExpiryStore,
  MemoryKeyStore,
  type ApiKeyAuth,
  type ExpiryStore,
  type KeyStore,
} from '../../src/index.js'
import { parseEvent } from '../support/event-schemas.js'
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

const DAY = 86_400_000
const T0 = Date.UTC(2026, 2, 1)
const pgInfo = sharedPostgres()
const redisInfo = sharedRedis()
const pool = pgInfo === null ? undefined : makePool(pgInfo, { max: 12 })
const redis = redisInfo === null ? undefined : makeRedis(redisInfo)
afterAll(async () => {
  await pool?.end()
  await redis?.quit()
})

interface Backend {
  name: string
  runs: boolean
  /** One key store, and an expiry store per instance (each its own object, as on separate hosts). */
  make: () => Promise<{ keys: KeyStore; expiry: () => ExpiryStore }>
}

const backends: Backend[] = [
  {
    name: 'memory',
    runs: true,
    make: async () => {
      const keys = new MemoryKeyStore()
      const shared = new MemoryExpiryStore(keys)
      return { keys, expiry: () => shared }
    },
  },
  {
    name: 'SQLite',
    runs: true,
    make: async () => {
      const keys = new SqliteKeyStore(':memory:')
      return { keys, expiry: () => new SqliteExpiryStore(keys.database) }
    },
  },
  {
    name: 'PostgreSQL',
    runs: serverRuns('PostgreSQL', pgInfo),
    make: async () => {
      const p = pool as NonNullable<typeof pool>
      const keyTable = uniqueName('keys')
      const table = uniqueName('notices')
      const keys = new PostgresKeyStore(p, { table: keyTable, logger: false })
      await keys.migrate()
      await new PostgresExpiryStore(p, { keyTable, table }).migrate()
      return { keys, expiry: () => new PostgresExpiryStore(p, { keyTable, table }) }
    },
  },
  {
    name: 'Redis',
    runs: serverRuns('Redis', redisInfo),
    make: async () => {
      const r = redis as NonNullable<typeof redis>
      const namespace = `${uniqueName('exp')}:`
      const keys = new RedisKeyStore(r, { namespace, durability: 'accept-risk', logger: false })
      return { keys, expiry: () => new RedisExpiryStore(r, { namespace }) }
    },
  },
]

describe.each(backends)('notifyExpiring on $name', ({ runs, make }) => {
  it.runIf(runs)('10 concurrent instances emit each (key, notice) exactly once', async () => {
    const { keys, expiry } = await make()
    let now = T0
    const emitted: string[] = []
    const fleet: ApiKeyAuth[] = Array.from({ length: 10 }, (_, i) => {
      const auth = createApiKeyAuth({
        store: keys,
        expiryStore: expiry(),
        now: () => now,
        logger: createLogSink().logger,
        cache: false,
      })
      for (const name of ['key.expiring', 'key.expired'] as const) {
        auth.on(name, (event) => {
          parseEvent(event)
          const notice = event.type === 'key.expiring' ? event.threshold : 'expired'
          emitted.push(`${event.keyId} ${notice} by ${i}`)
        })
      }
      return auth
    })
    const admin = fleet[0] as ApiKeyAuth
    const create = async (name: string, expiresInDays?: number): Promise<string> => {
      const created = await admin.createKey({ userId: 'u1', name, expiresInDays })
      registerKey(created.key)
      return created.id
    }
    const a = await create('a', 10)
    const b = await create('b', 1)
    const c = await create('c', 1)
    const e = await create('e', 1)
    await create('d')
    await admin.revokeKey({ userId: 'u1', keyId: c })

    const step = async (): Promise<string[]> => {
      emitted.length = 0
      for (let round = 0; round < 2; round++) {
        await Promise.all(fleet.map((auth) => auth.notifyExpiring({ within: ['14d', '1d'] })))
      }
      await new Promise((resolve) => setImmediate(resolve))
      return emitted.map((line) => line.replace(/ by \d+$/, '')).sort()
    }

    now = T0 + 3_600_000
    expect(await step()).toEqual([`${a} 14d`, `${b} 1d`, `${e} 1d`].sort())
    now = T0 + 9.5 * DAY
    expect(await step()).toEqual([`${a} 1d`, `${b} expired`, `${e} expired`].sort())
    now = T0 + 9.6 * DAY
    expect(await step()).toEqual([])
    await Promise.all(fleet.map((auth) => auth.close()))
    if ('close' in keys && typeof keys.close === 'function') await keys.close()
  })
})
