import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import pg from 'pg'
import { PostgresKeyStore } from '../../adapters/stores/postgres/index.js'
import { createApiKeyAuth } from '../../src/index.js'
import { keyStoreConformance, makeTestRecord } from '../../src/testing/index.js'
import { createLogSink } from '../support/log-sink.js'
import { makePool, sharedPostgres, uniqueName } from './helpers.js'

const info = sharedPostgres()
const ALL = {
  touch: true,
  onRevoke: true,
  onInvalidate: true,
  roll: true,
  startRollGrace: true,
  setDisabled: true,
  update: true,
  listPage: true,
  insertCapped: true,
  revokeReason: true,
  lifecycleFields: true,
}

describe.skipIf(info === null)('PostgresKeyStore', () => {
  const pool = info === null ? undefined : makePool(info)
  const tables = new WeakMap<PostgresKeyStore, string>()
  afterAll(() => pool?.end())

  keyStoreConformance(
    'PostgresKeyStore',
    async () => {
      const table = uniqueName('conf')
      const store = new PostgresKeyStore(pool as NonNullable<typeof pool>, { table, logger: false })
      await store.migrate()
      tables.set(store, table)
      return store
    },
    {
      capabilities: { ...ALL, pepperRotation: true },
      dump: async (store) => (await pool?.query(`SELECT * FROM "${tables.get(store)}"`))?.rows,
      cleanup: async (store) => {
        await store.close()
        await pool?.query(`DROP TABLE IF EXISTS "${tables.get(store)}"`)
      },
    },
  )
})

// The longest names the store accepts: a 48-character schema and 48-character tables (so a
// 56-character default channel). Prepared-statement names derived from them must stay under
// PostgreSQL's 63-byte limit and distinct, or the truncated names collide (issue 9, finding 9).
const longest = (prefix: string): string => uniqueName(prefix).padEnd(48, 'x')

describe.skipIf(info === null)('PostgresKeyStore with the longest accepted names', () => {
  const pool = info === null ? undefined : makePool(info)
  const schema = longest('schema')
  const tables = new WeakMap<PostgresKeyStore, string>()
  beforeAll(async () => {
    await pool?.query(`CREATE SCHEMA "${schema}"`)
  })
  afterAll(async () => {
    await pool?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    await pool?.end()
  })

  keyStoreConformance(
    'PostgresKeyStore (48-character schema and table)',
    async () => {
      const table = longest('t')
      expect(schema).toHaveLength(48)
      expect(table).toHaveLength(48)
      const store = new PostgresKeyStore(pool as NonNullable<typeof pool>, {
        schema,
        table,
        logger: false,
      })
      expect(store.channel).toBe(`${table}_revoked`)
      await store.migrate()
      tables.set(store, table)
      return store
    },
    {
      capabilities: { ...ALL, pepperRotation: true },
      dump: async (store) =>
        (await pool?.query(`SELECT * FROM "${schema}"."${tables.get(store)}"`))?.rows,
      // The 10,000-key walk runs on the default names above; names change nothing in it.
      largeListSize: 500,
      cleanup: async (store) => {
        await store.close()
        await pool?.query(`DROP TABLE IF EXISTS "${schema}"."${tables.get(store)}"`)
      },
    },
  )

  it('two such tables in one pool (48-character channels): keys are created, each in its own table', async () => {
    const db = pool as NonNullable<typeof pool>
    // Same 47-character start: names cut at any length below 48 would be equal.
    const stem = longest('same').slice(0, 47)
    const [a, b] = ['a', 'b'].map(
      (end) =>
        new PostgresKeyStore(db, {
          schema,
          table: `${stem}${end}`,
          channel: `${stem}${end}`,
          logger: false,
        }),
    ) as [PostgresKeyStore, PostgresKeyStore]
    onTestFinished(async () => {
      await a.close()
      await b.close()
    })
    await a.migrate()
    await b.migrate()
    const auth = createApiKeyAuth({ store: a, logger: false, cache: false })
    const created = await auth.createKey({ userId: 'long_names', name: 'k' })
    expect((await auth.verifyKey(created.key)).keyId).toBe(created.id)
    await auth.revokeKey({ userId: 'long_names', keyId: created.id })
    await expect(auth.verifyKey(created.key)).rejects.toMatchObject({ code: 'KEY_REVOKED' })
    const one = makeTestRecord().record
    const two = makeTestRecord().record
    await a.insert(one)
    await b.insert(two)
    expect(await a.findByHash(two.hash)).toBeNull()
    expect(await b.findByHash(one.hash)).toBeNull()
    expect((await a.revoke(one.id, one.userId, new Date()))?.revokedAt).toBeInstanceOf(Date)
    expect((await b.findByHash(two.hash))?.revokedAt).toBeNull()
  })
})

describe.skipIf(info === null)('PostgresKeyStore specifics', () => {
  const pool = info === null ? undefined : makePool(info)
  const db = (): NonNullable<typeof pool> => pool as NonNullable<typeof pool>
  afterAll(() => pool?.end())

  it('rejects table, schema and channel names that are not plain identifiers', () => {
    const bad = ['keys; DROP TABLE x', 'Keys', '1keys', 'a"b', 'public.keys', '']
    for (const name of bad) {
      for (const option of ['table', 'schema', 'channel'] as const) {
        expect(() => new PostgresKeyStore(db(), { [option]: name })).toThrow(
          expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
        )
      }
    }
    // Tables and schemas: 48 characters at most; channels: PostgreSQL's 63.
    for (const [option, length] of [
      ['table', 49],
      ['schema', 49],
      ['channel', 64],
    ] as const) {
      expect(() => new PostgresKeyStore(db(), { [option]: 'a'.repeat(length) })).toThrow(
        expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
      )
      expect(
        () => new PostgresKeyStore(db(), { [option]: 'a'.repeat(length - 1), logger: false }),
      ).not.toThrow()
    }
  })

  it("warns once per pool without an 'error' listener (an unhandled one ends the process)", async () => {
    const bare = new pg.Pool({ ...(info as NonNullable<typeof info>), max: 2 })
    const listened = makePool(info as NonNullable<typeof info>, { max: 2 })
    try {
      const log = createLogSink()
      const table = uniqueName('lsn')
      const first = new PostgresKeyStore(bare, { table, logger: log.logger })
      await first.migrate()
      await new PostgresKeyStore(bare, { table, logger: log.logger }).migrate()
      await new PostgresKeyStore(listened, { table, logger: log.logger }).migrate()
      const warnings = log.lines.filter((line) => /'error' listener/.test(line.message))
      expect(warnings).toHaveLength(1)
      expect(warnings[0]?.message).toMatch(/pool\.on\('error'/)
      // Also on a first call without migrate(): a store on a pool migrated elsewhere.
      const other = new pg.Pool({ ...(info as NonNullable<typeof info>), max: 2 })
      try {
        await new PostgresKeyStore(other, { table, logger: log.logger }).findByHash('x')
        expect(log.lines.filter((line) => /'error' listener/.test(line.message))).toHaveLength(2)
      } finally {
        await other.end()
      }
      await db().query(`DROP TABLE "${table}"`)
    } finally {
      await bare.end()
      await listened.end()
    }
  })

  it('migrate is idempotent and safe when every instance runs it at once', async () => {
    const table = uniqueName('mig')
    const stores = Array.from(
      { length: 5 },
      () => new PostgresKeyStore(db(), { table, logger: false }),
    )
    await Promise.all(stores.map((s) => s.migrate()))
    await stores[0]?.migrate()
    const { rows } = await db().query(
      `SELECT indexname FROM pg_indexes WHERE tablename = $1 ORDER BY indexname`,
      [table],
    )
    expect(rows.map((r) => r.indexname)).toEqual([
      `${table}_changed_at_idx`,
      `${table}_hash_key`,
      `${table}_pkey`,
      `${table}_revoked_at_idx`,
      `${table}_user_id_idx`,
      `${table}_user_page_idx`,
    ])
    await db().query(`DROP TABLE "${table}"`)
  })

  it('a reserved word as table name and a schema work (names are quoted)', async () => {
    const schema = uniqueName('s')
    await db().query(`CREATE SCHEMA "${schema}"`)
    const store = new PostgresKeyStore(db(), { schema, table: 'user', logger: false })
    await store.migrate()
    const { record } = makeTestRecord()
    await store.insert(record)
    expect((await store.findByHash(record.hash))?.id).toBe(record.id)
    await db().query(`DROP SCHEMA "${schema}" CASCADE`)
  })

  it('ids that are not UUIDs are "no such key", never a database error', async () => {
    const table = uniqueName('ids')
    const store = new PostgresKeyStore(db(), { table, logger: false })
    await store.migrate()
    for (const id of ['not-a-uuid', "' OR 1=1 --", '', '00000000-0000-0000-0000-00000000000g']) {
      expect(await store.revoke(id, 'someone', new Date())).toBeNull()
      await expect(store.touch(id, new Date())).resolves.toBeUndefined()
    }
    await db().query(`DROP TABLE "${table}"`)
  })

  it('a dropped table (or any database error) is a thrown error, not a null', async () => {
    const table = uniqueName('gone')
    const store = new PostgresKeyStore(db(), { table, logger: false })
    await store.migrate()
    await db().query(`DROP TABLE "${table}"`)
    const { record } = makeTestRecord()
    await expect(store.findByHash(record.hash)).rejects.toBeInstanceOf(Error)
    await expect(store.insert(record)).rejects.toBeInstanceOf(Error)
  })
})
