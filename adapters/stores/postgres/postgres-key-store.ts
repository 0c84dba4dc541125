/**
 * A {@link KeyStore} on PostgreSQL through `pg`, with fleet-wide revocation by LISTEN/NOTIFY.
 * @module
 */
import { createHash, randomInt } from 'node:crypto'
import type { Pool, PoolClient, QueryResultRow } from 'pg'
import {
  AuthError,
  type ApiKeyRecord,
  type AuditQuery,
  type AuditRecord,
  type AuditStore,
  type AuditWrite,
  type AuthLogger,
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
  graceRunning,
  retireRolled,
  rolledRecord,
  rollRefusal,
} from '../../../src/store-kit.js'
import { RevocationListeners } from '../shared/revocation-listeners.js'
import { AUDIT_COLUMNS, auditRecordOf, auditRowValues, type AuditRow } from '../shared/audit-row.js'
import { isUuid } from '../shared/uuid.js'
import { storeLogger, warnIfNoErrorListener } from '../shared/store-log.js'

/** Options of {@link PostgresKeyStore}. */
export interface PostgresKeyStoreOptions {
  /**
   * Table holding the keys: lower-case letters, digits and `_`, at most 48 characters.
   * @defaultValue `'vydra_api_keys'`
   */
  table?: string
  /** Schema of the table (same rule as `table`); unset means the connection's `search_path`. */
  schema?: string
  /**
   * Table of the audit log (`auditStore: store`), in the same schema: append-only, one row per
   * management change. Lower-case letters, digits and `_`, at most 54 characters. @defaultValue `` `${table}_audit` ``
   */
  auditTable?: string
  /**
   * NOTIFY channel that carries revoked hashes: lower-case letters, digits and `_`, at most 63
   * characters (PostgreSQL's limit). Every instance of a fleet must use the same one.
   * @defaultValue `` `${table}_revoked` ``
   */
  channel?: string
  /** Delay before the first reconnection of the listener. @defaultValue `100` */
  reconnectMinDelayMs?: number
  /** Longest delay between reconnection attempts (doubling with jitter). @defaultValue `5_000` */
  reconnectMaxDelayMs?: number
  /**
   * On each (re)connection the listener replays revocations made up to this long before it was
   * last known to be listening, so none is lost in an outage. Cover clock skew between
   * instances. @defaultValue `60_000`
   */
  replayWindowMs?: number
  /**
   * How often the listener checks its connection with `SELECT 1`; no answer by the next check
   * and the connection is replaced. @defaultValue `10_000`
   */
  heartbeatMs?: number
  /** Listener connection failures (they are retried); by default they are silent. */
  onError?: (error: unknown) => void
  /**
   * Where the store's start-up warnings go (a pool without an `error` listener, a server
   * running with `fsync = off`), or `false` for nowhere. @defaultValue the console
   */
  logger?: AuthLogger | false
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,47}$/
// The audit table's name: a table's name and `_audit`; its index adds `_key_idx` (PostgreSQL
// keeps 63 characters of a name).
const AUDIT_IDENTIFIER = /^[a-z_][a-z0-9_]{0,53}$/
const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/
const COLUMNS_V1 =
  'id, user_id, name, key_prefix, scopes, hash, created_at, expires_at, last_used_at, revoked_at'
// Added by schema version 2 (0.2), all nullable so that 0.1 rows stay valid as they are.
// `changed_at` is when a write other than a revocation last changed what the key may do: the
// listener's replay after an outage reads it, as it reads `revoked_at`.
const COLUMNS_V2: ReadonlyArray<readonly [string, string]> = [
  ['owner_type', 'text'],
  ['created_by', 'text'],
  ['metadata', 'json'],
  ['disabled_at', 'timestamptz'],
  ['revoked_reason', 'text'],
  ['replaced_by', 'uuid'],
  ['rolled_from', 'uuid'],
  ['grace_ends_at', 'timestamptz'],
  ['first_use_grace_ms', 'bigint'],
  ['extra', 'json'],
  ['changed_at', 'timestamptz'],
]
const RECORD_COLUMNS = COLUMNS_V2.filter(([name]) => name !== 'changed_at')
const COLUMNS = `${COLUMNS_V1}, ${RECORD_COLUMNS.map(([name]) => name).join(', ')}`
// Every column a record fills, with its type, in the order of `recordValues`.
const TYPED: ReadonlyArray<readonly [string, string]> = [
  ['id', 'uuid'],
  ['user_id', 'text'],
  ['name', 'text'],
  ['key_prefix', 'text'],
  ['scopes', 'text[]'],
  ['hash', 'text'],
  ['created_at', 'timestamptz'],
  ['expires_at', 'timestamptz'],
  ['last_used_at', 'timestamptz'],
  ['revoked_at', 'timestamptz'],
  ...RECORD_COLUMNS,
]
// Positions in TYPED of what `save` writes back: all but the identity (id, owner, hash, createdAt).
const SAVED = TYPED.flatMap(([c], i) =>
  ['id', 'user_id', 'hash', 'created_at'].includes(c) ? [] : [i],
)
/** The schema version {@link PostgresKeyStore.migrate} brings a table to. */
const SCHEMA_VERSION = 3
// Expired at $at: its own expiry or its roll's grace end is past.
const expired = (at: string): string => `(expires_at <= ${at} OR grace_ends_at <= ${at})`
const STATUS: Record<KeyStatusFilter, (at: string) => string> = {
  // These two do not depend on the time; naming it keeps the parameter typed.
  all: (at) => `${at} IS NOT NULL`,
  revoked: (at) => `revoked_at IS NOT NULL AND ${at} IS NOT NULL`,
  expired: (at) => `revoked_at IS NULL AND ${expired(at)}`,
  disabled: (at) =>
    `revoked_at IS NULL AND NOT coalesce(${expired(at)}, false) AND disabled_at IS NOT NULL`,
  active: (at) =>
    `revoked_at IS NULL AND NOT coalesce(${expired(at)}, false) AND disabled_at IS NULL`,
}

function identifier(option: string, value: string, rule = IDENTIFIER): string {
  if (typeof value !== 'string' || !rule.test(value)) {
    throw new AuthError('CONFIGURATION_ERROR', {
      message: `PostgresKeyStore: ${option} must match ${rule.source}`,
    })
  }
  // Validated above, and quoted anyway so that reserved words work as names.
  return `"${value}"`
}

// Prepared statements are named per connection, and PostgreSQL truncates names to 63 bytes:
// a name derived from the statement's text is short, and distinct for distinct tables.
const statementName = (text: string): string =>
  `vydra_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`

// The store's writes that must survive a crash commit with at least a local WAL flush, even on
// sessions set to `synchronous_commit = off` (for the role, the database or the connection).
// A stronger setting (`on`, `remote_apply`…) is left as it is. `set_config(…, true)` lasts
// until the end of the statement's own transaction, whose commit reads it.
const DURABLE_COMMIT = `SELECT CASE WHEN current_setting('synchronous_commit') = 'off'
  THEN set_config('synchronous_commit', 'local', true) END AS durable`

const fsyncWarned = new WeakSet<object>()

/**
 * A {@link KeyStore} on a `pg` `Pool` you own (the store never ends it). Call {@link migrate}
 * once before use. `onRevoke` holds one pool connection for LISTEN while anyone subscribes;
 * it reconnects with backoff after a drop and replays revocations it may have missed.
 *
 * @example
 * ```ts
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL })
 * pool.on('error', (error) => log.warn(error)) // idle clients dropped by the server
 * const store = new PostgresKeyStore(pool)
 * await store.migrate()
 * const auth = createApiKeyAuth({ store })
 * ```
 */
export class PostgresKeyStore implements KeyStore, AuditStore {
  readonly #pool: Pool
  readonly #table: string
  readonly #audit: { table: string; index: string; insert: string; page: string }
  readonly #tableName: string
  readonly #indexPrefix: string
  readonly #versionsTable: string
  readonly #channel: string
  readonly #sql: Record<
    | 'insert'
    | 'find'
    | 'list'
    | 'revoke'
    | 'touch'
    | 'lock'
    | 'save'
    | 'owned'
    | 'byId'
    | 'held'
    | 'disable'
    | 'update'
    | 'current'
    | `page_${KeyStatusFilter}`,
    { name: string; text: string }
  >
  readonly #logger: AuthLogger
  #started = false
  readonly #options: Required<
    Pick<
      PostgresKeyStoreOptions,
      'reconnectMinDelayMs' | 'reconnectMaxDelayMs' | 'replayWindowMs' | 'heartbeatMs'
    >
  >
  readonly #onError: (error: unknown) => void
  readonly #listeners: RevocationListeners
  #listening: Promise<void> | undefined
  #wake: (() => void) | undefined
  #connected = false
  #closed = false

  constructor(pool: Pool, options: PostgresKeyStoreOptions = {}) {
    if (pool === null || typeof pool !== 'object' || typeof pool.query !== 'function') {
      throw new AuthError('CONFIGURATION_ERROR', { message: 'PostgresKeyStore: pass a pg.Pool' })
    }
    this.#pool = pool
    const table = options.table ?? 'vydra_api_keys'
    this.#table =
      options.schema === undefined
        ? identifier('table', table)
        : `${identifier('schema', options.schema)}.${identifier('table', table)}`
    this.#tableName = options.schema === undefined ? table : `${options.schema}.${table}`
    const auditName = options.auditTable ?? `${table}_audit`
    const audit =
      options.schema === undefined
        ? identifier('auditTable', auditName, AUDIT_IDENTIFIER)
        : `${identifier('schema', options.schema)}.${identifier('auditTable', auditName, AUDIT_IDENTIFIER)}`
    this.#audit = {
      table: audit,
      index: `"${auditName}_key_idx"`,
      insert: `INSERT INTO ${audit} (${AUDIT_COLUMNS.join(', ')})
        VALUES ($1::uuid, $2::uuid, $3, $4::timestamptz, $5, $6, $7, $8,
          $9::json, $10, $11, $12)`,
      page: `SELECT ${AUDIT_COLUMNS.join(', ')} FROM ${audit}
        WHERE key_id = $1::uuid AND ($2::uuid IS NULL OR id < $2::uuid)
        ORDER BY id DESC LIMIT $3`,
    }
    this.#indexPrefix = table
    this.#versionsTable =
      options.schema === undefined
        ? 'vydra_schema_versions'
        : `${identifier('schema', options.schema)}.vydra_schema_versions`
    this.#channel = options.channel ?? `${table}_revoked`
    identifier('channel', this.#channel, CHANNEL)
    const t = this.#table
    const statement = (text: string): { name: string; text: string } => ({
      name: statementName(text),
      text,
    })
    this.#sql = {
      insert: statement(`WITH durable AS (${DURABLE_COMMIT})
        INSERT INTO ${t} (${COLUMNS})
        SELECT ${TYPED.map(([, type], i) => `$${i + 1}::${type}`).join(', ')}
        FROM durable`),
      // Owner-scoped reads that lock the row until the transaction ends.
      owned: statement(`SELECT ${COLUMNS} FROM ${t} WHERE id = $1 AND user_id = $2 FOR UPDATE`),
      byId: statement(`SELECT ${COLUMNS} FROM ${t} WHERE id = $1 FOR UPDATE`),
      // Writes every field but the identity back, and marks the change for the replay.
      save: statement(`UPDATE ${t} SET ${SAVED.map(
        (i, n) => `${TYPED[i]?.[0]} = $${n + 2}::${TYPED[i]?.[1]}`,
      ).join(', ')}, changed_at = $${SAVED.length + 2}
        WHERE id = $1::uuid`),
      current: statement(`SELECT ${COLUMNS} FROM ${t} WHERE id = $1 AND user_id = $2`),
      // Serializes the capped inserts of one owner (any instance): a 64-bit key of the table
      // and the owner; a collision only makes two owners wait for each other.
      lock: statement('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))'),
      held: statement(`SELECT count(*)::int AS held FROM ${t}
        WHERE user_id = $1 AND starts_with(key_prefix, $2) AND revoked_at IS NULL
          AND NOT coalesce(${expired('$3')}, false)`),
      // Always writes (so a concurrent call waits on the row lock and sees the result), keeps
      // an earlier disabledAt, never touches a revoked row, and notifies with the commit.
      disable: statement(`WITH durable AS (${DURABLE_COMMIT}), changed AS (
          UPDATE ${t} SET disabled_at = CASE
              WHEN revoked_at IS NOT NULL THEN disabled_at
              WHEN $3::timestamptz IS NULL THEN NULL
              ELSE coalesce(disabled_at, $3::timestamptz) END,
            changed_at = $4
          WHERE id = $1 AND user_id = $2
          RETURNING ${COLUMNS}
        )
        SELECT changed.*, pg_notify($5, changed.hash) FROM changed, durable`),
      // Compare-and-set: the WHERE re-checks scopes and expiry (and the limits, when expected:
      // jsonb equality is by value) on the latest row version.
      update: statement(`WITH durable AS (${DURABLE_COMMIT}), changed AS (
          UPDATE ${t} SET
            name = CASE WHEN $3::boolean THEN $4::text ELSE name END,
            metadata = CASE WHEN $5::boolean THEN $6::json ELSE metadata END,
            scopes = CASE WHEN $7::boolean THEN $8::text[] ELSE scopes END,
            expires_at = CASE WHEN $9::boolean THEN $10::timestamptz ELSE expires_at END,
            extra = CASE WHEN NOT $15::boolean THEN extra
              WHEN $16::jsonb IS NULL THEN (COALESCE(extra::jsonb, '{}'::jsonb) - 'limits')::json
              ELSE jsonb_set(COALESCE(extra::jsonb, '{}'::jsonb), '{limits}', $16::jsonb)::json END,
            changed_at = $13
          WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL
            AND scopes = $11::text[] AND expires_at IS NOT DISTINCT FROM $12::timestamptz
            AND (NOT $17::boolean
              OR (extra::jsonb -> 'limits') IS NOT DISTINCT FROM $18::jsonb)
          RETURNING ${COLUMNS}
        )
        SELECT changed.*, pg_notify($14, changed.hash) FROM changed, durable`),
      ...pageStatements(t, statement),
      find: statement(`SELECT ${COLUMNS} FROM ${t} WHERE hash = $1`),
      list: statement(`SELECT ${COLUMNS} FROM ${t} WHERE user_id = $1 ORDER BY created_at, id`),
      revoke: statement(`WITH durable AS (${DURABLE_COMMIT}), revoked AS (
          UPDATE ${t} SET revoked_reason = CASE WHEN revoked_at IS NULL THEN $5::text
              ELSE revoked_reason END,
            revoked_at = COALESCE(revoked_at, $3)
          WHERE id = $1 AND user_id = $2
          RETURNING ${COLUMNS}
        )
        SELECT revoked.*, pg_notify($4, revoked.hash) FROM revoked, durable`),
      touch: statement(`UPDATE ${t} SET last_used_at = $2
        WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)`),
    }
    this.#logger = storeLogger(options.logger)
    this.#options = {
      reconnectMinDelayMs: options.reconnectMinDelayMs ?? 100,
      reconnectMaxDelayMs: options.reconnectMaxDelayMs ?? 5_000,
      replayWindowMs: options.replayWindowMs ?? 60_000,
      heartbeatMs: options.heartbeatMs ?? 10_000,
    }
    this.#onError = options.onError ?? (() => {})
    this.#listeners = new RevocationListeners(this.#onError)
  }

  // Start-up checks on the first call, in the background: they only ever warn.
  #startOnce(): void {
    if (this.#started) return
    void this.#start(undefined).catch(() => {})
  }

  async #start(client: PoolClient | undefined): Promise<void> {
    if (this.#started) return
    this.#started = true
    warnIfNoErrorListener(
      this.#pool,
      this.#logger,
      "PostgresKeyStore: the pg pool has no 'error' listener, so an idle connection dropped " +
        "by the server (a restart, a failover) ends the process: add pool.on('error', …)",
    )
    if (fsyncWarned.has(this.#pool)) return
    const { rows } = await (client ?? this.#pool).query<{ fsync: string }>('SHOW fsync')
    if (rows[0]?.fsync === 'off' && !fsyncWarned.has(this.#pool)) {
      fsyncWarned.add(this.#pool)
      this.#logger.warn(
        'PostgresKeyStore: the server runs with fsync = off, so a crash of its machine can ' +
          'lose answered revocations (and corrupt the database); a crash of PostgreSQL alone ' +
          'cannot',
      )
    }
  }

  /** The NOTIFY channel revocations are announced on. */
  get channel(): string {
    return this.#channel
  }

  /**
   * Creates the table and its indexes if they do not exist, and brings a table of an earlier
   * version to the current schema (version 2, 0.2: the lifecycle columns, all nullable, and an
   * index on `(user_id, created_at, id)`). Safe to run on every start, by every instance at
   * once: one transaction under an advisory lock, so it applies whole or not at all (a failed
   * run is simply run again), and every step is `IF NOT EXISTS` (a schema changed by hand
   * half-way is completed). The version is kept per table in `vydra_schema_versions`, in the
   * table's schema. Existing rows are not rewritten: a 0.1 key reads as a user-owned, enabled
   * key without metadata.
   */
  async migrate(): Promise<void> {
    const t = this.#table
    const index = (suffix: string): string => `"${this.#indexPrefix}_${suffix}"`
    const client = await this.#pool.connect()
    try {
      await this.#start(client)
      await client.query('BEGIN')
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `vydra_auth:${this.#tableName}`,
      ])
      await client.query(`CREATE TABLE IF NOT EXISTS ${t} (
        id uuid PRIMARY KEY,
        user_id text NOT NULL,
        name text NOT NULL,
        key_prefix text NOT NULL,
        scopes text[] NOT NULL,
        hash text NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz,
        last_used_at timestamptz,
        revoked_at timestamptz
      )`)
      await client.query(`CREATE UNIQUE INDEX IF NOT EXISTS ${index('hash_key')} ON ${t} (hash)`)
      await client.query(`CREATE INDEX IF NOT EXISTS ${index('user_id_idx')} ON ${t} (user_id)`)
      // Serves the replay of recent revocations after a listener outage.
      await client.query(
        `CREATE INDEX IF NOT EXISTS ${index('revoked_at_idx')} ON ${t} (revoked_at)
         WHERE revoked_at IS NOT NULL`,
      )
      await this.#migrateV2(client)
      await client.query('COMMIT')
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw error
    } finally {
      client.release()
    }
  }

  // Version 2 of the schema; `client` is in migrate()'s transaction, under its lock.
  async #migrateV2(client: PoolClient): Promise<void> {
    const t = this.#table
    const index = (suffix: string): string => `"${this.#indexPrefix}_${suffix}"`
    const versions = this.#versionsTable
    // The version table is shared by every table's migration: concurrent CREATE … IF NOT
    // EXISTS of one table can collide, so they take one more lock (held to the commit).
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`vydra_auth:${versions}`])
    await client.query(`CREATE TABLE IF NOT EXISTS ${versions} (
      table_name text PRIMARY KEY,
      version integer NOT NULL
    )`)
    const { rows } = await client.query<{ version: number }>(
      `SELECT version FROM ${versions} WHERE table_name = $1`,
      [this.#indexPrefix],
    )
    if ((rows[0]?.version ?? 1) >= SCHEMA_VERSION) return
    for (const [name, type] of COLUMNS_V2) {
      await client.query(`ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS ${name} ${type}`)
    }
    // The page order of listPage, and the replay of non-revocation changes after an outage.
    await client.query(
      `CREATE INDEX IF NOT EXISTS ${index('user_page_idx')} ON ${t} (user_id, created_at, id)`,
    )
    await client.query(
      `CREATE INDEX IF NOT EXISTS ${index('changed_at_idx')} ON ${t} (changed_at)
       WHERE changed_at IS NOT NULL`,
    )
    // Version 3: the audit log's table (append-only; docs/audit-log.md).
    await client.query(`CREATE TABLE IF NOT EXISTS ${this.#audit.table} (
      id uuid PRIMARY KEY,
      key_id uuid NOT NULL,
      user_id text NOT NULL,
      at timestamptz NOT NULL,
      action text NOT NULL,
      actor_type text,
      actor_id text,
      reason text,
      changes json,
      request_method text,
      request_path text,
      client_address text
    )`)
    await client.query(
      `CREATE INDEX IF NOT EXISTS ${this.#audit.index} ON ${this.#audit.table} (key_id, id)`,
    )
    await client.query(
      `INSERT INTO ${versions} (table_name, version) VALUES ($1, $2)
       ON CONFLICT (table_name) DO UPDATE SET version = excluded.version`,
      [this.#indexPrefix, SCHEMA_VERSION],
    )
  }

  /** With `audit`, one transaction writes the record and its audit records. */
  async insert(record: ApiKeyRecord, audit?: AuditWrite): Promise<void> {
    this.#startOnce()
    if (audit === undefined) {
      await this.#pool.query({ ...this.#sql.insert, values: recordValues(record) })
      return
    }
    await this.#transaction(async (client) => {
      await client.query({ ...this.#sql.insert, values: recordValues(record) })
      await this.#writeAudit(client, audit)
    })
  }

  /** Appends audit records in one transaction; for a store used as a separate audit store. */
  async appendAudit(records: readonly AuditRecord[]): Promise<void> {
    this.#startOnce()
    await this.#transaction((client) => this.#writeAudit(client, records))
  }

  /** A key's audit records, newest first, before the cursor. */
  async listAudit(query: AuditQuery): Promise<AuditRecord[]> {
    this.#startOnce()
    if (!isUuid(query.keyId) || (query.before !== null && !isUuid(query.before))) return []
    const { rows } = await this.#pool.query<AuditRow>({
      name: statementName(this.#audit.page),
      text: this.#audit.page,
      values: [query.keyId, query.before, query.limit],
    })
    return rows.map(auditRecordOf)
  }

  async #writeAudit(client: PoolClient, records: AuditWrite | undefined): Promise<void> {
    for (const record of records ?? []) {
      await client.query({
        name: statementName(this.#audit.insert),
        text: this.#audit.insert,
        // `at` as a Date: pg sends it with its milliseconds exactly.
        values: auditRowValues(record).map((value, i) => (i === 3 ? record.at : value)),
      })
    }
  }

  /**
   * One transaction: an advisory lock on the owner (so concurrent capped inserts of one owner,
   * from any instance, run one after the other), the count, the insert.
   */
  async insertCapped(record: ApiKeyRecord, cap: KeyCap, audit?: AuditWrite): Promise<boolean> {
    this.#startOnce()
    return this.#transaction(async (client) => {
      await client.query({
        ...this.#sql.lock,
        values: [`vydra_auth:${this.#tableName}:${record.userId}`],
      })
      const { rows } = await client.query<{ held: number }>({
        ...this.#sql.held,
        values: [record.userId, cap.keyPrefix, cap.at],
      })
      if ((rows[0]?.held ?? 0) >= cap.max) return false
      await client.query({ ...this.#sql.insert, values: recordValues(record) })
      await this.#writeAudit(client, audit)
      return true
    })
  }

  async listPage(userId: string, query: KeyPageQuery): Promise<ApiKeyRecord[]> {
    this.#startOnce()
    const sql = this.#sql[`page_${query.status}`]
    if (sql === undefined) return []
    // A cursor that names no possible key is past nothing we hold.
    if (query.after !== null && !isUuid(query.after.id)) return []
    const { rows } = await this.#pool.query({
      ...sql,
      values: [
        userId,
        query.keyPrefix,
        query.at,
        query.after?.createdAt ?? '-infinity',
        query.after?.id ?? '00000000-0000-0000-0000-000000000000',
        query.limit,
      ],
    })
    return rows.map(toRecord)
  }

  /**
   * One transaction: locks the old row (a concurrent roll or revoke waits, then sees the
   * result), checks it, inserts the new record built from it, retires it, ends the grace of
   * the key it was itself rolled from, and notifies both with the commit.
   */
  async roll(request: KeyRollRequest, audit?: AuditWrite): Promise<KeyRollResult | null> {
    this.#startOnce()
    if (!isUuid(request.keyId)) return null
    const at = request.at.getTime()
    return this.#transaction(async (client) => {
      const old = await this.#lockOwned(client, request.keyId, request.userId)
      if (old === null) return null
      const refusal = rollRefusal(old, at)
      if (refusal !== null) return { ok: false, reason: refusal, current: old }
      const next = rolledRecord(old, request)
      await client.query({ ...this.#sql.insert, values: recordValues(next) })
      retireRolled(old, request)
      const predecessor =
        old.rolledFrom == null ? null : await this.#lockOwned(client, old.rolledFrom, old.userId)
      let ended: ApiKeyRecord | null = null
      if (predecessor !== null && graceRunning(predecessor, at)) {
        predecessor.graceEndsAt = new Date(at)
        old.firstUseGraceMs = null
        await this.#save(client, predecessor)
        ended = predecessor
      }
      await this.#save(client, old)
      await this.#writeAudit(client, audit)
      return { ok: true, previous: old, next, ended }
    })
  }

  /** One transaction: locks the new key's row, then the old key's; N callers agree. */
  async startRollGrace(keyId: string, at: Date): Promise<ApiKeyRecord | null> {
    this.#startOnce()
    if (!isUuid(keyId)) return null
    return this.#transaction(async (client) => {
      const { rows } = await client.query({ ...this.#sql.byId, values: [keyId] })
      const next = rows[0] === undefined ? null : toRecord(rows[0])
      if (next?.rolledFrom == null) return null
      const old = await this.#lockOwned(client, next.rolledFrom, next.userId)
      if (old === null) return null
      const graceMs = next.firstUseGraceMs
      if (graceMs == null) return old
      next.firstUseGraceMs = null
      await this.#save(client, next, false)
      if (old.graceEndsAt != null || old.revokedAt !== null) return old
      old.graceEndsAt = new Date(Math.min(at.getTime() + graceMs, effectiveExpiryMs(old)))
      await this.#save(client, old)
      return old
    })
  }

  /** One statement (see the `disable` SQL): the owner check, the write and the NOTIFY. */
  async setDisabled(
    keyId: string,
    userId: string,
    at: Date | null,
    audit?: AuditWrite,
  ): Promise<ApiKeyRecord | null> {
    this.#startOnce()
    if (!isUuid(keyId)) return null
    const values = [keyId, userId, at, new Date(), this.#channel]
    if (audit === undefined) {
      const { rows } = await this.#pool.query({ ...this.#sql.disable, values })
      return rows[0] === undefined ? null : toRecord(rows[0])
    }
    // With audit records: the row locked first, so "did this call change it" is known.
    return this.#transaction(async (client) => {
      const before = await this.#lockOwned(client, keyId, userId)
      if (before === null) return null
      const { rows } = await client.query({ ...this.#sql.disable, values })
      const wasDisabled = before.disabledAt != null
      if (before.revokedAt === null && wasDisabled === (at === null)) {
        await this.#writeAudit(client, audit)
      }
      return rows[0] === undefined ? null : toRecord(rows[0])
    })
  }

  /**
   * One compare-and-set statement; when it changed nothing, a second read tells "no such key
   * of that owner" (`null`) from a conflict (with the current record).
   */
  async update(
    keyId: string,
    userId: string,
    patch: KeyUpdatePatch,
    expected: KeyUpdateExpectation,
    audit?: AuditWrite,
  ): Promise<KeyUpdateResult | null> {
    this.#startOnce()
    if (!isUuid(keyId)) return null
    if (audit === undefined) return this.#update(this.#pool, keyId, userId, patch, expected)
    return this.#transaction(async (client) => {
      const result = await this.#update(client, keyId, userId, patch, expected)
      if (result?.ok === true) await this.#writeAudit(client, audit)
      return result
    })
  }

  async #update(
    db: Pool | PoolClient,
    keyId: string,
    userId: string,
    patch: KeyUpdatePatch,
    expected: KeyUpdateExpectation,
  ): Promise<KeyUpdateResult | null> {
    const { rows } = await db.query({
      ...this.#sql.update,
      values: [
        keyId,
        userId,
        patch.name !== undefined,
        patch.name ?? null,
        patch.metadata !== undefined,
        patch.metadata === undefined ? null : JSON.stringify(patch.metadata),
        patch.scopes !== undefined,
        patch.scopes === undefined ? null : [...patch.scopes],
        patch.expiresAt !== undefined,
        patch.expiresAt ?? null,
        [...expected.scopes],
        expected.expiresAt,
        new Date(),
        this.#channel,
        patch.limits !== undefined,
        patch.limits === undefined || patch.limits === null ? null : JSON.stringify(patch.limits),
        expected.limits !== undefined,
        expected.limits === undefined || expected.limits === null
          ? null
          : JSON.stringify(expected.limits),
      ],
    })
    if (rows[0] !== undefined) return { ok: true, record: toRecord(rows[0]) }
    const current = await db.query({ ...this.#sql.current, values: [keyId, userId] })
    return current.rows[0] === undefined
      ? null
      : { ok: false, reason: 'conflict', current: toRecord(current.rows[0]) }
  }

  async #lockOwned(client: PoolClient, id: string, userId: string): Promise<ApiKeyRecord | null> {
    const { rows } = await client.query({ ...this.#sql.owned, values: [id, userId] })
    return rows[0] === undefined ? null : toRecord(rows[0])
  }

  // Writes `record` back; `notify` (the default) announces its hash with the commit.
  async #save(client: PoolClient, record: ApiKeyRecord, notify = true): Promise<void> {
    const values = recordValues(record)
    await client.query({
      ...this.#sql.save,
      values: [record.id, ...SAVED.map((i) => values[i]), new Date()],
    })
    if (notify) await client.query('SELECT pg_notify($1, $2)', [this.#channel, record.hash])
  }

  // BEGIN, a durable commit (as the single-statement writes have), `fn`, COMMIT; ROLLBACK on
  // any failure. A connection whose ROLLBACK failed is destroyed rather than reused.
  async #transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect()
    let broken = false
    // A connection dropped mid-transaction (a terminated backend, a failover) also emits
    // 'error' on the checked-out client; its query rejects with the same error, which is what
    // counts. Without a listener the event would end the process.
    const dropped = (): void => {
      broken = true
    }
    client.on('error', dropped)
    try {
      await client.query('BEGIN')
      await client.query(DURABLE_COMMIT)
      const result = await fn(client)
      await client.query('COMMIT')
      return result
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true
      })
      throw error
    } finally {
      client.off('error', dropped)
      client.release(broken)
    }
  }

  async findByHash(hash: string): Promise<ApiKeyRecord | null> {
    this.#startOnce()
    const { rows } = await this.#pool.query({
      ...this.#sql.find,
      values: [hash],
    })
    return rows[0] === undefined ? null : toRecord(rows[0])
  }

  async listByUser(userId: string): Promise<ApiKeyRecord[]> {
    this.#startOnce()
    const { rows } = await this.#pool.query({
      ...this.#sql.list,
      values: [userId],
    })
    return rows.map(toRecord)
  }

  /**
   * One statement: the ownership check, the first-`revokedAt`-wins update and the NOTIFY
   * (delivered by PostgreSQL when, and only if, the update commits). It commits with at least
   * `synchronous_commit = local`: once answered, the revocation is in the flushed WAL.
   */
  async revoke(
    keyId: string,
    userId: string,
    at: Date,
    reason?: string,
    audit?: AuditWrite,
  ): Promise<ApiKeyRecord | null> {
    this.#startOnce()
    if (!isUuid(keyId)) return null
    const values = [keyId, userId, at, this.#channel, typeof reason === 'string' ? reason : null]
    if (audit === undefined) {
      const { rows } = await this.#pool.query({ ...this.#sql.revoke, values })
      return rows[0] === undefined ? null : toRecord(rows[0])
    }
    // With audit records: the row locked first, so a repeat (already revoked) writes none.
    return this.#transaction(async (client) => {
      const before = await this.#lockOwned(client, keyId, userId)
      if (before === null) return null
      const { rows } = await client.query({ ...this.#sql.revoke, values })
      if (before.revokedAt === null) await this.#writeAudit(client, audit)
      return rows[0] === undefined ? null : toRecord(rows[0])
    })
  }

  async touch(keyId: string, at: Date): Promise<void> {
    this.#startOnce()
    if (!isUuid(keyId)) return
    await this.#pool.query({
      ...this.#sql.touch,
      values: [keyId, at],
    })
  }

  // Pepper rotation (0.2): the optional methods of the port, in their own statements.

  /** The record stored under one of `hashes`, in one query; `null` when none. */
  async findByHashes(hashes: readonly string[]): Promise<ApiKeyRecord | null> {
    this.#startOnce()
    if (hashes.length === 0) return null
    const { rows } = await this.#pool.query({
      name: statementName(`findByHashes ${this.#table}`),
      text: `SELECT ${COLUMNS} FROM ${this.#table} WHERE hash = ANY($1::text[])
        ORDER BY array_position($1::text[], hash) LIMIT 1`,
      values: [[...hashes]],
    })
    return rows[0] === undefined ? null : toRecord(rows[0])
  }

  /** Replaces the digest of `keyId` by `to` if it is still `from`, in one statement. */
  async rehash(keyId: string, from: string, to: string): Promise<boolean> {
    this.#startOnce()
    if (!isUuid(keyId)) return false
    try {
      const { rowCount } = await this.#pool.query({
        name: statementName(`rehash ${this.#table}`),
        text: `UPDATE ${this.#table} SET hash = $3 WHERE id = $1 AND hash = $2`,
        values: [keyId, from, to],
      })
      return rowCount === 1
    } catch (error) {
      // Another record already has `to` (unique_violation): not re-keyed, nothing broken.
      if ((error as { code?: unknown }).code === '23505') return false
      throw error
    }
  }

  /** Records not revoked per digest version (the pepper id before `$`, `''` for none). */
  async countDigestVersions(): Promise<Record<string, number>> {
    this.#startOnce()
    const { rows } = await this.#pool.query<{ version: string; n: number }>(
      `SELECT CASE WHEN strpos(hash, '$') > 0 THEN split_part(hash, '$', 1) ELSE '' END AS version,
        count(*)::int AS n FROM ${this.#table} WHERE revoked_at IS NULL GROUP BY 1`,
    )
    return Object.fromEntries(rows.map((row) => [row.version, row.n]))
  }

  /**
   * Calls `listener` with the hash of every key revoked through any instance, and (one channel
   * carries both, and evicting is harmless) of every other key whose verification a write may
   * have changed: see {@link PostgresKeyStore.onInvalidate}.
   */
  onRevoke(listener: (hash: string) => void): () => void {
    return this.onInvalidate(listener)
  }

  /**
   * Calls `listener` with the hash of every key whose verification may have changed through any
   * instance (revoke, disable, enable, update, roll, start of a first-use grace): NOTIFY on
   * {@link PostgresKeyStore.channel}, sent with the commit; after a reconnection, the changes of
   * the replay window are replayed (`revoked_at`, `changed_at`).
   */
  onInvalidate(listener: (hash: string) => void): () => void {
    this.#listeners.add(listener)
    this.#ensureListening()
    return () => {
      this.#listeners.delete(listener)
      // Stop listening once nobody has re-subscribed by the next turn of the event loop: a
      // listener replaced at once (unsubscribe, then subscribe) keeps the live connection and
      // misses nothing in between.
      if (this.#listeners.size === 0) {
        setTimeout(() => {
          if (this.#listeners.size === 0) this.#wake?.()
        }, 0).unref?.()
      }
    }
  }

  /**
   * Whether the revocation listener is connected, listening and caught up (after its replay);
   * `false` while it reconnects or when nobody subscribes.
   */
  listenerConnected(): boolean {
    return this.#connected
  }

  /** Stops listening and gives the listener's connection back. The pool stays yours to end. */
  async close(): Promise<void> {
    this.#closed = true
    this.#wake?.()
    await this.#listening
  }

  #ensureListening(): void {
    if (this.#listening !== undefined || !this.#active()) return
    this.#listening = this.#listen().finally(() => {
      this.#listening = undefined
      // A subscriber may have arrived while the loop was winding down.
      this.#ensureListening()
    })
  }

  #active(): boolean {
    return !this.#closed && this.#listeners.size > 0
  }

  #emit(hash: string): void {
    this.#listeners.emit(hash)
  }

  // One dedicated connection: connect, LISTEN, replay what may have been missed, then wait
  // until it drops (reconnect with backoff) or nobody listens any more.
  async #listen(): Promise<void> {
    let attempt = 0
    let healthyAt = Date.now()
    while (this.#active()) {
      let client: PoolClient | undefined
      let failure: unknown
      try {
        client = await this.#pool.connect()
        const connection = client
        const dropped = new Promise<void>((resolve) => {
          this.#wake = resolve
          connection.on('error', (error) => {
            failure = error
            resolve()
          })
          connection.on('end', () => resolve())
          connection.on('notification', (message) => {
            if (message.channel === this.#channel && typeof message.payload === 'string') {
              this.#emit(message.payload)
            }
          })
        })
        // A subscriber may have left, or close() run, while connecting.
        if (!this.#active()) break
        // Bounded like a heartbeat: a server that accepts but never answers must not stall us.
        const rows = await within(
          this.#options.heartbeatMs * 2,
          (async () => {
            await connection.query(`LISTEN "${this.#channel}"`)
            const replay = await connection.query<{ hash: string }>(
              `SELECT hash FROM ${this.#table} WHERE revoked_at >= $1 OR changed_at >= $1`,
              [new Date(healthyAt - this.#options.replayWindowMs)],
            )
            return replay.rows
          })(),
        )
        for (const row of rows) this.#emit(row.hash)
        this.#connected = true
        attempt = 0
        // A heartbeat still unanswered one interval later means a dead (half-open) connection.
        let waiting = false
        const heartbeat = setInterval(() => {
          if (waiting) {
            failure = new Error('listener heartbeat unanswered')
            this.#wake?.()
            return
          }
          waiting = true
          const sentAt = Date.now()
          connection.query('SELECT 1').then(
            () => {
              waiting = false
              healthyAt = sentAt
            },
            (error: unknown) => {
              failure = error
              this.#wake?.()
            },
          )
        }, this.#options.heartbeatMs)
        heartbeat.unref?.()
        healthyAt = Date.now()
        await dropped
        clearInterval(heartbeat)
        if (failure === undefined && this.#active())
          failure = new Error('listener connection ended')
      } catch (error) {
        failure = error
      } finally {
        this.#connected = false
        this.#wake = undefined
        if (client !== undefined) {
          client.removeAllListeners('notification')
          // Destroy rather than reuse: the connection is LISTENing or broken.
          client.release(true)
        }
      }
      if (failure !== undefined) this.#onError(failure)
      if (!this.#active()) break
      const ceiling = Math.min(
        this.#options.reconnectMaxDelayMs,
        this.#options.reconnectMinDelayMs * 2 ** Math.min(attempt, 16),
      )
      attempt++
      await this.#pause(ceiling / 2 + randomInt(Math.max(1, Math.floor(ceiling / 2))))
    }
  }

  // Sleeps, but wakes early on close() or when the last subscriber leaves.
  #pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      // Unref'd: a listener waiting to reconnect must not keep the process alive.
      const timer = setTimeout(done, ms)
      timer.unref?.()
      function done(): void {
        clearTimeout(timer)
        resolve()
      }
      this.#wake = done
    }).finally(() => {
      this.#wake = undefined
    })
  }
}

// Rejects if `promise` has not settled after `ms` (its late rejection is swallowed).
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  promise.catch(() => {})
  let timer: ReturnType<typeof setTimeout> | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`listener set-up took over ${ms} ms`)), ms)
  })
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer))
}

// The statements of listPage, one per status filter: the keyset (created_at, id) after $4, $5
// walks the (user_id, created_at, id) index.
function pageStatements(
  t: string,
  statement: (text: string) => { name: string; text: string },
): Record<`page_${KeyStatusFilter}`, { name: string; text: string }> {
  const page = (status: KeyStatusFilter): { name: string; text: string } =>
    statement(`SELECT ${COLUMNS} FROM ${t}
      WHERE user_id = $1 AND starts_with(key_prefix, $2) AND ${STATUS[status]('$3::timestamptz')}
        AND (created_at, id) > ($4::timestamptz, $5::uuid)
      ORDER BY created_at, id LIMIT $6`)
  return {
    page_all: page('all'),
    page_active: page('active'),
    page_disabled: page('disabled'),
    page_revoked: page('revoked'),
    page_expired: page('expired'),
  }
}

// The values of a record, in the order of TYPED.
function recordValues(record: ApiKeyRecord): unknown[] {
  return [
    record.id,
    record.userId,
    record.name,
    record.keyPrefix,
    [...record.scopes],
    record.hash,
    record.createdAt,
    record.expiresAt,
    record.lastUsedAt ?? null,
    record.revokedAt,
    record.ownerType ?? null,
    record.createdBy ?? null,
    metadataJson(record),
    record.disabledAt ?? null,
    record.revokedReason ?? null,
    record.replacedBy ?? null,
    record.rolledFrom ?? null,
    record.graceEndsAt ?? null,
    record.firstUseGraceMs ?? null,
    extraJson(record),
  ]
}

function toRecord(row: QueryResultRow): ApiKeyRecord {
  return {
    // `json` columns arrive parsed; unknown fields go under the known ones.
    ...parseExtra(row.extra === null ? null : JSON.stringify(row.extra)),
    id: row.id,
    userId: row.user_id,
    name: row.name,
    keyPrefix: row.key_prefix,
    scopes: row.scopes,
    hash: row.hash,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
    ownerType: row.owner_type ?? 'user',
    createdBy: row.created_by,
    metadata: row.metadata ?? {},
    disabledAt: row.disabled_at,
    revokedReason: row.revoked_reason,
    replacedBy: row.replaced_by,
    rolledFrom: row.rolled_from,
    graceEndsAt: row.grace_ends_at,
    // bigint arrives as a string (pg's int8); grace periods are far below 2^53.
    firstUseGraceMs: row.first_use_grace_ms === null ? null : Number(row.first_use_grace_ms),
  }
}
