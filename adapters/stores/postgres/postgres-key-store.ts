/**
 * A {@link KeyStore} on PostgreSQL through `pg`, with fleet-wide revocation by LISTEN/NOTIFY.
 * @module
 */
import { createHash, randomInt } from 'node:crypto'
import type { Pool, PoolClient, QueryResultRow } from 'pg'
import { AuthError, type ApiKeyRecord, type AuthLogger, type KeyStore } from '../../../src/index.js'
import { RevocationListeners } from '../shared/revocation-listeners.js'
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
const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/
const COLUMNS =
  'id, user_id, name, key_prefix, scopes, hash, created_at, expires_at, last_used_at, revoked_at'

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
export class PostgresKeyStore implements KeyStore {
  readonly #pool: Pool
  readonly #table: string
  readonly #tableName: string
  readonly #indexPrefix: string
  readonly #channel: string
  readonly #sql: Record<
    'insert' | 'find' | 'list' | 'revoke' | 'touch',
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
    this.#indexPrefix = table
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
        SELECT $1::uuid, $2::text, $3::text, $4::text, $5::text[], $6::text, $7::timestamptz,
          $8::timestamptz, $9::timestamptz, $10::timestamptz
        FROM durable`),
      find: statement(`SELECT ${COLUMNS} FROM ${t} WHERE hash = $1`),
      list: statement(`SELECT ${COLUMNS} FROM ${t} WHERE user_id = $1 ORDER BY created_at, id`),
      revoke: statement(`WITH durable AS (${DURABLE_COMMIT}), revoked AS (
          UPDATE ${t} SET revoked_at = COALESCE(revoked_at, $3)
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
   * Creates the table and its indexes if they do not exist; safe to run on every start, by
   * every instance at once (an advisory lock serializes concurrent runs).
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
      await client.query('COMMIT')
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw error
    } finally {
      client.release()
    }
  }

  async insert(record: ApiKeyRecord): Promise<void> {
    this.#startOnce()
    await this.#pool.query({
      ...this.#sql.insert,
      values: [
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
      ],
    })
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
  async revoke(keyId: string, userId: string, at: Date): Promise<ApiKeyRecord | null> {
    this.#startOnce()
    if (!isUuid(keyId)) return null
    const { rows } = await this.#pool.query({
      ...this.#sql.revoke,
      values: [keyId, userId, at, this.#channel],
    })
    return rows[0] === undefined ? null : toRecord(rows[0])
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

  onRevoke(listener: (hash: string) => void): () => void {
    this.#listeners.add(listener)
    this.#ensureListening()
    return () => {
      this.#listeners.delete(listener)
      if (this.#listeners.size === 0) this.#wake?.()
    }
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
              `SELECT hash FROM ${this.#table} WHERE revoked_at >= $1`,
              [new Date(healthyAt - this.#options.replayWindowMs)],
            )
            return replay.rows
          })(),
        )
        for (const row of rows) this.#emit(row.hash)
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

function toRecord(row: QueryResultRow): ApiKeyRecord {
  return {
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
  }
}
