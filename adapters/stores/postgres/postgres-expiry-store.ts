/**
 * An {@link ExpiryStore} on PostgreSQL through `pg`: reads the key table of a
 * `PostgresKeyStore`, and claims each (key, notice) with one conditional insert.
 * @module
 */
import type { Pool } from 'pg'
import { AuthError, type ExpiringKey, type ExpiryStore } from '../../../src/index.js'
import { sqlIdentifier } from '../shared/sql-identifier.js'

/** Options of {@link PostgresExpiryStore}. */
export interface PostgresExpiryStoreOptions {
  /** The `PostgresKeyStore`'s table. @defaultValue `'vydra_api_keys'` */
  keyTable?: string
  /** Table of the claims (lower-case letters, digits, `_`). @defaultValue `'vydra_api_key_notices'` */
  table?: string
  /** Schema of both tables; unset means the connection's `search_path`. */
  schema?: string
}

const identifier = (option: string, value: unknown): string =>
  sqlIdentifier('PostgresExpiryStore', option, value, 48)

/**
 * Expiry claims in PostgreSQL beside the keys. A claim is
 * `INSERT … ON CONFLICT (key_id, notice) DO NOTHING`: of any number of instances claiming the same
 * notice at once, exactly one inserts the row, so exactly one emits the warning. Call
 * {@link PostgresExpiryStore.migrate} once (after the key store's).
 *
 * @example
 * ```ts
 * const expiryStore = new PostgresExpiryStore(pool)
 * await expiryStore.migrate()
 * const auth = createApiKeyAuth({ store, expiryStore })
 * setInterval(() => void auth.notifyExpiring({ within: ['14d', '1d'] }), 600_000)
 * ```
 */
export class PostgresExpiryStore implements ExpiryStore {
  readonly #pool: Pool
  readonly #keys: string
  readonly #claims: string
  readonly #keyTableName: string

  constructor(pool: Pool, options: PostgresExpiryStoreOptions = {}) {
    if (pool === null || typeof pool !== 'object' || typeof pool.query !== 'function') {
      throw new AuthError('CONFIGURATION_ERROR', { message: 'PostgresExpiryStore: pass a pg.Pool' })
    }
    this.#pool = pool
    const schema = options.schema === undefined ? '' : `${identifier('schema', options.schema)}.`
    this.#keyTableName = options.keyTable ?? 'vydra_api_keys'
    this.#keys = `${schema}${identifier('keyTable', this.#keyTableName)}`
    this.#claims = `${schema}${identifier('table', options.table ?? 'vydra_api_key_notices')}`
  }

  /** Creates the claims table and an index on the keys' expiry; safe to run on every start. */
  async migrate(): Promise<void> {
    await this.#pool.query(`CREATE TABLE IF NOT EXISTS ${this.#claims} (
      key_id uuid NOT NULL,
      notice text NOT NULL,
      claimed_at timestamptz NOT NULL,
      PRIMARY KEY (key_id, notice)
    )`)
    await this.#pool.query(
      `CREATE INDEX IF NOT EXISTS "${this.#keyTableName}_expires_at_idx" ON ${this.#keys}
       (expires_at) WHERE revoked_at IS NULL AND expires_at IS NOT NULL`,
    )
  }

  /** Keys not revoked with `from < expires_at <= to`, soonest first. */
  async listExpiring(from: Date, to: Date, limit: number): Promise<ExpiringKey[]> {
    const result = await this.#pool.query<{
      id: string
      user_id: string
      key_prefix: string
      expires_at: Date
    }>(
      `SELECT id, user_id, key_prefix, expires_at FROM ${this.#keys}
       WHERE revoked_at IS NULL AND expires_at > $1 AND expires_at <= $2
       ORDER BY expires_at, id LIMIT $3`,
      [from, to, limit],
    )
    return result.rows.map((row) => ({
      id: row.id,
      userId: row.user_id,
      keyPrefix: row.key_prefix,
      expiresAt: row.expires_at,
    }))
  }

  /** `true` for the one caller whose insert created the claim. */
  async claimNotice(keyId: string, notice: string, at: Date): Promise<boolean> {
    const result = await this.#pool.query(
      `INSERT INTO ${this.#claims} (key_id, notice, claimed_at) VALUES ($1::uuid, $2, $3)
       ON CONFLICT (key_id, notice) DO NOTHING`,
      [keyId, notice, at],
    )
    return result.rowCount === 1
  }
}
