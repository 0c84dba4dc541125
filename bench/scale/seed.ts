/**
 * Bulk seeding of each store, in exactly the layout its adapter reads (see adapters/*), with
 * evidence of how a lookup is made: PostgreSQL by multi-row INSERT … SELECT FROM unnest(…),
 * then VACUUM (ANALYZE) as autovacuum would; Redis by a Lua script writing a batch of rows per
 * call; SQLite by a prepared INSERT inside one transaction per batch, then a WAL checkpoint.
 */
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import Database from 'better-sqlite3'
import type { Redis } from 'ioredis'
import type pg from 'pg'
import { PostgresKeyStore } from '../../adapters/stores/postgres/index.js'
import { RedisKeyStore } from '../../adapters/stores/redis/index.js'
import { SqliteKeyStore } from '../../adapters/stores/sqlite/index.js'
import type { KeyStore } from '../../src/index.js'
import { CREATED_AT, GRANTED, type Probe, rowBatches, type ScaleRow } from './rows.js'

export type StoreKind = 'postgres' | 'redis' | 'sqlite'

/** A store holding `size` keys. */
export interface Seeded {
  kind: StoreKind
  size: number
  store: KeyStore
  probes: Probe[]
  seedMs: number
  /** Storage of the whole table / namespace / file over `size`. */
  bytesPerKey: number
  /** How the store finds a record by digest (query plans where there are any). */
  plan: string
  close(): Promise<void>
}

/** Rows per INSERT or script call; SQLite writes bigger transactions (see seedSqlite). */
const BATCH = 5_000
const SQLITE_BATCH = 50_000
const COLUMNS =
  'id, user_id, name, key_prefix, scopes, hash, created_at, expires_at, last_used_at, revoked_at'
// Options of the stores' next version (0.2), spread so that today's option types accept them:
// no start-up warnings, and a Redis without persistence accepted (the bench's keeps nothing).
const QUIET: object = { logger: false }
const NOT_DURABLE: object = { logger: false, durability: 'accept-risk' }

// Runs `write` for each batch while the next batch is generated: two writes in flight at most.
async function seedBatches(
  size: number,
  probeCount: number,
  write: (rows: ScaleRow[]) => Promise<unknown>,
  batchSize = BATCH,
): Promise<{ probes: Probe[]; ms: number }> {
  const started = performance.now()
  const probes: Probe[] = []
  let pending: Promise<unknown> | undefined
  for (const batch of rowBatches(size, batchSize, probeCount)) {
    probes.push(...batch.probes)
    const next = write(batch.rows)
    next.catch(() => {})
    await pending
    pending = next
  }
  await pending
  return { probes, ms: performance.now() - started }
}

export async function seedPostgres(
  pool: pg.Pool,
  size: number,
  probeCount: number,
): Promise<Seeded> {
  const table = `scale_${size}`
  const store = new PostgresKeyStore(pool, { table, ...QUIET })
  await store.migrate()
  const insert = `INSERT INTO "${table}" (${COLUMNS})
    SELECT u.id, u.user_id, u.name, u.key_prefix, $5::text[], u.hash, $6::timestamptz,
      NULL, NULL, NULL
    FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $7::text[])
      AS u(id, user_id, name, key_prefix, hash)`
  const { probes, ms } = await seedBatches(size, probeCount, (rows) =>
    pool.query(insert, [
      rows.map((r) => r.id),
      rows.map((r) => r.userId),
      rows.map((r) => r.name),
      rows.map((r) => r.keyPrefix),
      GRANTED,
      CREATED_AT,
      rows.map((r) => r.hash),
    ]),
  )
  const started = performance.now()
  await pool.query(`VACUUM (ANALYZE) "${table}"`)
  const vacuumMs = performance.now() - started
  const bytes = await pool.query<{ bytes: string }>(
    'SELECT pg_total_relation_size($1::regclass) AS bytes',
    [table],
  )
  const probe = probes[0] as Probe
  // One line per plan; literals (the probe's digest, id, time) and planning buffers left out.
  const explain = async (sql: string, values: unknown[]): Promise<string> =>
    (await pool.query<{ 'QUERY PLAN': string }>(sql, values)).rows
      .map((row) => row['QUERY PLAN'].trim())
      .join('; ')
      .replace(/; Planning:.*$/, '')
      .replace(/'[^']*'::[a-z ]+/g, '…')
  // The adapters' lookup and touch statements (adapters/stores/postgres), explained.
  const find = await explain(
    `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF)
     SELECT ${COLUMNS} FROM "${table}" WHERE hash = $1`,
    [probe.hash],
  )
  const touch = await explain(
    `EXPLAIN (COSTS OFF) UPDATE "${table}" SET last_used_at = $2
     WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)`,
    [probe.id, new Date()],
  )
  return {
    kind: 'postgres',
    size,
    store,
    probes,
    seedMs: ms + vacuumMs,
    bytesPerKey: Number(bytes.rows[0]?.bytes) / size,
    plan: `findByHash: ${find} — touch: ${touch}`,
    close: () => store.close(),
  }
}

export async function seedRedis(client: Redis, size: number, probeCount: number): Promise<Seeded> {
  const ns = `scale_${size}:`
  const before = await usedMemory(client)
  const scopes = JSON.stringify(GRANTED)
  const createdAt = String(CREATED_AT.getTime())
  // The layout of RedisKeyStore's INSERT script (a hash per digest, id → digest, user → ids),
  // written by one script call per batch: far fewer round trips and client-side commands.
  const { probes, ms } = await seedBatches(size, probeCount, (rows) =>
    client.eval(
      BULK_INSERT,
      0,
      ns,
      scopes,
      createdAt,
      ...rows.flatMap((r) => [r.id, r.userId, r.name, r.keyPrefix, r.hash]),
    ),
  )
  const store = new RedisKeyStore(client, { namespace: ns, ...NOT_DURABLE })
  return {
    kind: 'redis',
    size,
    store,
    probes,
    seedMs: ms,
    bytesPerKey: ((await usedMemory(client)) - before) / size,
    plan: `findByHash: HGETALL ${ns}key:<digest> (one hash-table lookup); touch: GET ${ns}id:<id>, then a script on the record`,
    close: () => store.close(),
  }
}

export async function seedSqlite(
  dir: string,
  size: number,
  probeCount: number,
  mmapSize?: number,
  cacheKiB?: number,
): Promise<Seeded> {
  const file = join(dir, `scale_${size}.db`)
  // Creates the table and its indexes; `mmapSize` and `cacheKiB` apply to the store's
  // connection only (a page cache size is set on a connection the bench opens and passes in).
  let connection: Database.Database | undefined
  if (cacheKiB !== undefined) {
    connection = new Database(file)
    connection.pragma(`cache_size = -${cacheKiB}`)
  }
  const store = new SqliteKeyStore(connection ?? file, mmapSize === undefined ? {} : { mmapSize })
  const db = new Database(file)
  // This seeding connection only: a page cache that holds the indexes being filled (random
  // digests and ids land on random pages), no fsync, and big transactions, since each one
  // writes every index page it dirtied to the WAL.
  db.pragma('cache_size = -524288')
  db.pragma('synchronous = OFF')
  const table = 'vydra_api_keys'
  const insert = db.prepare(
    `INSERT INTO "${table}" (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  const scopes = JSON.stringify(GRANTED)
  const createdAt = CREATED_AT.getTime()
  const insertAll = db.transaction((rows: ScaleRow[]) => {
    for (const r of rows) {
      insert.run(r.id, r.userId, r.name, r.keyPrefix, scopes, r.hash, createdAt, null, null, null)
    }
  })
  try {
    const { probes, ms } = await seedBatches(
      size,
      probeCount,
      async (rows) => insertAll(rows),
      SQLITE_BATCH,
    )
    const started = performance.now()
    db.pragma('wal_checkpoint(TRUNCATE)')
    const checkpointMs = performance.now() - started
    const pages = Number(db.pragma('page_count', { simple: true }))
    const pageSize = Number(db.pragma('page_size', { simple: true }))
    const plan = (sql: string, ...values: unknown[]): string =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...values) as { detail: string }[])
        .map((row) => row.detail)
        .join('; ')
    const probe = probes[0] as Probe
    // The adapter's lookup and touch statements (adapters/stores/sqlite), explained.
    const find = plan(`SELECT ${COLUMNS} FROM "${table}" WHERE hash = ?`, probe.hash)
    const now = Date.now()
    const touch = plan(
      `UPDATE "${table}" SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
      now,
      probe.id,
      now,
    )
    return {
      kind: 'sqlite',
      size,
      store,
      probes,
      seedMs: ms + checkpointMs,
      bytesPerKey: (pages * pageSize) / size,
      plan:
        `findByHash: ${find} — touch: ${touch}` +
        (mmapSize === undefined ? '' : ` — mmapSize ${mmapSize}`) +
        (cacheKiB === undefined ? '' : ` — cache_size -${cacheKiB} (KiB)`),
      close: async () => {
        store.close()
        connection?.close()
      },
    }
  } finally {
    db.close()
  }
}

// ARGV: namespace, scopes (JSON), createdAt (epoch ms), then id, userId, name, keyPrefix, hash
// of each row. Fields and keys as RedisKeyStore's own INSERT script writes them.
const BULK_INSERT = `
local ns, scopes, created = ARGV[1], ARGV[2], ARGV[3]
for i = 4, #ARGV, 5 do
  local id, user, hash = ARGV[i], ARGV[i + 1], ARGV[i + 4]
  redis.call('HSET', ns .. 'key:' .. hash, 'id', id, 'userId', user, 'name', ARGV[i + 2],
    'keyPrefix', ARGV[i + 3], 'scopes', scopes, 'createdAt', created, 'expiresAt', '',
    'lastUsedAt', '', 'revokedAt', '')
  redis.call('SET', ns .. 'id:' .. id, hash)
  redis.call('SADD', ns .. 'user:' .. user, id)
end
return #ARGV`

async function usedMemory(client: Redis): Promise<number> {
  const info = await client.info('memory')
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? Number.NaN)
}
