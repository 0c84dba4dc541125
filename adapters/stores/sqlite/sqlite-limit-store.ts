/**
 * A {@link LimitStore} in SQLite through `better-sqlite3`: the library's own check
 * (`applyLimitCheck`) inside one `BEGIN IMMEDIATE` transaction.
 * @module
 */
import Database from 'better-sqlite3'
import {
  applyLimitCheck,
  AuthError,
  limitStateLifetimeMs,
  type LimitCheck,
  type LimitOutcome,
  type LimitState,
  type LimitStore,
} from '../../../src/index.js'

/** Options of {@link SqliteLimitStore}. */
export interface SqliteLimitStoreOptions {
  /**
   * Table of usage state: lower-case letters, digits and `_`, at most 48 characters.
   * @defaultValue `'vydra_limits'`
   */
  table?: string
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,47}$/

interface Row {
  state: string
  expires_at: number | null
}

/**
 * Counts usage in SQLite. Every check is one immediate transaction, so processes sharing the
 * file (one machine) count together; usage state is written with `synchronous = NORMAL` in WAL
 * mode (a power loss may forget the last moments of usage, never corrupt it). The table is
 * created on construction.
 *
 * @example
 * ```ts
 * const auth = createApiKeyAuth({ store, limits: { store: new SqliteLimitStore('./limits.db') } })
 * ```
 */
export class SqliteLimitStore implements LimitStore {
  readonly #db: Database.Database
  readonly #consume: (check: LimitCheck) => LimitOutcome

  constructor(database: string | Database.Database, options: SqliteLimitStoreOptions = {}) {
    const table = options?.table ?? 'vydra_limits'
    if (typeof table !== 'string' || !IDENTIFIER.test(table)) {
      throw new AuthError('CONFIGURATION_ERROR', {
        message: `SqliteLimitStore: table must match ${IDENTIFIER.source}`,
      })
    }
    if (typeof database === 'string') this.#db = new Database(database)
    else if (database !== null && typeof database === 'object' && 'prepare' in database) {
      this.#db = database
    } else {
      throw new AuthError('CONFIGURATION_ERROR', {
        message: 'SqliteLimitStore: pass a file path or a better-sqlite3 Database',
      })
    }
    const db = this.#db
    db.pragma('journal_mode = WAL')
    // Another process holding the write lock is waited for, not an error.
    db.pragma('busy_timeout = 2000')
    const t = `"${table}"`
    db.exec(`CREATE TABLE IF NOT EXISTS ${t} (
      subject TEXT PRIMARY KEY NOT NULL,
      state TEXT NOT NULL,
      expires_at INTEGER
    ) STRICT`)
    const read = db.prepare<[string], Row>(`SELECT state, expires_at FROM ${t} WHERE subject = ?`)
    const write = db.prepare(
      `INSERT INTO ${t} (subject, state, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (subject) DO UPDATE SET state = excluded.state, expires_at = excluded.expires_at`,
    )
    const remove = db.prepare(`DELETE FROM ${t} WHERE subject = ?`)
    const step = db.transaction((check: LimitCheck): LimitOutcome => {
      const row = read.get(check.subject)
      const live = row !== undefined && (row.expires_at === null || row.expires_at > check.now)
      const previous = live ? (JSON.parse(row.state) as LimitState) : undefined
      const { outcome, state } = applyLimitCheck(previous, check)
      if (Object.keys(state.w).length === 0 && state.c === undefined) remove.run(check.subject)
      else {
        const lifetime = limitStateLifetimeMs(check)
        write.run(
          check.subject,
          JSON.stringify(state),
          lifetime === undefined ? null : check.now + lifetime,
        )
      }
      return outcome
    })
    this.#consume = (check) => step.immediate(check)
  }

  /** The underlying database. */
  get database(): Database.Database {
    return this.#db
  }

  consume(check: LimitCheck): Promise<LimitOutcome> {
    try {
      return Promise.resolve(this.#consume(check))
    } catch (error) {
      return Promise.reject(error)
    }
  }
}
