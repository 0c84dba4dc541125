/**
 * A {@link KeyStore} in an embedded SQLite database through `better-sqlite3`.
 * @module
 */
import { realpathSync } from 'node:fs'
import Database from 'better-sqlite3'
import {
  AuthError,
  type ApiKeyRecord,
  type AuditQuery,
  type AuditRecord,
  type AuditStore,
  type AuditWrite,
  type KeyCap,
  type KeyPageQuery,
  type KeyRollRequest,
  type KeyRollResult,
  type KeyStatusFilter,
  type KeyStore,
  type KeyUpdateExpectation,
  type KeyUpdatePatch,
  type KeyUpdateResult,
} from '../../../src/index.js'
import { extraJson, metadataJson, parseExtra } from '../shared/lifecycle-record.js'
import {
  effectiveExpiryMs,
  expectationHolds,
  graceRunning,
  retireRolled,
  rolledRecord,
  rollRefusal,
} from '../../../src/store-kit.js'
import { AUDIT_COLUMNS, auditRecordOf, auditRowValues, type AuditRow } from '../shared/audit-row.js'

/** Options of {@link SqliteKeyStore}. */
export interface SqliteKeyStoreOptions {
  /**
   * Table holding the keys: lower-case letters, digits and `_`, at most 48 characters.
   * @defaultValue `'vydra_api_keys'`
   */
  table?: string
  /**
   * Table of the audit log (`auditStore: store`): append-only, one row per management change.
   * Lower-case letters, digits and `_`, at most 54 characters. @defaultValue `` `${table}_audit` ``
   */
  auditTable?: string
  /**
   * Bytes of the database file SQLite may memory-map (`PRAGMA mmap_size`) on this connection;
   * unset leaves the connection's setting as it is (SQLite's default: 0, no mapping). With
   * about 10⁶ keys a lookup reads an index leaf and a table leaf that are rarely in SQLite's own
   * page cache; mapped, those reads cost no system call, and a cache miss at 10⁶ keys goes from
   * about 1.55× to 1.3× its cost at 10³ (docs/benchmarks.md, "SQLite at 10⁶ keys"). The price:
   * an I/O error on a mapped page (a failing disk, the file truncated by another process) is a
   * `SIGBUS` that ends the process, where a read error is otherwise a 503. An integer from 0 to
   * 2³¹ − 1 (larger values are capped by SQLite). @defaultValue unset
   */
  mmapSize?: number
  /**
   * Bytes of SQLite's page cache on the store's connection (`PRAGMA cache_size`). A cache miss
   * reads one leaf page of the hash index and one of the table; with about 10⁶ keys (a 456 MB
   * file) those pages are rarely in better-sqlite3's default cache of 16,000 KiB, and each read
   * is then a system call and a copy. A cache that holds the pages of the keys in use (at most
   * two 4 KiB pages per key) keeps a miss at 10⁶ keys within about 1.4× of its cost at 10³
   * (docs/benchmarks.md, "SQLite at 10⁶ keys: the page cache"). SQLite fills the cache only
   * with pages it reads, so a database smaller than the cache costs no more than its own size.
   * An integer from 0 to 2³¹ − 1, rounded up to whole KiB.
   * @defaultValue 128 MiB (`134_217_728`) on a connection the store opens from a path; for a
   * `Database` you pass, unset leaves the connection's setting as it is
   */
  cacheSize?: number
}

/** {@link SqliteKeyStoreOptions.cacheSize}'s default for a connection the store opens. */
const DEFAULT_CACHE_SIZE = 128 * 1024 * 1024

/** The largest `mmap_size` this SQLite build honours (SQLITE_MAX_MMAP_SIZE). */
const MAX_MMAP_SIZE = 0x7fff0000

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
  owner_type: string | null
  created_by: string | null
  metadata: string | null
  disabled_at: number | null
  revoked_reason: string | null
  replaced_by: string | null
  rolled_from: string | null
  grace_ends_at: number | null
  first_use_grace_ms: number | null
  extra: string | null
}

type Listener = (hash: string) => void

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,47}$/
// The audit table's name: a table's name and `_audit`; its index adds `_key_idx` (PostgreSQL
// keeps 63 characters of a name).
const AUDIT_IDENTIFIER = /^[a-z_][a-z0-9_]{0,53}$/
const SYNCHRONOUS_EXTRA = 3
/** The schema version {@link SqliteKeyStore.migrate} brings a table to. */
const SCHEMA_VERSION = 3
const VERSIONS = 'vydra_schema_versions'
const COLUMNS_V1 =
  'id, user_id, name, key_prefix, scopes, hash, created_at, expires_at, last_used_at, revoked_at'
// Added by schema version 2 (0.2), all nullable so that 0.1 rows stay valid as they are.
const COLUMNS_V2: ReadonlyArray<readonly [string, 'TEXT' | 'INTEGER']> = [
  ['owner_type', 'TEXT'],
  ['created_by', 'TEXT'],
  ['metadata', 'TEXT'],
  ['disabled_at', 'INTEGER'],
  ['revoked_reason', 'TEXT'],
  ['replaced_by', 'TEXT'],
  ['rolled_from', 'TEXT'],
  ['grace_ends_at', 'INTEGER'],
  ['first_use_grace_ms', 'INTEGER'],
  ['extra', 'TEXT'],
]
const COLUMNS = `${COLUMNS_V1}, ${COLUMNS_V2.map(([name]) => name).join(', ')}`
const MUTABLE = COLUMNS.split(', ').filter(
  (c) => !['id', 'user_id', 'hash', 'created_at'].includes(c),
)

// Expired at @at: its own expiry or its roll's grace end is past.
const EXPIRED = `((expires_at IS NOT NULL AND expires_at <= @at)
  OR (grace_ends_at IS NOT NULL AND grace_ends_at <= @at))`
const STATUS: Record<KeyStatusFilter, string> = {
  all: '1 = 1',
  revoked: 'revoked_at IS NOT NULL',
  expired: `revoked_at IS NULL AND ${EXPIRED}`,
  disabled: `revoked_at IS NULL AND NOT ${EXPIRED} AND disabled_at IS NOT NULL`,
  active: `revoked_at IS NULL AND NOT ${EXPIRED} AND disabled_at IS NULL`,
}
const STARTS_WITH = 'substr(key_prefix, 1, length(@prefix)) = @prefix'

// Stores of one process that open the same file and table hear each other's invalidations.
const channels = new Map<string, Set<Listener>>()

/**
 * A {@link KeyStore} in SQLite (WAL mode, `synchronous = FULL`), the embedded durable default:
 * give it a file path or an open `better-sqlite3` `Database` (whose connection it sets to WAL
 * and, if lower, to `synchronous = FULL`, so that an answered write survives a power loss).
 * The table is created, or migrated to the current schema, on construction (see
 * {@link SqliteKeyStore.migrate}). Every method of the port v2 is implemented; each write is
 * one `BEGIN IMMEDIATE` transaction, so it is atomic across processes sharing the file too.
 * `onRevoke`/`onInvalidate` reach only stores of the same process on the same file: other
 * processes sharing the file see a change when their cache entry expires (`cache.ttlMs`), so
 * prefer PostgreSQL or Redis for a fleet.
 *
 * @example
 * ```ts
 * const auth = createApiKeyAuth({ store: new SqliteKeyStore('./keys.db') })
 * ```
 */
export class SqliteKeyStore implements KeyStore, AuditStore {
  readonly #db: Database.Database
  readonly #owned: boolean
  readonly #table: string
  readonly #channel: string | undefined
  readonly #tableName: string
  readonly #auditTable: string
  readonly #local = new Set<Listener>()
  readonly #statements: {
    insert: Database.Statement
    find: Database.Statement<[string], Row>
    byId: Database.Statement<[string], Row>
    list: Database.Statement<[string], Row>
    page: Record<KeyStatusFilter, Database.Statement<[Record<string, unknown>], Row>>
    held: Database.Statement<[Record<string, unknown>], { held: number }>
    save: Database.Statement
    revoke: Database.Statement<[string | null, number, string, string], Row>
    touch: Database.Statement<[number, string, number]>
    audit: Database.Statement
    auditPage: Database.Statement<[string, string | null, string | null, number], AuditRow>
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
    this.#table = table
    const auditTable = options.auditTable ?? `${table}_audit`
    if (typeof auditTable !== 'string' || !AUDIT_IDENTIFIER.test(auditTable)) {
      if (this.#owned) this.#db.close()
      throw new AuthError('CONFIGURATION_ERROR', {
        message: `SqliteKeyStore: auditTable must match ${AUDIT_IDENTIFIER.source}`,
      })
    }
    this.#auditTable = auditTable
    const db = this.#db
    const mmapSize = options.mmapSize
    if (mmapSize !== undefined) {
      if (!Number.isInteger(mmapSize) || mmapSize < 0 || mmapSize > 2 ** 31 - 1) {
        if (this.#owned) db.close()
        throw new AuthError('CONFIGURATION_ERROR', {
          message: 'SqliteKeyStore: mmapSize must be an integer from 0 to 2147483647 (bytes)',
        })
      }
      db.pragma(`mmap_size = ${Math.min(mmapSize, MAX_MMAP_SIZE)}`)
    }
    // A connection you pass keeps the cache you gave it unless `cacheSize` says otherwise.
    const cacheSize = options.cacheSize ?? (this.#owned ? DEFAULT_CACHE_SIZE : undefined)
    if (cacheSize !== undefined) {
      if (!Number.isInteger(cacheSize) || cacheSize < 0 || cacheSize > 2 ** 31 - 1) {
        if (this.#owned) db.close()
        throw new AuthError('CONFIGURATION_ERROR', {
          message: 'SqliteKeyStore: cacheSize must be an integer from 0 to 2147483647 (bytes)',
        })
      }
      // Negative: a size in KiB, whatever the page size.
      db.pragma(`cache_size = -${Math.ceil(cacheSize / 1024)}`)
    }
    // Readers never block the writer, and a crash cannot tear a write (no-op for :memory:).
    db.pragma('journal_mode = WAL')
    // In WAL mode, NORMAL (better-sqlite3's default) fsyncs only at checkpoints: an OS crash or
    // a power loss can roll back the last commits, answered revocations included. FULL fsyncs
    // the WAL at every commit. The setting is the connection's: it covers every write on it.
    // Set explicitly even when it reads FULL: an implicit FULL turns NORMAL once the WAL opens.
    if (Number(db.pragma('synchronous', { simple: true })) !== SYNCHRONOUS_EXTRA) {
      db.pragma('synchronous = FULL')
    }
    try {
      this.migrate()
    } catch (error) {
      if (this.#owned) db.close()
      throw error
    }
    const t = `"${table}"`
    this.#tableName = table
    const page = (status: KeyStatusFilter): Database.Statement<[Record<string, unknown>], Row> =>
      db.prepare(`SELECT ${COLUMNS} FROM ${t}
        WHERE user_id = @user AND ${STARTS_WITH} AND ${STATUS[status]}
          AND (created_at > @afterAt OR (created_at = @afterAt AND id > @afterId))
        ORDER BY created_at, id LIMIT @limit`)
    this.#statements = {
      insert: db.prepare(
        `INSERT INTO ${t} (${COLUMNS}) VALUES (${COLUMNS.split(', ')
          .map(() => '?')
          .join(', ')})`,
      ),
      find: db.prepare(`SELECT ${COLUMNS} FROM ${t} WHERE hash = ?`),
      byId: db.prepare(`SELECT ${COLUMNS} FROM ${t} WHERE id = ?`),
      list: db.prepare(`SELECT ${COLUMNS} FROM ${t} WHERE user_id = ? ORDER BY created_at, id`),
      page: {
        all: page('all'),
        active: page('active'),
        disabled: page('disabled'),
        revoked: page('revoked'),
        expired: page('expired'),
      },
      held: db.prepare(`SELECT count(*) AS held FROM ${t}
        WHERE user_id = @user AND ${STARTS_WITH} AND revoked_at IS NULL AND NOT ${EXPIRED}`),
      save: db.prepare(
        `UPDATE ${t} SET ${MUTABLE.map((c) => `${c} = @${c}`).join(', ')} WHERE id = @id`,
      ),
      revoke: db.prepare(
        `UPDATE ${t} SET revoked_reason = CASE WHEN revoked_at IS NULL THEN ? ELSE revoked_reason END,
           revoked_at = COALESCE(revoked_at, ?)
         WHERE id = ? AND user_id = ? RETURNING ${COLUMNS}`,
      ) as unknown as Database.Statement<[string | null, number, string, string], Row>,
      touch: db.prepare(
        `UPDATE ${t} SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
      ),
      audit: db.prepare(
        `INSERT INTO "${auditTable}" (${AUDIT_COLUMNS.join(', ')})
         VALUES (${AUDIT_COLUMNS.map(() => '?').join(', ')})`,
      ),
      auditPage: db.prepare(`SELECT ${AUDIT_COLUMNS.join(', ')} FROM "${auditTable}"
        WHERE key_id = ? AND (? IS NULL OR id < ?) ORDER BY id DESC LIMIT ?`),
    }
    this.#channel = db.memory ? undefined : `${realpathSync(db.name)}\0${table}`
  }

  /** The underlying database. */
  get database(): Database.Database {
    return this.#db
  }

  /**
   * Brings the table to the current schema (version 2): creates it as 0.1 did if it is missing,
   * then adds the 0.2 columns (all nullable: 0.1 rows read as user-owned, enabled keys without
   * metadata) and the index that pages a user's keys. One `BEGIN IMMEDIATE` transaction, so it
   * applies whole or not at all, and a failed run is simply run again; each step also checks
   * what exists, so a schema changed by hand half-way is completed, not broken. The version is
   * kept per table in `vydra_schema_versions`. The constructor runs it, so calling it again is
   * a no-op; it is public for deployment scripts that want to migrate explicitly.
   */
  migrate(): void {
    const db = this.#db
    const t = `"${this.#table}"`
    const run = db.transaction(() => {
      db.exec(`CREATE TABLE IF NOT EXISTS ${VERSIONS} (
        table_name TEXT PRIMARY KEY NOT NULL,
        version INTEGER NOT NULL
      ) STRICT`)
      const row = db
        .prepare(`SELECT version FROM ${VERSIONS} WHERE table_name = ?`)
        .get(this.#table) as { version: number } | undefined
      if (row !== undefined && row.version >= SCHEMA_VERSION) return
      // Version 1: the 0.1 table, exactly as 0.1 created it.
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
    CREATE UNIQUE INDEX IF NOT EXISTS "${this.#table}_hash_key" ON ${t} (hash);
    CREATE INDEX IF NOT EXISTS "${this.#table}_user_id_idx" ON ${t} (user_id);`)
      // Version 2: the lifecycle columns, and the page order as an index.
      const present = new Set(
        (db.prepare(`PRAGMA table_info(${t})`).all() as { name: string }[]).map((c) => c.name),
      )
      for (const [name, type] of COLUMNS_V2) {
        if (!present.has(name)) db.exec(`ALTER TABLE ${t} ADD COLUMN ${name} ${type}`)
      }
      db.exec(`CREATE INDEX IF NOT EXISTS "${this.#table}_user_page_idx"
        ON ${t} (user_id, created_at, id)`)
      // Version 3: the audit log's table (append-only; see docs/audit-log.md).
      db.exec(`CREATE TABLE IF NOT EXISTS "${this.#auditTable}" (
        id TEXT PRIMARY KEY NOT NULL,
        key_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        at INTEGER NOT NULL,
        action TEXT NOT NULL,
        actor_type TEXT,
        actor_id TEXT,
        reason TEXT,
        changes TEXT,
        request_method TEXT,
        request_path TEXT,
        client_address TEXT
      ) STRICT;
      CREATE INDEX IF NOT EXISTS "${this.#auditTable}_key_idx" ON "${this.#auditTable}" (key_id, id);`)
      db.prepare(
        `INSERT INTO ${VERSIONS} (table_name, version) VALUES (?, ?)
         ON CONFLICT (table_name) DO UPDATE SET version = excluded.version`,
      ).run(this.#table, SCHEMA_VERSION)
    })
    run.immediate()
  }

  /** With `audit`, the records are written in the insert's transaction. */
  async insert(record: ApiKeyRecord, audit?: AuditWrite): Promise<void> {
    if (audit === undefined) {
      this.#statements.insert.run(...toRow(record))
      return
    }
    this.#db
      .transaction(() => {
        this.#statements.insert.run(...toRow(record))
        this.#writeAudit(audit)
      })
      .immediate()
  }

  /** Appends audit records (all or none); for a store used as a separate audit store. */
  async appendAudit(records: readonly AuditRecord[]): Promise<void> {
    this.#db.transaction(() => this.#writeAudit(records)).immediate()
  }

  /** A key's audit records, newest first, before the cursor. */
  async listAudit(query: AuditQuery): Promise<AuditRecord[]> {
    return this.#statements.auditPage
      .all(query.keyId, query.before, query.before, query.limit)
      .map(auditRecordOf)
  }

  #writeAudit(records: AuditWrite | undefined): void {
    for (const record of records ?? []) this.#statements.audit.run(...auditRowValues(record))
  }

  async insertCapped(record: ApiKeyRecord, cap: KeyCap, audit?: AuditWrite): Promise<boolean> {
    const run = this.#db.transaction((): boolean => {
      const { held } = this.#statements.held.get({
        user: record.userId,
        prefix: cap.keyPrefix,
        at: cap.at.getTime(),
      }) as { held: number }
      if (held >= cap.max) return false
      this.#statements.insert.run(...toRow(record))
      this.#writeAudit(audit)
      return true
    })
    return run.immediate()
  }

  async findByHash(hash: string): Promise<ApiKeyRecord | null> {
    const row = this.#statements.find.get(hash)
    return row === undefined ? null : toRecord(row)
  }

  async listByUser(userId: string): Promise<ApiKeyRecord[]> {
    return this.#statements.list.all(userId).map(toRecord)
  }

  async listPage(userId: string, query: KeyPageQuery): Promise<ApiKeyRecord[]> {
    const statement = this.#statements.page[query.status]
    if (statement === undefined) return []
    return statement
      .all({
        user: userId,
        prefix: query.keyPrefix,
        at: query.at.getTime(),
        afterAt: query.after === null ? Number.MIN_SAFE_INTEGER : query.after.createdAt.getTime(),
        afterId: query.after === null ? '' : query.after.id,
        limit: query.limit,
      })
      .map(toRecord)
  }

  /** With `audit`, the records are written in the revocation's transaction if it revoked. */
  async revoke(
    keyId: string,
    userId: string,
    at: Date,
    reason?: string,
    audit?: AuditWrite,
  ): Promise<ApiKeyRecord | null> {
    const run = (): Row | undefined => {
      const before = audit === undefined ? undefined : this.#ownedRecord(keyId, userId)
      const revoked = this.#statements.revoke.get(
        typeof reason === 'string' ? reason : null,
        at.getTime(),
        keyId,
        userId,
      )
      if (revoked !== undefined && before?.revokedAt === null) this.#writeAudit(audit)
      return revoked
    }
    const row = audit === undefined ? run() : this.#db.transaction(run).immediate()
    if (row === undefined) return null
    this.#emit([row.hash])
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

  async roll(request: KeyRollRequest, audit?: AuditWrite): Promise<KeyRollResult | null> {
    const at = request.at.getTime()
    const run = this.#db.transaction((): KeyRollResult | null => {
      const old = this.#ownedRecord(request.keyId, request.userId)
      if (old === undefined) return null
      const refusal = rollRefusal(old, at)
      if (refusal !== null) return { ok: false, reason: refusal, current: old }
      const next = rolledRecord(old, request)
      this.#statements.insert.run(...toRow(next)) // a duplicate throws: the transaction rolls back
      retireRolled(old, request)
      const predecessor =
        old.rolledFrom == null ? undefined : this.#ownedRecord(old.rolledFrom, request.userId)
      let ended: ApiKeyRecord | null = null
      if (predecessor !== undefined && graceRunning(predecessor, at)) {
        predecessor.graceEndsAt = new Date(at)
        old.firstUseGraceMs = null
        this.#save(predecessor)
        ended = predecessor
      }
      this.#save(old)
      this.#writeAudit(audit)
      return { ok: true, previous: old, next, ended }
    })
    const result = run.immediate()
    if (result?.ok === true) {
      this.#emit(
        result.ended === null ? [result.previous.hash] : [result.previous.hash, result.ended.hash],
      )
    }
    return result
  }

  async startRollGrace(keyId: string, at: Date): Promise<ApiKeyRecord | null> {
    const run = this.#db.transaction((): [ApiKeyRecord | null, boolean] => {
      const next = this.#byId(keyId)
      if (next?.rolledFrom == null) return [null, false]
      const old = this.#ownedRecord(next.rolledFrom, next.userId)
      if (old === undefined) return [null, false]
      const graceMs = next.firstUseGraceMs
      if (graceMs == null) return [old, false]
      next.firstUseGraceMs = null
      this.#save(next)
      if (old.graceEndsAt != null || old.revokedAt !== null) return [old, false]
      old.graceEndsAt = new Date(Math.min(at.getTime() + graceMs, effectiveExpiryMs(old)))
      this.#save(old)
      return [old, true]
    })
    const [old, changed] = run.immediate()
    if (changed && old !== null) this.#emit([old.hash])
    return old
  }

  async setDisabled(
    keyId: string,
    userId: string,
    at: Date | null,
    audit?: AuditWrite,
  ): Promise<ApiKeyRecord | null> {
    const run = this.#db.transaction((): [ApiKeyRecord | null, boolean] => {
      const record = this.#ownedRecord(keyId, userId)
      if (record === undefined) return [null, false]
      if (record.revokedAt !== null) return [record, false]
      if ((at === null) === (record.disabledAt == null)) return [record, false]
      record.disabledAt = at === null ? null : new Date(at.getTime())
      this.#save(record)
      this.#writeAudit(audit)
      return [record, true]
    })
    const [record, changed] = run.immediate()
    if (changed && record !== null) this.#emit([record.hash])
    return record
  }

  async update(
    keyId: string,
    userId: string,
    patch: KeyUpdatePatch,
    expected: KeyUpdateExpectation,
    audit?: AuditWrite,
  ): Promise<KeyUpdateResult | null> {
    const run = this.#db.transaction((): KeyUpdateResult | null => {
      const record = this.#ownedRecord(keyId, userId)
      if (record === undefined) return null
      if (record.revokedAt !== null || !expectationHolds(record, expected)) {
        return { ok: false, reason: 'conflict', current: record }
      }
      if (patch.name !== undefined) record.name = patch.name
      if (patch.metadata !== undefined) record.metadata = structuredClone(patch.metadata)
      if (patch.scopes !== undefined) record.scopes = [...patch.scopes]
      if (patch.expiresAt !== undefined) {
        record.expiresAt = patch.expiresAt === null ? null : new Date(patch.expiresAt.getTime())
      }
      // Usage limits live in the `extra` JSON, which #save rewrites from the record.
      if (patch.limits === null) delete record.limits
      else if (patch.limits !== undefined) record.limits = structuredClone(patch.limits)
      this.#save(record)
      this.#writeAudit(audit)
      return { ok: true, record }
    })
    const result = run.immediate()
    if (result?.ok === true) this.#emit([result.record.hash])
    return result
  }

  /**
   * Calls `listener` with the hash of every key revoked through a store of this process on the
   * same file and table, and (like {@link SqliteKeyStore.onInvalidate}) of every other key whose
   * verification a write may have changed: one channel carries both, and evicting is harmless.
   */
  onRevoke(listener: (hash: string) => void): () => void {
    return this.onInvalidate(listener)
  }

  /**
   * Calls `listener` with the hash of every key whose verification may have changed (revoke,
   * disable, enable, update, roll, start of a first-use grace) through a store of this process on
   * the same file and table, after the commit.
   */
  onInvalidate(listener: (hash: string) => void): () => void {
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

  #byId(id: string): ApiKeyRecord | undefined {
    const row = this.#statements.byId.get(id)
    return row === undefined ? undefined : toRecord(row)
  }

  #ownedRecord(id: string, userId: string): ApiKeyRecord | undefined {
    const record = this.#byId(id)
    return record?.userId === userId ? record : undefined
  }

  // Writes every field but the identity (id, owner, hash, createdAt) back.
  #save(record: ApiKeyRecord): void {
    const values = toRow(record)
    const named: Record<string, unknown> = {}
    COLUMNS.split(', ').forEach((column, i) => {
      if (column === 'id' || MUTABLE.includes(column)) named[column] = values[i]
    })
    this.#statements.save.run(named)
  }

  #emit(hashes: string[]): void {
    const set = this.#channel === undefined ? this.#local : channels.get(this.#channel)
    if (set === undefined) return
    for (const listener of [...set]) {
      for (const hash of hashes) {
        try {
          listener(hash)
        } catch {
          // A listener's failure must not undo or fail the write.
        }
      }
    }
  }

  #subscribers(): Set<Listener> {
    if (this.#channel === undefined) return this.#local
    let set = channels.get(this.#channel)
    if (set === undefined) channels.set(this.#channel, (set = new Set()))
    return set
  }
}

const time = (date: Date | null | undefined): number | null =>
  date === null || date === undefined ? null : date.getTime()

const toDate = (value: number | null): Date | null => (value === null ? null : new Date(value))

// The values of one row, in the order of COLUMNS.
function toRow(record: ApiKeyRecord): unknown[] {
  return [
    record.id,
    record.userId,
    record.name,
    record.keyPrefix,
    JSON.stringify(record.scopes),
    record.hash,
    record.createdAt.getTime(),
    time(record.expiresAt),
    time(record.lastUsedAt),
    time(record.revokedAt),
    record.ownerType ?? null,
    record.createdBy ?? null,
    metadataJson(record),
    time(record.disabledAt),
    record.revokedReason ?? null,
    record.replacedBy ?? null,
    record.rolledFrom ?? null,
    time(record.graceEndsAt),
    record.firstUseGraceMs ?? null,
    extraJson(record),
  ]
}

function toRecord(row: Row): ApiKeyRecord {
  return {
    ...parseExtra(row.extra),
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
    ownerType: (row.owner_type ?? 'user') as ApiKeyRecord['ownerType'],
    createdBy: row.created_by,
    metadata: row.metadata === null ? {} : (JSON.parse(row.metadata) as ApiKeyRecord['metadata']),
    disabledAt: toDate(row.disabled_at),
    revokedReason: row.revoked_reason,
    replacedBy: row.replaced_by,
    rolledFrom: row.rolled_from,
    graceEndsAt: toDate(row.grace_ends_at),
    firstUseGraceMs: row.first_use_grace_ms,
  }
}
