import { afterAll, describe, expect, it } from 'vitest'
import { PostgresKeyStore } from '../../adapters/postgres/index.js'
import { keyStoreConformance, makeTestRecord } from '../../src/testing/index.js'
import { makePool, sharedPostgres, uniqueName } from './helpers.js'

const info = sharedPostgres()

describe.skipIf(info === null)('PostgresKeyStore', () => {
  const pool = info === null ? undefined : makePool(info)
  const tables = new WeakMap<PostgresKeyStore, string>()
  afterAll(() => pool?.end())

  keyStoreConformance(
    'PostgresKeyStore',
    async () => {
      const table = uniqueName('conf')
      const store = new PostgresKeyStore(pool as NonNullable<typeof pool>, { table })
      await store.migrate()
      tables.set(store, table)
      return store
    },
    {
      capabilities: { touch: true, onRevoke: true },
      dump: async (store) => (await pool?.query(`SELECT * FROM "${tables.get(store)}"`))?.rows,
      cleanup: async (store) => {
        await store.close()
        await pool?.query(`DROP TABLE IF EXISTS "${tables.get(store)}"`)
      },
    },
  )
})

describe.skipIf(info === null)('PostgresKeyStore specifics', () => {
  const pool = info === null ? undefined : makePool(info)
  const db = (): NonNullable<typeof pool> => pool as NonNullable<typeof pool>
  afterAll(() => pool?.end())

  it('rejects table, schema and channel names that are not plain identifiers', () => {
    const bad = ['keys; DROP TABLE x', 'Keys', '1keys', 'a"b', 'public.keys', '', 'a'.repeat(49)]
    for (const name of bad) {
      for (const option of ['table', 'schema', 'channel'] as const) {
        expect(() => new PostgresKeyStore(db(), { [option]: name })).toThrow(
          expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
        )
      }
    }
  })

  it('migrate is idempotent and safe when every instance runs it at once', async () => {
    const table = uniqueName('mig')
    const stores = Array.from({ length: 5 }, () => new PostgresKeyStore(db(), { table }))
    await Promise.all(stores.map((s) => s.migrate()))
    await stores[0]?.migrate()
    const { rows } = await db().query(
      `SELECT indexname FROM pg_indexes WHERE tablename = $1 ORDER BY indexname`,
      [table],
    )
    expect(rows.map((r) => r.indexname)).toEqual([
      `${table}_hash_key`,
      `${table}_pkey`,
      `${table}_revoked_at_idx`,
      `${table}_user_id_idx`,
    ])
    await db().query(`DROP TABLE "${table}"`)
  })

  it('a reserved word as table name and a schema work (names are quoted)', async () => {
    const schema = uniqueName('s')
    await db().query(`CREATE SCHEMA "${schema}"`)
    const store = new PostgresKeyStore(db(), { schema, table: 'user' })
    await store.migrate()
    const { record } = makeTestRecord()
    await store.insert(record)
    expect((await store.findByHash(record.hash))?.id).toBe(record.id)
    await db().query(`DROP SCHEMA "${schema}" CASCADE`)
  })

  it('ids that are not UUIDs are "no such key", never a database error', async () => {
    const table = uniqueName('ids')
    const store = new PostgresKeyStore(db(), { table })
    await store.migrate()
    for (const id of ['not-a-uuid', "' OR 1=1 --", '', '00000000-0000-0000-0000-00000000000g']) {
      expect(await store.revoke(id, 'someone', new Date())).toBeNull()
      await expect(store.touch(id, new Date())).resolves.toBeUndefined()
    }
    await db().query(`DROP TABLE "${table}"`)
  })

  it('a dropped table (or any database error) is a thrown error, not a null', async () => {
    const table = uniqueName('gone')
    const store = new PostgresKeyStore(db(), { table })
    await store.migrate()
    await db().query(`DROP TABLE "${table}"`)
    const { record } = makeTestRecord()
    await expect(store.findByHash(record.hash)).rejects.toBeInstanceOf(Error)
    await expect(store.insert(record)).rejects.toBeInstanceOf(Error)
  })
})
