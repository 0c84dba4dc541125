/**
 * The LimitStore conformance kit on all four backends: memory, SQLite, and the real Redis and
 * PostgreSQL the test run starts; plus what each backend promises beyond the kit.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { PostgresLimitStore } from '../../adapters/stores/postgres/index.js'
import { RedisLimitStore } from '../../adapters/stores/redis/index.js'
import { SqliteLimitStore } from '../../adapters/stores/sqlite/index.js'
import { type LimitCheck, type LimitOutcome, MemoryLimitStore } from '../../src/index.js'
import { applyCheck, type LimitState } from '../../src/limits/sliding-window.js'
import { limitStoreConformance } from '../../src/testing/index.js'
import {
  makePool,
  makeRedis,
  serverRuns,
  sharedPostgres,
  sharedRedis,
  uniqueName,
} from './helpers.js'

const T0 = Date.UTC(2026, 0, 1)
const dir = mkdtempSync(join(tmpdir(), 'vydra-limits-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

limitStoreConformance('MemoryLimitStore', () => new MemoryLimitStore())

limitStoreConformance(
  'SqliteLimitStore (file)',
  () => new SqliteLimitStore(join(dir, `${uniqueName('l')}.db`)),
  {
    cleanup: (store) => {
      store.database.close()
    },
  },
)

const redisInfo = sharedRedis()
describe.runIf(serverRuns('Redis', redisInfo))('RedisLimitStore', () => {
  const client = redisInfo === null ? undefined : makeRedis(redisInfo)
  afterAll(() => client?.quit())
  const redis = (): NonNullable<typeof client> => client as NonNullable<typeof client>

  limitStoreConformance(
    'RedisLimitStore',
    () => new RedisLimitStore(redis(), { prefix: `${uniqueName('lim')}:` }),
  )

  it('one round trip per check, and rate-only state expires with its window', async () => {
    const prefix = `${uniqueName('rt')}:`
    const store = new RedisLimitStore(redis(), { prefix })
    const check = {
      subject: 'key:a',
      rate: [{ name: 'm', limit: 5, windowMs: 60_000 }],
      cost: 1,
      now: T0,
    }
    await store.consume(check) // loads the script if the server did not know it
    const sent: string[] = []
    const original = redis().sendCommand.bind(redis())
    redis().sendCommand = ((command: { name: string }) => {
      sent.push(command.name)
      return original(command as never)
    }) as typeof original
    try {
      await store.consume(check)
    } finally {
      redis().sendCommand = original
    }
    expect(sent).toEqual(['evalsha'])
    const ttl = await redis().pttl(`${prefix}key:a`)
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(63_000)
  })

  const rate5 = [{ name: 'm', limit: 5, windowMs: 60_000 }]
  const at = (subject: string) => ({ subject, rate: rate5, cost: 1, now: T0 })

  /** Counts the commands the client sends while `run` runs. */
  async function commandsOf(run: () => Promise<unknown>): Promise<string[]> {
    const sent: string[] = []
    const original = redis().sendCommand.bind(redis())
    redis().sendCommand = ((command: { name: string }) => {
      sent.push(command.name)
      return original(command as never)
    }) as typeof original
    try {
      await run()
    } finally {
      redis().sendCommand = original
    }
    return sent
  }

  it('coalesces the checks of one turn into one script call, applied in order', async () => {
    const store = new RedisLimitStore(redis(), { prefix: `${uniqueName('co')}:` })
    await store.consume(at('warm'))
    let outcomes: Awaited<ReturnType<typeof store.consume>>[] = []
    const sent = await commandsOf(async () => {
      outcomes = await Promise.all([
        ...Array.from({ length: 8 }, () => store.consume(at('key:same'))),
        store.consume(at('key:other')),
      ])
    })
    expect(sent).toEqual(['evalsha'])
    // Exact and in call order: the first 5 of the same key are admitted, the rest refused.
    expect(outcomes.map((o) => o.allowed)).toEqual([
      true,
      true,
      true,
      true,
      true,
      false,
      false,
      false,
      true,
    ])
    expect(outcomes.slice(0, 5).map((o) => o.rate[0]?.remaining)).toEqual([4, 3, 2, 1, 0])
    expect(outcomes[8]?.rate[0]?.remaining).toBe(4)
  })

  it('one script call answers checks of different shapes, each as the reference would', async () => {
    const prefix = `${uniqueName('mix')}:`
    const store = new RedisLimitStore(redis(), { prefix })
    const second = { name: 'second', limit: 2, windowMs: 1_000 }
    const day = { name: 'day', limit: 3, windowMs: 86_400_000 }
    const credits = { remaining: 2, refill: { amount: 2, intervalMs: 60_000 } }
    const checks: LimitCheck[] = [
      { subject: 'key:a', rate: [second, day], cost: 1, now: T0 },
      { subject: 'key:b', rate: [], credits, cost: 2, now: T0 },
      { subject: 'key:a', rate: [second, day], credits: { remaining: 1 }, cost: 1, now: T0 + 5 },
      { subject: 'key:b', rate: [day], credits, cost: 1, now: T0 + 6 },
      { subject: 'key:a', rate: [second], cost: 1, now: T0 + 7 },
      { subject: 'key:a', rate: [second, day], cost: 2, now: T0 + 8 },
    ]
    await store.consume(at('warm'))
    let outcomes: LimitOutcome[] = []
    const sent = await commandsOf(async () => {
      outcomes = await Promise.all(checks.map((check) => store.consume(check)))
    })
    expect(sent).toEqual(['evalsha'])
    const states = new Map<string, LimitState | undefined>()
    const expected = checks.map((check) => {
      const applied = applyCheck(states.get(check.subject), check)
      states.set(check.subject, applied.state)
      return applied.outcome
    })
    expect(outcomes).toEqual(expected)
    expect(new Set(expected.map((o) => o.deniedBy ?? 'allowed'))).toEqual(
      new Set(['allowed', 'rate', 'credits']),
    )
    // The state is the script's packed format, behind its tag.
    expect((await redis().getBuffer(`${prefix}key:a`))?.subarray(0, 2).toString()).toBe('L1')
  })

  it('sends a batch as soon as it holds maxBatch checks; maxBatch 1 sends each alone', async () => {
    const capped = new RedisLimitStore(redis(), { prefix: `${uniqueName('cap')}:`, maxBatch: 4 })
    await capped.consume(at('warm'))
    const ten = await commandsOf(() =>
      Promise.all(Array.from({ length: 10 }, (_, i) => capped.consume(at(`key:${i}`)))),
    )
    expect(ten).toEqual(['evalsha', 'evalsha', 'evalsha'])
    const single = new RedisLimitStore(redis(), { prefix: `${uniqueName('one')}:`, maxBatch: 1 })
    const three = await commandsOf(() =>
      Promise.all(Array.from({ length: 3 }, (_, i) => single.consume(at(`key:${i}`)))),
    )
    expect(three).toEqual(['evalsha', 'evalsha', 'evalsha'])
  })

  it('a check the script cannot apply fails alone; a failed call fails every check', async () => {
    const prefix = `${uniqueName('bad')}:`
    const store = new RedisLimitStore(redis(), { prefix })
    await redis().set(`${prefix}key:corrupt`, 'not json')
    const [good, bad, after] = await Promise.allSettled([
      store.consume(at('key:a')),
      store.consume(at('key:corrupt')),
      store.consume(at('key:b')),
    ])
    expect(good).toMatchObject({ status: 'fulfilled', value: { allowed: true } })
    expect(bad).toMatchObject({ status: 'rejected' })
    expect(after).toMatchObject({ status: 'fulfilled', value: { allowed: true } })

    const down = new Error('connection lost')
    const original = redis().evalsha.bind(redis())
    redis().evalsha = (() => Promise.reject(down)) as unknown as typeof original
    try {
      const settled = await Promise.allSettled([
        store.consume(at('key:a')),
        store.consume(at('key:c')),
      ])
      expect(settled).toEqual([
        { status: 'rejected', reason: down },
        { status: 'rejected', reason: down },
      ])
    } finally {
      redis().evalsha = original
    }
  })

  it('refuses a bad maxBatch at construction', () => {
    for (const maxBatch of [0, -1, 1.5, 1001, Number.NaN]) {
      expect(() => new RedisLimitStore(redis(), { maxBatch })).toThrow(
        expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
      )
    }
  })

  it('reloads its script after SCRIPT FLUSH', async () => {
    const store = new RedisLimitStore(redis(), { prefix: `${uniqueName('fl')}:` })
    await redis().script('FLUSH')
    const outcome = await store.consume({
      subject: 'key:b',
      rate: [],
      credits: { remaining: 1 },
      cost: 1,
      now: T0,
    })
    expect(outcome).toMatchObject({ allowed: true, rate: [], credits: { remaining: 0 } })
    await redis().script('FLUSH')
    const batch = await Promise.all([store.consume(at('key:c')), store.consume(at('key:d'))])
    expect(batch.map((o) => o.allowed)).toEqual([true, true])
  })
})

describe('RedisLimitStore on a Redis Cluster client', () => {
  it('sends each check in its own call (a script call cannot span slots)', async () => {
    const calls: unknown[][] = []
    // The script's answer for an admitted check without limits: status 0, nothing else counted.
    const answer = [0, -1, -1, -1]
    const cluster = {
      isCluster: true,
      evalsha: (...args: unknown[]) => {
        calls.push(args)
        return Promise.resolve(Array.from({ length: Number(args[1]) }, () => answer))
      },
    }
    const store = new RedisLimitStore(cluster as never, { prefix: 'p:' })
    const check = (subject: string) => ({ subject, rate: [], cost: 1, now: T0 })
    const outcomes = await Promise.all(['a', 'b', 'c'].map((s) => store.consume(check(s))))
    expect(outcomes.map((o) => o.allowed)).toEqual([true, true, true])
    expect(calls.map((c) => [c[1], c[2]])).toEqual([
      [1, 'p:a'],
      [1, 'p:b'],
      [1, 'p:c'],
    ])
  })
})

const pgInfo = sharedPostgres()
describe.runIf(serverRuns('PostgreSQL', pgInfo))('PostgresLimitStore', () => {
  const pool = pgInfo === null ? undefined : makePool(pgInfo)
  afterAll(() => pool?.end())
  const tables = new WeakMap<PostgresLimitStore, string>()
  const p = (): NonNullable<typeof pool> => pool as NonNullable<typeof pool>

  limitStoreConformance(
    'PostgresLimitStore',
    async () => {
      const table = uniqueName('lim')
      const store = new PostgresLimitStore(p(), { table })
      await store.migrate()
      tables.set(store, table)
      return store
    },
    {
      cleanup: async (store) => {
        const table = tables.get(store)
        await p().query(`DROP FUNCTION IF EXISTS "${table}_consume"(text, jsonb)`)
        await p().query(`DROP TABLE IF EXISTS "${table}"`)
      },
    },
  )

  it('migrate is idempotent and safe to run concurrently', async () => {
    const table = uniqueName('mig')
    const stores = Array.from({ length: 4 }, () => new PostgresLimitStore(p(), { table }))
    await Promise.all(stores.map((s) => s.migrate()))
    await stores[0]?.migrate()
    expect(
      (
        await stores[1]?.consume({
          subject: 'key:x',
          rate: [],
          credits: { remaining: 1 },
          cost: 1,
          now: T0,
        })
      )?.allowed,
    ).toBe(true)
    await p().query(`DROP FUNCTION IF EXISTS "${table}_consume"(text, jsonb)`)
    await p().query(`DROP TABLE IF EXISTS "${table}"`)
  })

  it('refuses bad table names at construction', () => {
    expect(() => new PostgresLimitStore(p(), { table: 'x; drop' })).toThrow(
      expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
    )
  })
})

describe('SqliteLimitStore', () => {
  it('two connections on one file count together', async () => {
    const file = join(dir, `${uniqueName('two')}.db`)
    const a = new SqliteLimitStore(new Database(file))
    const b = new SqliteLimitStore(new Database(file))
    const rate = [{ name: 'm', limit: 3, windowMs: 60_000 }]
    const results = []
    for (let i = 0; i < 6; i++) {
      results.push(
        (await (i % 2 === 0 ? a : b).consume({ subject: 'key:s', rate, cost: 1, now: T0 })).allowed,
      )
    }
    expect(results.filter(Boolean)).toHaveLength(3)
    a.database.close()
    b.database.close()
  })
})

describe('MemoryLimitStore', () => {
  it('holds at most maxSubjects, forgetting the least recently charged', async () => {
    const store = new MemoryLimitStore({ maxSubjects: 3 })
    const rate = [{ name: 'm', limit: 1, windowMs: 60_000 }]
    for (const s of ['a', 'b', 'c', 'a', 'd'])
      await store.consume({ subject: s, rate, cost: 1, now: T0 })
    expect(store.size).toBe(3)
    // 'b' was forgotten (least recent), 'a' was not.
    expect((await store.consume({ subject: 'b', rate, cost: 1, now: T0 })).allowed).toBe(true)
    expect((await store.consume({ subject: 'a', rate, cost: 1, now: T0 })).allowed).toBe(false)
  })

  it('refuses a bad maxSubjects', () => {
    for (const maxSubjects of [0, -1, 1.5, Number.NaN]) {
      expect(() => new MemoryLimitStore({ maxSubjects })).toThrow(
        expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
      )
    }
  })
})
