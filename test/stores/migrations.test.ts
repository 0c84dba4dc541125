/**
 * 0.1 data under the 0.2 stores: a 0.1 database with live keys migrates in place (PostgreSQL,
 * SQLite) and every key still verifies after; a migration that fails half-way leaves the 0.1
 * schema intact and is retried safely; Redis records in the 0.1 layout stay readable and usable.
 * The 0.1 schemas and writes below are copied verbatim from the 0.1 stores.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { PostgresKeyStore } from '../../adapters/stores/postgres/index.js'
import { RedisKeyStore } from '../../adapters/stores/redis/index.js'
import { SqliteKeyStore } from '../../adapters/stores/sqlite/index.js'
import { createApiKeyAuth, type ApiKeyRecord, type KeyStore } from '../../src/index.js'
import { makeTestRecord } from '../../src/testing/index.js'
import { makePool, makeRedis, sharedPostgres, sharedRedis, uniqueName } from './helpers.js'
import { registerKey } from '../support/secret-scan.js'

const NOW = Date.now()

interface Fixture {
  live: { record: ApiKeyRecord; key: string }[]
  revoked: { record: ApiKeyRecord; key: string }
}

// Five live keys of two users (one with an expiry, one used) and one revoked key.
function fixture(): Fixture {
  const live = [
    makeTestRecord({ userId: 'mig_a', createdAt: new Date(NOW - 5000) }),
    makeTestRecord({ userId: 'mig_a', createdAt: new Date(NOW - 4000), scopes: ['*'] }),
    makeTestRecord({
      userId: 'mig_a',
      createdAt: new Date(NOW - 3000),
      expiresAt: new Date(NOW + 86_400_000),
    }),
    makeTestRecord({ userId: 'mig_b', createdAt: new Date(NOW - 2000) }),
    makeTestRecord({
      userId: 'mig_b',
      createdAt: new Date(NOW - 1000),
      lastUsedAt: new Date(NOW - 500),
    }),
  ]
  const revoked = makeTestRecord({
    userId: 'mig_a',
    createdAt: new Date(NOW - 6000),
    revokedAt: new Date(NOW - 100),
  })
  return { live, revoked }
}

// Every live key verifies through the service, the revoked one is refused, and the 0.2
// operations work on the migrated records.
async function checkAfterMigration(store: KeyStore, data: Fixture): Promise<void> {
  const auth = createApiKeyAuth({ store, cache: false, logger: false })
  for (const { record, key } of data.live) {
    const principal = await auth.verifyKey(key)
    expect(principal.keyId).toBe(record.id)
    expect(principal.userId).toBe(record.userId)
  }
  await expect(auth.verifyKey(data.revoked.key)).rejects.toMatchObject({ code: 'KEY_REVOKED' })
  const found = await store.findByHash(data.live[0]?.record.hash ?? '')
  expect(found).toMatchObject({ ownerType: 'user', metadata: {}, disabledAt: null })
  const page = await store.listPage?.('mig_a', {
    limit: 10,
    after: null,
    status: 'active',
    keyPrefix: 'vydra_live_',
    at: new Date(NOW),
  })
  expect(page?.map((r) => r.id)).toEqual(data.live.slice(0, 3).map((l) => l.record.id))
  const target = data.live[3]?.record as ApiKeyRecord
  const disabled = await store.setDisabled?.(target.id, target.userId, new Date(NOW))
  expect(disabled?.disabledAt?.getTime()).toBe(NOW)
  expect((await store.findByHash(target.hash))?.disabledAt?.getTime()).toBe(NOW)
  await expect(auth.verifyKey(data.live[3]?.key)).rejects.toMatchObject({ code: 'KEY_DISABLED' })
  await store.setDisabled?.(target.id, target.userId, null)
  expect((await store.findByHash(target.hash))?.disabledAt).toBeNull()
  expect((await auth.verifyKey(data.live[3]?.key)).keyId).toBe(target.id)
  await auth.close?.()
}

describe('SqliteKeyStore: migrating a 0.1 database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vydra-mig-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  // The 0.1 SqliteKeyStore's table, indexes and insert, verbatim.
  const create01 = (db: Database.Database, table: string, data: Fixture): void => {
    const t = `"${table}"`
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
    const insert = db.prepare(
      `INSERT INTO ${t} (id, user_id, name, key_prefix, scopes, hash, created_at, expires_at, last_used_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    for (const { record: r } of [...data.live, data.revoked]) {
      insert.run(
        r.id,
        r.userId,
        r.name,
        r.keyPrefix,
        JSON.stringify(r.scopes),
        r.hash,
        r.createdAt.getTime(),
        r.expiresAt?.getTime() ?? null,
        r.lastUsedAt?.getTime() ?? null,
        r.revokedAt?.getTime() ?? null,
      )
    }
  }

  const columns = (db: Database.Database, table: string): string[] =>
    (db.prepare(`PRAGMA table_info("${table}")`).all() as { name: string }[]).map((c) => c.name)

  it('migrates in place on open; every key still verifies; migrate() again is a no-op', async () => {
    const file = join(dir, `${uniqueName('m')}.db`)
    const data = fixture()
    const raw = new Database(file)
    create01(raw, 'vydra_api_keys', data)
    raw.close()
    const store = new SqliteKeyStore(file)
    try {
      expect(columns(store.database, 'vydra_api_keys')).toContain('disabled_at')
      const version = store.database
        .prepare('SELECT version FROM vydra_schema_versions WHERE table_name = ?')
        .get('vydra_api_keys')
      expect(version).toEqual({ version: 3 })
      expect(columns(store.database, 'vydra_api_keys_audit')).toContain('client_address')
      store.migrate()
      await checkAfterMigration(store, data)
    } finally {
      store.close()
    }
  })

  it('a 0.2-pre database (schema version 2) gains the audit table in place', async () => {
    const file = join(dir, `${uniqueName('v2')}.db`)
    const data = fixture()
    const raw = new Database(file)
    create01(raw, 'vydra_api_keys', data)
    raw.close()
    // Version 2 as the 0.2 pre-releases left it: no audit table.
    new SqliteKeyStore(file).close()
    const v2 = new Database(file)
    v2.exec(`DROP TABLE vydra_api_keys_audit;
      UPDATE vydra_schema_versions SET version = 2 WHERE table_name = 'vydra_api_keys'`)
    v2.close()
    const store = new SqliteKeyStore(file)
    try {
      expect(
        store.database
          .prepare('SELECT version FROM vydra_schema_versions WHERE table_name = ?')
          .get('vydra_api_keys'),
      ).toEqual({ version: 3 })
      await checkAfterMigration(store, data)
      const auth = createApiKeyAuth({ store, auditStore: store, logger: false })
      const { id, key } = await auth.createKey({ userId: 'mig_a', name: 'after' })
      registerKey(key)
      expect((await auth.listEvents({ userId: 'mig_a', keyId: id })).events).toHaveLength(1)
    } finally {
      store.close()
    }
  })

  it('a migration that throws half-way changes nothing, and the next run completes it', async () => {
    const file = join(dir, `${uniqueName('half')}.db`)
    const data = fixture()
    const db = new Database(file)
    create01(db, 'keys', data)
    // Fails at the step after the columns were added (the page index).
    const failing = new Proxy(db, {
      get(target, property) {
        if (property === 'exec') {
          return (sql: string) => {
            if (sql.includes('user_page_idx')) throw new Error('killed mid-migration')
            return target.exec(sql)
          }
        }
        const value: unknown = Reflect.get(target, property, target)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    expect(() => new SqliteKeyStore(failing, { table: 'keys' })).toThrow('killed mid-migration')
    // All or nothing: still the 0.1 schema, no version recorded.
    expect(columns(db, 'keys')).not.toContain('disabled_at')
    expect(
      db.prepare("SELECT name FROM sqlite_master WHERE name = 'vydra_schema_versions'").get(),
    ).toBeUndefined()
    // A schema half-changed outside a transaction (by hand, or a tool) is completed too.
    db.exec(
      'ALTER TABLE "keys" ADD COLUMN owner_type TEXT; ALTER TABLE "keys" ADD COLUMN extra TEXT',
    )
    const store = new SqliteKeyStore(db, { table: 'keys' })
    expect(columns(db, 'keys')).toEqual(
      expect.arrayContaining(['disabled_at', 'first_use_grace_ms']),
    )
    await checkAfterMigration(store, data)
    db.close()
  })
})

const pgInfo = sharedPostgres()

describe.skipIf(pgInfo === null)('PostgresKeyStore: migrating a 0.1 table', () => {
  const pool = pgInfo === null ? undefined : makePool(pgInfo)
  const db = (): pg.Pool => pool as pg.Pool
  afterAll(() => pool?.end())

  // The 0.1 PostgresKeyStore's migrate() and insert, verbatim.
  const create01 = async (table: string, data: Fixture): Promise<void> => {
    const t = `"${table}"`
    const index = (suffix: string): string => `"${table}_${suffix}"`
    await db().query(`CREATE TABLE IF NOT EXISTS ${t} (
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
    await db().query(`CREATE UNIQUE INDEX IF NOT EXISTS ${index('hash_key')} ON ${t} (hash)`)
    await db().query(`CREATE INDEX IF NOT EXISTS ${index('user_id_idx')} ON ${t} (user_id)`)
    await db().query(
      `CREATE INDEX IF NOT EXISTS ${index('revoked_at_idx')} ON ${t} (revoked_at)
         WHERE revoked_at IS NOT NULL`,
    )
    for (const { record: r } of [...data.live, data.revoked]) {
      await db().query(
        `INSERT INTO ${t} (id, user_id, name, key_prefix, scopes, hash, created_at, expires_at, last_used_at, revoked_at)
        SELECT $1::uuid, $2::text, $3::text, $4::text, $5::text[], $6::text, $7::timestamptz,
          $8::timestamptz, $9::timestamptz, $10::timestamptz`,
        [
          r.id,
          r.userId,
          r.name,
          r.keyPrefix,
          r.scopes,
          r.hash,
          r.createdAt,
          r.expiresAt,
          r.lastUsedAt ?? null,
          r.revokedAt,
        ],
      )
    }
  }

  const columns = async (table: string): Promise<string[]> =>
    (
      await db().query<{ column_name: string }>(
        'SELECT column_name FROM information_schema.columns WHERE table_name = $1',
        [table],
      )
    ).rows.map((r) => r.column_name)

  const version = async (table: string): Promise<number | undefined> =>
    (
      await db().query<{ version: number }>(
        'SELECT version FROM vydra_schema_versions WHERE table_name = $1',
        [table],
      )
    ).rows[0]?.version

  it('migrate() upgrades in place; every key still verifies; running it again is a no-op', async () => {
    const table = uniqueName('mig01')
    const data = fixture()
    await create01(table, data)
    const store = new PostgresKeyStore(db(), { table, logger: false })
    try {
      await store.migrate()
      expect(await columns(table)).toEqual(expect.arrayContaining(['disabled_at', 'changed_at']))
      expect(await version(table)).toBe(3)
      expect(await columns(`${table}_audit`)).toContain('client_address')
      await Promise.all([store.migrate(), store.migrate()])
      await checkAfterMigration(store, data)
    } finally {
      await store.close()
      await db().query(`DROP TABLE "${table}", "${table}_audit"`)
    }
  })

  it('a 0.2-pre table (schema version 2) gains the audit table in place', async () => {
    const table = uniqueName('v2')
    const data = fixture()
    await create01(table, data)
    await new PostgresKeyStore(db(), { table, logger: false }).migrate()
    await db().query(`DROP TABLE "${table}_audit"`)
    await db().query('UPDATE vydra_schema_versions SET version = 2 WHERE table_name = $1', [table])
    const store = new PostgresKeyStore(db(), { table, logger: false })
    try {
      await Promise.all([store.migrate(), store.migrate()])
      expect(await version(table)).toBe(3)
      await checkAfterMigration(store, data)
      const auth = createApiKeyAuth({ store, auditStore: store, logger: false })
      const { id, key } = await auth.createKey({ userId: 'mig_a', name: 'after' })
      registerKey(key)
      expect((await auth.listEvents({ userId: 'mig_a', keyId: id })).events).toHaveLength(1)
    } finally {
      await store.close()
      await db().query(`DROP TABLE "${table}", "${table}_audit"`)
    }
  })

  it('a migration killed half-way changes nothing, and the next run completes it', async () => {
    const table = uniqueName('half01')
    const data = fixture()
    await create01(table, data)
    // A pool whose connections fail at the step after the columns were added (the page index).
    const failing = new Proxy(db(), {
      get(target, property) {
        if (property === 'connect') {
          return async () => {
            const client = await target.connect()
            const query = client.query.bind(client) as (...args: unknown[]) => unknown
            return new Proxy(client, {
              get(c, p) {
                if (p === 'query') {
                  return (...args: unknown[]) => {
                    if (typeof args[0] === 'string' && args[0].includes('user_page_idx')) {
                      return Promise.reject(new Error('killed mid-migration'))
                    }
                    return query(...args)
                  }
                }
                const value: unknown = Reflect.get(c, p, c)
                return typeof value === 'function' ? value.bind(c) : value
              },
            })
          }
        }
        const value: unknown = Reflect.get(target, property, target)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    const broken = new PostgresKeyStore(failing, { table, logger: false })
    await expect(broken.migrate()).rejects.toThrow('killed mid-migration')
    expect(await columns(table)).not.toContain('disabled_at')
    expect(await version(table)).toBeUndefined()
    // Half the columns added by hand: the next run completes the rest.
    await db().query(`ALTER TABLE "${table}" ADD COLUMN owner_type text, ADD COLUMN extra json`)
    const store = new PostgresKeyStore(db(), { table, logger: false })
    try {
      await store.migrate()
      expect(await version(table)).toBe(3)
      expect(await columns(`${table}_audit`)).toContain('client_address')
      await checkAfterMigration(store, data)
    } finally {
      await store.close()
      await db().query(`DROP TABLE "${table}", "${table}_audit"`)
    }
  })
})

const redisInfo = sharedRedis()

describe.skipIf(redisInfo === null)('RedisKeyStore: records written by 0.1', () => {
  const client = redisInfo === null ? undefined : makeRedis(redisInfo)
  afterAll(() => client?.quit())

  it('reads, lists, pages, verifies and changes records in the 0.1 layout', async () => {
    const redis = client as NonNullable<typeof client>
    const namespace = `${uniqueName('r01')}:`
    const data = fixture()
    const ms = (d: Date | null | undefined): string => (d == null ? '' : String(d.getTime()))
    // The 0.1 insert script's writes: the record hash (0.1 fields only), id → hash, user set.
    for (const { record: r } of [...data.live, data.revoked]) {
      await redis.hset(`${namespace}key:${r.hash}`, {
        id: r.id,
        userId: r.userId,
        name: r.name,
        keyPrefix: r.keyPrefix,
        scopes: JSON.stringify(r.scopes),
        createdAt: ms(r.createdAt),
        expiresAt: ms(r.expiresAt),
        lastUsedAt: ms(r.lastUsedAt),
        revokedAt: ms(r.revokedAt),
      })
      await redis.set(`${namespace}id:${r.id}`, r.hash)
      await redis.sadd(`${namespace}user:${r.userId}`, r.id)
    }
    const store = new RedisKeyStore(redis, { namespace, logger: false })
    try {
      expect((await store.listByUser('mig_a')).map((r) => r.id).sort()).toEqual(
        [data.revoked, ...data.live.slice(0, 3)].map((l) => l.record.id).sort(),
      )
      await checkAfterMigration(store, data)
      // A key written by 0.1 rolls like any other; both records keep the 0.1 fields.
      const old = data.live[0]?.record as ApiKeyRecord
      const fresh = makeTestRecord({ userId: 'mig_a' }).record
      const rolled = await store.roll({
        keyId: old.id,
        userId: 'mig_a',
        next: { ...fresh, createdBy: null },
        at: new Date(NOW),
        graceMs: 60_000,
        graceStarts: 'now',
      })
      expect(rolled).toMatchObject({ ok: true, next: { rolledFrom: old.id, scopes: old.scopes } })
    } finally {
      await store.close()
      const keys = await redis.keys(`${namespace}*`)
      if (keys.length > 0) await redis.del(...keys)
    }
  })
})
