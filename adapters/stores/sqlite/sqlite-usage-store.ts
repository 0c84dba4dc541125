/**
 * A {@link UsageStore} in SQLite through `better-sqlite3`: one row per key, minute and outcome,
 * added to with `INSERT … ON CONFLICT DO UPDATE SET count = count + n`, once per batch id.
 * @module
 */
import Database from 'better-sqlite3'
import { AuthError, type UsageBatch, type UsageRow, type UsageStore } from '../../../src/index.js'

/** Options of {@link SqliteUsageStore}. */
export interface SqliteUsageStoreOptions {
  /**
   * Table of the counts: lower-case letters, digits and `_`, at most 40 characters. The applied
   * batch ids go to `<table>_batches`. @defaultValue `'vydra_api_key_usage'`
   */
  table?: string
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,39}$/
/** Applied batch ids are kept this long: a retry comes within a few flushes. */
const BATCH_ID_RETENTION_MS = 2 * 86_400_000

interface Row {
  key_id: string
  minute: number
  outcome: string
  count: number
}

/**
 * Usage counts in SQLite: give it a file path or an open `better-sqlite3` `Database` (the one
 * of your `SqliteKeyStore` is fine). The tables are created on construction; each batch is one
 * transaction, skipped when its id was applied before.
 *
 * @example
 * ```ts
 * const store = new SqliteKeyStore('./keys.db')
 * const auth = createApiKeyAuth({ store, usageStore: new SqliteUsageStore(store.database) })
 * ```
 */
export class SqliteUsageStore implements UsageStore {
  readonly #db: Database.Database
  readonly #apply: (batch: UsageBatch, now: number) => void
  readonly #read: Database.Statement<[string, number, number], Row>

  constructor(database: string | Database.Database, options: SqliteUsageStoreOptions = {}) {
    const table = options.table ?? 'vydra_api_key_usage'
    if (typeof table !== 'string' || !IDENTIFIER.test(table)) {
      throw new AuthError('CONFIGURATION_ERROR', {
        message: `SqliteUsageStore: table must match ${IDENTIFIER.source}`,
      })
    }
    if (typeof database === 'string') this.#db = new Database(database)
    else if (database !== null && typeof database === 'object' && 'prepare' in database) {
      this.#db = database
    } else {
      throw new AuthError('CONFIGURATION_ERROR', {
        message: 'SqliteUsageStore: pass a file path or a better-sqlite3 Database',
      })
    }
    const db = this.#db
    const t = `"${table}"`
    const b = `"${table}_batches"`
    db.exec(`CREATE TABLE IF NOT EXISTS ${t} (
      key_id TEXT NOT NULL,
      minute INTEGER NOT NULL,
      outcome TEXT NOT NULL,
      count INTEGER NOT NULL,
      PRIMARY KEY (key_id, minute, outcome)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS ${b} (
      id TEXT PRIMARY KEY NOT NULL,
      applied_at INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX IF NOT EXISTS "${table}_batches_applied_at_idx" ON ${b} (applied_at);`)
    const claim = db.prepare<[string, number]>(
      `INSERT INTO ${b} (id, applied_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`,
    )
    const add = db.prepare<[string, number, string, number]>(
      `INSERT INTO ${t} (key_id, minute, outcome, count) VALUES (?, ?, ?, ?)
       ON CONFLICT (key_id, minute, outcome) DO UPDATE SET count = count + excluded.count`,
    )
    const prune = db.prepare<[number]>(`DELETE FROM ${b} WHERE applied_at < ?`)
    this.#apply = db.transaction((batch: UsageBatch, now: number) => {
      if (claim.run(batch.id, now).changes === 0) return
      for (const row of batch.rows) {
        add.run(row.keyId, row.minute.getTime(), row.outcome, row.count)
      }
      prune.run(now - BATCH_ID_RETENTION_MS)
    })
    this.#read = db.prepare(
      `SELECT key_id, minute, outcome, count FROM ${t}
       WHERE key_id = ? AND minute >= ? AND minute < ?`,
    )
  }

  /** Adds the batch in one transaction, once per batch id. */
  addUsage(batch: UsageBatch): Promise<void> {
    try {
      this.#apply(batch, Date.now())
      return Promise.resolve()
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** The totals of one key in `[from, to)`. */
  readUsage(keyId: string, from: Date, to: Date): Promise<UsageRow[]> {
    try {
      const rows = this.#read.all(keyId, from.getTime(), to.getTime())
      return Promise.resolve(
        rows.map((row) => ({
          keyId: row.key_id,
          minute: new Date(row.minute),
          outcome: row.outcome,
          count: row.count,
        })),
      )
    } catch (error) {
      return Promise.reject(error)
    }
  }
}
