/**
 * An {@link ExpiryStore} in SQLite through `better-sqlite3`: reads the key table of a
 * `SqliteKeyStore` and claims each (key, notice) with one conditional insert.
 * @module
 */
import Database from 'better-sqlite3'
import { AuthError, type ExpiringKey, type ExpiryStore } from '../../../src/index.js'
import { sqlIdentifier } from '../shared/sql-identifier.js'

/** Options of {@link SqliteExpiryStore}. */
export interface SqliteExpiryStoreOptions {
  /** The `SqliteKeyStore`'s table. @defaultValue `'vydra_api_keys'` */
  keyTable?: string
  /** Table of the claims. @defaultValue `'vydra_api_key_notices'` */
  table?: string
}

interface Row {
  id: string
  user_id: string
  key_prefix: string
  expires_at: number
}

const identifier = (option: string, value: unknown): string =>
  sqlIdentifier('SqliteExpiryStore', option, value, 48)

/**
 * Expiry claims in SQLite beside the keys: give it the `SqliteKeyStore`'s database
 * (`store.database`) after the key store created its table. A claim is
 * `INSERT … ON CONFLICT DO NOTHING`: exactly one caller inserts it, also across processes sharing
 * the file.
 *
 * @example
 * ```ts
 * const store = new SqliteKeyStore('./keys.db')
 * const auth = createApiKeyAuth({ store, expiryStore: new SqliteExpiryStore(store.database) })
 * ```
 */
export class SqliteExpiryStore implements ExpiryStore {
  readonly #list: Database.Statement<[number, number, number], Row>
  readonly #claim: Database.Statement<[string, string, number]>

  constructor(database: Database.Database, options: SqliteExpiryStoreOptions = {}) {
    if (database === null || typeof database !== 'object' || !('prepare' in database)) {
      throw new AuthError('CONFIGURATION_ERROR', {
        message: 'SqliteExpiryStore: pass a better-sqlite3 Database',
      })
    }
    const keys = identifier('keyTable', options.keyTable ?? 'vydra_api_keys')
    const claims = identifier('table', options.table ?? 'vydra_api_key_notices')
    database.exec(`CREATE TABLE IF NOT EXISTS ${claims} (
      key_id TEXT NOT NULL,
      notice TEXT NOT NULL,
      claimed_at INTEGER NOT NULL,
      PRIMARY KEY (key_id, notice)
    ) STRICT, WITHOUT ROWID`)
    this.#list = database.prepare(
      `SELECT id, user_id, key_prefix, expires_at FROM ${keys}
       WHERE revoked_at IS NULL AND expires_at > ? AND expires_at <= ?
       ORDER BY expires_at, id LIMIT ?`,
    )
    this.#claim = database.prepare(
      `INSERT INTO ${claims} (key_id, notice, claimed_at) VALUES (?, ?, ?)
       ON CONFLICT (key_id, notice) DO NOTHING`,
    )
  }

  /** Keys not revoked with `from < expires_at <= to`, soonest first. */
  listExpiring(from: Date, to: Date, limit: number): Promise<ExpiringKey[]> {
    try {
      const rows = this.#list.all(from.getTime(), to.getTime(), limit)
      return Promise.resolve(
        rows.map((row) => ({
          id: row.id,
          userId: row.user_id,
          keyPrefix: row.key_prefix,
          expiresAt: new Date(row.expires_at),
        })),
      )
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** `true` for the one caller whose insert created the claim. */
  claimNotice(keyId: string, notice: string, at: Date): Promise<boolean> {
    try {
      return Promise.resolve(this.#claim.run(keyId, notice, at.getTime()).changes === 1)
    } catch (error) {
      return Promise.reject(error)
    }
  }
}
