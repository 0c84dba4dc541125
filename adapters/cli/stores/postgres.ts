/** `postgres://…` for the CLI: a small pool, the store, its schema and its NOTIFY channel. */
import pg from 'pg'
import { PostgresKeyStore } from '../../stores/postgres/index.js'
import type { OpenStore, OpenStoreOptions } from '../open-store.js'
import { missingColumns, versionProblem } from './columns.js'
import { checkIdentifier, takeParams } from './url-params.js'

/** Opens a PostgreSQL store (`?table=` and `?schema=` name its table). */
export async function open(url: string, options: OpenStoreOptions): Promise<OpenStore> {
  const { rest, params } = takeParams(url, ['table', 'schema'])
  const table = checkIdentifier(params.table, 'table') ?? 'vydra_api_keys'
  const schema = checkIdentifier(params.schema, 'schema')
  const pool = new pg.Pool({
    connectionString: rest,
    max: 3,
    connectionTimeoutMillis: options.timeoutMs,
  })
  // An idle connection dropped by the server must not end the command with a stack trace.
  pool.on('error', () => {})
  const store = new PostgresKeyStore(pool, { table, schema, logger: false })
  return {
    kind: 'postgres',
    store,
    ping: async () => {
      await pool.query('SELECT 1')
    },
    migrate: async () => {
      await store.migrate()
      return `table ${schema === undefined ? '' : `${schema}.`}${table} is ready`
    },
    checkSchema: async () => {
      const { rows } = await pool.query<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns
         WHERE table_name = $1 AND table_schema = COALESCE($2, current_schema())`,
        [table, schema ?? null],
      )
      if (rows.length === 0) return { problem: `table ${table} does not exist` }
      const versions =
        schema === undefined ? 'vydra_schema_versions' : `"${schema}".vydra_schema_versions`
      const recorded = await pool
        .query<{ version: number }>(`SELECT version FROM ${versions} WHERE table_name = $1`, [
          table,
        ])
        .then((result) => result.rows[0]?.version ?? null)
        // No versions table: a 0.1 schema, from before versions were recorded.
        .catch(() => null)
      const problem = versionProblem(recorded) ?? missingColumns(rows.map((row) => row.column_name))
      return { problem, version: recorded ?? 1 }
    },
    announce: async (hash) => {
      await pool.query('SELECT pg_notify($1, $2)', [store.channel, hash])
    },
    close: async () => {
      await store.close()
      await pool.end()
    },
  }
}
