/**
 * A {@link KeyStore} in an embedded SQLite database through `better-sqlite3`.
 * @module
 */
import { realpathSync } from 'node:fs'
import Database from 'better-sqlite3'
import { AuthError, type ApiKeyRecord, type KeyStore } from '../../../src/index.js'

/** Options of {@link SqliteKeyStore}. */
export interface SqliteKeyStoreOptions {
  /**
   * Table holding the keys: lower-case letters, digits and `_`, at most 48 characters.
   * @defaultValue `'vydra_api_keys'`
   */
  table?: string
}

interface Row {
  id: string
  user_id: string
  name: string
  key_prefix: string
  scopes: string
  hash: string
  created_at: number
  expires_at: number | null
  last_used_at: number | null
  revoked_at: number | null
}

type Listener = (hash: string) => void

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,47}$/
const SYNCHRONOUS_EXTRA = 3
const COLUMNS =
  'id, user_id, name, key_prefix, scopes, hash, created_at, expires_at, last_used_at, revoked_at'

// Stores of one process that open the same file and table hear each other's revocations.
const channels = new Map<string, Set<Listener>>()

/**
 * A {@link KeyStore} in SQLite (WAL mode, `synchronous = FULL`), the embedded durable default:
 * give it a file path or an open `better-sqlite3` `Database` (whose connection it sets to WAL
 * and, if lower, to `synchronous = FULL`, so that an answered write survives a power loss).
 * The table is created on construction. `onRevoke` reaches
 * only stores of the same process on the same file: other processes sharing the file see a
 * revocation when their cache entry expires (`cache.ttlMs`), so prefer PostgreSQL or Redis for
 * a fleet.
 *
 * @example
 * ```ts
 * const auth = createApiKeyAuth({ store: new SqliteKeyStore('./keys.db') })
 * ```
 */
export class SqliteKeyStore implements KeyStore {
  readonly #db: Database.Database
  readonly #owned: boolean
  readonly #channel: string | undefined
  readonly #tableName: string
  readonly #local = new Set<Listener>()
  readonly #statements: {
    insert: Database.Statement
    find: Database.Statement<[string], Row>
    list: Database.Statement<[string], Row>
    revoke: Database.Statement<[number, string, string], Row>
    touch: Database.Statement<[number, string, number]>
  }

  constructor(database: string | Database.Database, options: SqliteKeyStoreOptions = {}) {
    const table = options.table ?? 'vydra_api_keys'
    if (typeof table !== 'string' || !IDENTIFIER.test(table)) {
      throw new AuthError('CONFIGURATION_ERROR', {
        message: `SqliteKeyStore: table must match ${IDENTIFIER.source}`,
      })
    }
    if (typeof database === 'string') {
      this.#db = new Database(database)
      this.#owned = true
    } else if (database !== null && typeof database === 'object' && 'prepare' in database) {
      this.#db = database
      this.#owned = false
    } else {
      throw new AuthError('CONFIGURATION_ERROR', {
        message: 'SqliteKeyStore: pass a file path or a better-sqlite3 Database',
      })
    }
    const db = this.#db
    // Readers never block the writer, and a crash cannot tear a write (no-op for :memory:).
    db.pragma('journal_mode = WAL')
    // In WAL mode, NORMAL (better-sqlite3's default) fsyncs only at checkpoints: an OS crash or
    // a power loss can roll back the last commits, answered revocations included. FULL fsyncs
    // the WAL at every commit. The setting is the connection's: it covers every write on it.
    // Set explicitly even when it reads FULL: an implicit FULL turns NORMAL once the WAL opens.
    if (Number(db.pragma('synchronous', { simple: true })) !== SYNCHRONOUS_EXTRA) {
      db.pragma('synchronous = FULL')
    }
    const t = `"${table}"`
    this.#tableName = table
    db.exec(`CREATE TABLE IF NOT EXISTS ${t} (
      id TEXT PRIMARY KEY NOT NULL,
      user_id TEXT NOT NULL,
      name TEXT NOT NULL,
      key_prefix TEXT NOT NULL,
      scopes TEXT NOT NULL,
      hash TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER,
      last_used_at INTEGER,
      revoked_at INTEGER
    ) STRICT;
    CREATE UNIQUE INDEX IF NOT EXISTS "${table}_hash_key" ON ${t} (hash);
    CREATE INDEX IF NOT EXISTS "${table}_user_id_idx" ON ${t} (user_id);`)
    this.#statements = {
      insert: db.prepare(`INSERT INTO ${t} (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      find: db.prepare(`SELECT ${COLUMNS} FROM ${t} WHERE hash = ?`),
      list: db.prepare(`SELECT ${COLUMNS} FROM ${t} WHERE user_id = ? ORDER BY created_at, id`),
      revoke: db.prepare(
        `UPDATE ${t} SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? AND user_id = ?
         RETURNING ${COLUMNS}`,
      ),
      touch: db.prepare(
        `UPDATE ${t} SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
      ),
    }
    this.#channel = db.memory ? undefined : `${realpathSync(db.name)}\0${table}`
  }

  /** The underlying database. */
  get database(): Database.Database {
    return this.#db
  }

  async insert(record: ApiKeyRecord): Promise<void> {
    this.#statements.insert.run(
      record.id,
      record.userId,
      record.name,
      record.keyPrefix,
      JSON.stringify(record.scopes),
      record.hash,
      record.createdAt.getTime(),
      time(record.expiresAt),
      time(record.lastUsedAt ?? null),
      time(record.revokedAt),
    )
  }

  async findByHash(hash: string): Promise<ApiKeyRecord | null> {
    const row = this.#statements.find.get(hash)
    return row === undefined ? null : toRecord(row)
  }

  async listByUser(userId: string): Promise<ApiKeyRecord[]> {
    return this.#statements.list.all(userId).map(toRecord)
  }

  async revoke(keyId: string, userId: string, at: Date): Promise<ApiKeyRecord | null> {
    const row = this.#statements.revoke.get(at.getTime(), keyId, userId)
    if (row === undefined) return null
    for (const listener of this.#listeners()) {
      try {
        listener(row.hash)
      } catch {
        // A listener's failure must not undo or fail the revocation.
      }
    }
    return toRecord(row)
  }

  async touch(keyId: string, at: Date): Promise<void> {
    this.#statements.touch.run(at.getTime(), keyId, at.getTime())
  }

  // Pepper rotation (0.2): the optional methods of the port.

  /** The record stored under one of `hashes`; `null` when none. */
  async findByHashes(hashes: readonly string[]): Promise<ApiKeyRecord | null> {
    for (const hash of hashes) {
      const row = this.#statements.find.get(hash)
      if (row !== undefined) return toRecord(row)
    }
    return null
  }

  /** Replaces the digest of `keyId` by `to` if it is still `from` (one statement). */
  async rehash(keyId: string, from: string, to: string): Promise<boolean> {
    try {
      return this.#rotation().rehash.run(to, keyId, from).changes === 1
    } catch (error) {
      // Another record already has `to`: not re-keyed, nothing broken.
      if ((error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE') return false
      throw error
    }
  }

  /** Records not revoked per digest version (the pepper id before `$`, `''` for none). */
  async countDigestVersions(): Promise<Record<string, number>> {
    const rows = this.#rotation().count.all() as { version: string; n: number }[]
    return Object.fromEntries(rows.map((row) => [row.version, row.n]))
  }

  #rotationStatements: { rehash: Database.Statement; count: Database.Statement } | undefined

  #rotation(): { rehash: Database.Statement; count: Database.Statement } {
    if (this.#rotationStatements !== undefined) return this.#rotationStatements
    const t = `"${this.#tableName}"`
    this.#rotationStatements = {
      rehash: this.#db.prepare(`UPDATE ${t} SET hash = ? WHERE id = ? AND hash = ?`),
      count: this.#db.prepare(
        `SELECT CASE WHEN instr(hash, '$') > 0 THEN substr(hash, 1, instr(hash, '$') - 1) ELSE '' END
           AS version, count(*) AS n FROM ${t} WHERE revoked_at IS NULL GROUP BY 1`,
      ),
    }
    return this.#rotationStatements
  }

  onRevoke(listener: (hash: string) => void): () => void {
    const set = this.#subscribers()
    set.add(listener)
    return () => {
      set.delete(listener)
      if (set.size === 0 && this.#channel !== undefined && channels.get(this.#channel) === set) {
        channels.delete(this.#channel)
      }
    }
  }

  /** Closes the database if the store opened it (from a path); a `Database` you passed stays open. */
  close(): void {
    if (this.#owned && this.#db.open) this.#db.close()
  }

  #subscribers(): Set<Listener> {
    if (this.#channel === undefined) return this.#local
    let set = channels.get(this.#channel)
    if (set === undefined) channels.set(this.#channel, (set = new Set()))
    return set
  }

  #listeners(): Listener[] {
    const set = this.#channel === undefined ? this.#local : channels.get(this.#channel)
    return set === undefined ? [] : [...set]
  }
}

const time = (date: Date | null): number | null => (date === null ? null : date.getTime())

const toDate = (value: number | null): Date | null => (value === null ? null : new Date(value))

function toRecord(row: Row): ApiKeyRecord {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    keyPrefix: row.key_prefix,
    scopes: JSON.parse(row.scopes) as string[],
    hash: row.hash,
    createdAt: new Date(row.created_at),
    expiresAt: toDate(row.expires_at),
    lastUsedAt: toDate(row.last_used_at),
    revokedAt: toDate(row.revoked_at),
  }
}
