/**
 * The audit log on real PostgreSQL: the AuditStore kit, the service cases with the key store as
 * its own audit store, and atomicity: an audit insert that fails (a trigger raises) or whose
 * backend is terminated between the change and the record (a trigger sleeps, the test kills the
 * backend) leaves neither; on success both exist.
 */
import { afterAll, describe, expect, it } from 'vitest'
import type pg from 'pg'
import { PostgresKeyStore } from '../../adapters/stores/postgres/index.js'
import { createApiKeyAuth, type ApiKeyAuth } from '../../src/index.js'
import { auditStoreConformance } from '../../src/testing/index.js'
import { auditServiceCases } from '../support/audit-service-cases.js'
import { registerKey } from '../support/secret-scan.js'
import { makePool, serverRuns, sharedPostgres, uniqueName } from './helpers.js'

const pgInfo = sharedPostgres()
const runs = serverRuns('PostgreSQL', pgInfo)
const pool = pgInfo === null ? undefined : makePool(pgInfo, { max: 12 })
const db = (): pg.Pool => pool as pg.Pool
afterAll(() => pool?.end())

const tables = new WeakMap<PostgresKeyStore, string>()
async function makeStore(): Promise<PostgresKeyStore> {
  const table = uniqueName('aud')
  const store = new PostgresKeyStore(db(), { table, logger: false })
  tables.set(store, table)
  await store.migrate()
  return store
}
async function drop(store: PostgresKeyStore): Promise<void> {
  await store.close()
  const table = tables.get(store) as string
  await db().query(`DROP TABLE IF EXISTS "${table}", "${table}_audit"`)
}

const code = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => 'ok',
    (error: { code?: string }) => error.code,
  )

describe.runIf(runs)('PostgresKeyStore audit log', () => {
  auditStoreConformance('PostgresKeyStore', makeStore, { cleanup: drop })

  auditServiceCases('PostgresKeyStore as its own audit store', async () => {
    const store = await makeStore()
    return { store, auditStore: store, close: () => drop(store) }
  })

  async function setup(): Promise<{
    store: PostgresKeyStore
    auth: ApiKeyAuth
    table: string
    snapshot: () => Promise<unknown>
  }> {
    const store = await makeStore()
    const table = tables.get(store) as string
    const auth = createApiKeyAuth({
      store,
      auditStore: store,
      logger: false,
      storeTimeoutMs: 20_000,
    })
    const snapshot = async (): Promise<unknown> => [
      (await db().query(`SELECT * FROM "${table}" ORDER BY id`)).rows,
      (await db().query(`SELECT * FROM "${table}_audit" ORDER BY id`)).rows,
    ]
    return { store, auth, table, snapshot }
  }

  const OPERATIONS = {
    create: (auth: ApiKeyAuth) => auth.createKey({ userId: 'u1', name: 'second' }),
    revoke: (auth: ApiKeyAuth, keyId: string) => auth.revokeKey({ userId: 'u1', keyId }),
    disable: (auth: ApiKeyAuth, keyId: string) => auth.disableKey({ userId: 'u1', keyId }),
    update: (auth: ApiKeyAuth, keyId: string) =>
      auth.updateKey({ userId: 'u1', keyId, name: 'renamed', scopes: ['a:read'] }),
    roll: (auth: ApiKeyAuth, keyId: string) => auth.rollKey({ userId: 'u1', keyId }),
  } as const

  it.each(Object.keys(OPERATIONS))(
    '%s: an audit insert that fails leaves neither; without the fault both exist',
    async (name) => {
      const operation = OPERATIONS[name as keyof typeof OPERATIONS]
      const { store, auth, table, snapshot } = await setup()
      try {
        const first = await auth.createKey({
          userId: 'u1',
          name: 'k',
          scopes: ['a:read', 'b:read'],
        })
        registerKey(first.key)
        const before = await snapshot()
        const fn = `${table}_fail`
        await db().query(`CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS
          $$ BEGIN RAISE EXCEPTION 'audit disk full'; END $$`)
        await db().query(`CREATE TRIGGER ${fn} BEFORE INSERT ON "${table}_audit"
          FOR EACH ROW EXECUTE FUNCTION ${fn}()`)
        expect(await code(operation(auth, first.id))).toBe('AUTH_UNAVAILABLE')
        expect(await snapshot()).toEqual(before)
        await db().query(`DROP TRIGGER ${fn} ON "${table}_audit"; DROP FUNCTION ${fn}()`)
        const done = (await operation(auth, first.id)) as { key?: string }
        if (typeof done.key === 'string') registerKey(done.key)
        const [keys, audit] = (await snapshot()) as [unknown[], { action: string }[]]
        expect(keys).not.toEqual((before as unknown[][])[0])
        expect(audit.length).toBeGreaterThan(1)
      } finally {
        await drop(store)
      }
    },
  )

  it.each(Object.keys(OPERATIONS))(
    '%s: the backend terminated between the change and its audit insert leaves neither',
    async (name) => {
      const operation = OPERATIONS[name as keyof typeof OPERATIONS]
      const { store, auth, table, snapshot } = await setup()
      try {
        const first = await auth.createKey({
          userId: 'u1',
          name: 'k',
          scopes: ['a:read', 'b:read'],
        })
        registerKey(first.key)
        const before = await snapshot()
        const fn = `${table}_sleep`
        // The change is made; the audit insert sleeps in its trigger until the test kills it.
        await db().query(`CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS
          $$ BEGIN PERFORM pg_sleep(30); RETURN NEW; END $$`)
        await db().query(`CREATE TRIGGER ${fn} BEFORE INSERT ON "${table}_audit"
          FOR EACH ROW EXECUTE FUNCTION ${fn}()`)
        const pending = code(operation(auth, first.id))
        let killed = 0
        for (let i = 0; i < 200 && killed === 0; i++) {
          await new Promise((resolve) => setTimeout(resolve, 50))
          const { rows } = await db().query<{ pid: number }>(
            `SELECT pid FROM pg_stat_activity
             WHERE wait_event = 'PgSleep' AND query LIKE $1 AND pid <> pg_backend_pid()`,
            [`%${table}_audit%`],
          )
          for (const { pid } of rows) {
            await db().query('SELECT pg_terminate_backend($1)', [pid])
            killed++
          }
        }
        expect(killed).toBe(1)
        expect(await pending).toBe('AUTH_UNAVAILABLE')
        await db().query(`DROP TRIGGER ${fn} ON "${table}_audit"; DROP FUNCTION ${fn}()`)
        expect(await snapshot()).toEqual(before)
      } finally {
        await drop(store)
      }
    },
  )
})
