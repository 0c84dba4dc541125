import { afterAll, describe } from 'vitest'
import { PostgresKeyStore } from '../../adapters/postgres/index.js'
import { keyStoreConformance } from '../../src/testing/index.js'
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
