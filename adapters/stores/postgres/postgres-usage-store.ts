/**
 * A {@link UsageStore} on PostgreSQL through `pg`: one row per key, minute and outcome, added to
 * with `INSERT … ON CONFLICT DO UPDATE SET count = count + n`, once per batch id.
 * @module
 */
import type { Pool } from 'pg'
import { AuthError, type UsageBatch, type UsageRow, type UsageStore } from '../../../src/index.js'
import { sqlIdentifier } from '../shared/sql-identifier.js'

/** Options of {@link PostgresUsageStore}. */
export interface PostgresUsageStoreOptions {
  /**
   * Table of the counts: lower-case letters, digits and `_`, at most 40 characters. The applied
   * batch ids go to `<table>_batches`. @defaultValue `'vydra_api_key_usage'`
   */
  table?: string
  /** Schema of the tables (same rule); unset means the connection's `search_path`. */
  schema?: string
}

/** Applied batch ids are kept this long: a retry comes within a few flushes. */
const BATCH_ID_RETENTION = '2 days'

const identifier = (option: string, value: unknown): string =>
  sqlIdentifier('PostgresUsageStore', option, value, 40)

/**
 * Usage counts in PostgreSQL, on a `pg` `Pool` you own. Call {@link PostgresUsageStore.migrate}
 * once before use. A batch is one transaction: its id is recorded first, and a batch whose id is
 * already there is skipped, so a retry after a lost answer never counts twice.
 *
 * @example
 * ```ts
 * const usageStore = new PostgresUsageStore(pool)
 * await usageStore.migrate()
 * const auth = createApiKeyAuth({ store, usageStore })
 * ```
 */
export class PostgresUsageStore implements UsageStore {
  readonly #pool: Pool
  readonly #table: string
  readonly #batches: string
  readonly #lockName: string
  readonly #indexPrefix: string

  constructor(pool: Pool, options: PostgresUsageStoreOptions = {}) {
    if (pool === null || typeof pool !== 'object' || typeof pool.connect !== 'function') {
      throw new AuthError('CONFIGURATION_ERROR', { message: 'PostgresUsageStore: pass a pg.Pool' })
    }
    this.#pool = pool
    const table = options.table ?? 'vydra_api_key_usage'
    const schema = options.schema === undefined ? '' : `${identifier('schema', options.schema)}.`
    this.#table = `${schema}${identifier('table', table)}`
    this.#batches = `${schema}"${table}_batches"`
    this.#lockName = `vydra_auth:${options.schema ?? ''}.${table}`
    this.#indexPrefix = table
  }

  /** Creates the tables if they do not exist; safe to run on every start, by every instance. */
  async migrate(): Promise<void> {
    const client = await this.#pool.connect()
    try {
      await client.query('BEGIN')
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [this.#lockName])
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.#table} (
        key_id uuid NOT NULL,
        minute timestamptz NOT NULL,
        outcome text NOT NULL,
        count bigint NOT NULL,
        PRIMARY KEY (key_id, minute, outcome)
      )`)
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.#batches} (
        id uuid PRIMARY KEY,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`)
      await client.query(
        `CREATE INDEX IF NOT EXISTS "${this.#indexPrefix}_batches_applied_at_idx"
         ON ${this.#batches} (applied_at)`,
      )
      await client.query('COMMIT')
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw error
    } finally {
      client.release()
    }
  }

  /** Adds the batch in one transaction, once per batch id. */
  async addUsage(batch: UsageBatch): Promise<void> {
    // One order for every writer: two batches touching the same rows lock them in the same
    // order, so concurrent flushes of a fleet wait for each other instead of deadlocking.
    const rows = [...batch.rows].sort(compareRows)
    const client = await this.#pool.connect()
    try {
      await client.query('BEGIN')
      const claimed = await client.query(
        `INSERT INTO ${this.#batches} (id) VALUES ($1::uuid) ON CONFLICT (id) DO NOTHING`,
        [batch.id],
      )
      if (claimed.rowCount === 1 && rows.length > 0) {
        await client.query(
          `INSERT INTO ${this.#table} AS u (key_id, minute, outcome, count)
           SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::bigint[])
           ON CONFLICT (key_id, minute, outcome) DO UPDATE SET count = u.count + EXCLUDED.count`,
          [
            rows.map((r) => r.keyId),
            rows.map((r) => r.minute),
            rows.map((r) => r.outcome),
            rows.map((r) => r.count),
          ],
        )
      }
      await client.query(
        `DELETE FROM ${this.#batches} WHERE applied_at < now() - interval '${BATCH_ID_RETENTION}'`,
      )
      await client.query('COMMIT')
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw error
    } finally {
      client.release()
    }
  }

  /** The totals of one key in `[from, to)`. */
  async readUsage(keyId: string, from: Date, to: Date): Promise<UsageRow[]> {
    const result = await this.#pool.query<{
      key_id: string
      minute: Date
      outcome: string
      count: string
    }>(
      `SELECT key_id, minute, outcome, count FROM ${this.#table}
       WHERE key_id = $1::uuid AND minute >= $2 AND minute < $3`,
      [keyId, from, to],
    )
    return result.rows.map((row) => ({
      keyId: row.key_id,
      minute: row.minute,
      outcome: row.outcome,
      count: Number(row.count),
    }))
  }
}

function compareRows(a: UsageRow, b: UsageRow): number {
  if (a.keyId !== b.keyId) return a.keyId < b.keyId ? -1 : 1
  if (a.minute.getTime() !== b.minute.getTime()) return a.minute.getTime() - b.minute.getTime()
  return a.outcome < b.outcome ? -1 : a.outcome > b.outcome ? 1 : 0
}
