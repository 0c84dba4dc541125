/**
 * A {@link LimitStore} on PostgreSQL through `pg`: one statement per check (a PL/pgSQL function
 * that locks the subject's row, checks and writes), one round trip.
 * @module
 */
import type { Pool } from 'pg'
import {
  AuthError,
  type LimitCheck,
  type LimitOutcome,
  type LimitStore,
} from '../../../src/index.js'
import { parseLimitOutcome } from '../shared/limit-outcome.js'
import { consumeFunction } from './limit-function.js'
import { sqlIdentifier } from '../shared/sql-identifier.js'

/** Options of {@link PostgresLimitStore}. */
export interface PostgresLimitStoreOptions {
  /**
   * Table of usage state, one row per limited key: lower-case letters, digits and `_`, at most
   * 48 characters. Its check function is named `<table>_consume`. @defaultValue `'vydra_limits'`
   */
  table?: string
  /** Schema of the table and function (same rule); unset means the `search_path`. */
  schema?: string
}

const identifier = (option: string, value: unknown): string =>
  sqlIdentifier('PostgresLimitStore', option, value, 48)

/**
 * Counts usage in PostgreSQL, shared by every instance on the database. Call {@link migrate}
 * once before use (it creates the table and the function; safe to run on every start).
 *
 * @example
 * ```ts
 * const limits = new PostgresLimitStore(pool)
 * await limits.migrate()
 * const auth = createApiKeyAuth({ store, limits: { store: limits } })
 * ```
 */
export class PostgresLimitStore implements LimitStore {
  readonly #pool: Pool
  readonly #table: string
  readonly #function: string
  readonly #lockName: string
  readonly #call: { name: string; text: string }

  constructor(pool: Pool, options: PostgresLimitStoreOptions = {}) {
    if (pool === null || typeof pool !== 'object' || typeof pool.query !== 'function') {
      throw new AuthError('CONFIGURATION_ERROR', { message: 'PostgresLimitStore: pass a pg.Pool' })
    }
    const table = options?.table ?? 'vydra_limits'
    const schema = options?.schema === undefined ? '' : `${identifier('schema', options.schema)}.`
    this.#table = `${schema}${identifier('table', table)}`
    this.#function = `${schema}"${table}_consume"`
    this.#lockName = `vydra_auth_limits:${options?.schema ?? ''}.${table}`
    this.#pool = pool
    this.#call = {
      name: `vydra_limits_${Buffer.from(this.#function).toString('hex').slice(0, 40)}`,
      text: `SELECT ${this.#function}($1, $2::jsonb) AS outcome`,
    }
  }

  /** Creates the table and the check function; concurrent runs are serialized by a lock. */
  async migrate(): Promise<void> {
    const client = await this.#pool.connect()
    try {
      await client.query('BEGIN')
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [this.#lockName])
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.#table} (
        subject text PRIMARY KEY,
        state jsonb NOT NULL,
        expires_at bigint
      )`)
      await client.query(consumeFunction(this.#function, this.#table))
      await client.query('COMMIT')
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw error
    } finally {
      client.release()
    }
  }

  async consume(check: LimitCheck): Promise<LimitOutcome> {
    const { rows } = await this.#pool.query<{ outcome: unknown }>({
      ...this.#call,
      values: [
        check.subject,
        JSON.stringify({
          rate: check.rate,
          credits: check.credits,
          cost: check.cost,
          now: check.now,
        }),
      ],
    })
    return parseLimitOutcome(rows[0]?.outcome)
  }
}
