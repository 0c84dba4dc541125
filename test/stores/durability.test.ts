/**
 * Durability of an answered write (issue 9, finding 5): a revocation that was answered must
 * survive a crash of the store's server. Real servers of this file's own, killed with SIGKILL
 * (no shutdown, no final save) and restarted on the same data.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { Redis } from 'ioredis'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PostgresKeyStore } from '../../adapters/stores/postgres/index.js'
import { RedisKeyStore, type RedisKeyStoreOptions } from '../../adapters/stores/redis/index.js'
import { SqliteKeyStore } from '../../adapters/stores/sqlite/index.js'
import { createApiKeyAuth, isAuthError } from '../../src/index.js'
import { createLogSink } from '../support/log-sink.js'
import {
  findBinaries,
  type ManagedServer,
  type PostgresInfo,
  type RedisInfo,
  startPostgres,
  startRedis,
} from '../support/servers.js'
import { makePool, makeRedis, uniqueName } from './helpers.js'

const binaries = findBinaries()
const hasRedis = binaries.redis !== undefined
const hasPostgres = binaries.postgres !== undefined && binaries.initdb !== undefined

const outcome = (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => 'OK',
    (error: unknown) => (isAuthError(error) ? error.code : `not an AuthError: ${String(error)}`),
  )

/** Polls `check` (no fixed sleep as proof): resolves once it holds, fails after 15 s. */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe.skipIf(!hasRedis)('RedisKeyStore durability', () => {
  const servers: ManagedServer<RedisInfo>[] = []
  const clients: Redis[] = []
  const start = async (
    config: Parameters<typeof startRedis>[0] = {},
  ): Promise<ManagedServer<RedisInfo>> => {
    const server = await startRedis({ binaries, ...config })
    servers.push(server)
    return server
  }
  const connect = (server: ManagedServer<RedisInfo>): Redis => {
    const client = makeRedis(server.info, { maxRetriesPerRequest: 1 })
    clients.push(client)
    return client
  }
  // Each service subscribes to revocations on a connection of the store's: closed at the end.
  const stores: RedisKeyStore[] = []
  const track = (store: RedisKeyStore): RedisKeyStore => {
    stores.push(store)
    return store
  }
  const open = (client: Redis, options: RedisKeyStoreOptions = {}): RedisKeyStore =>
    track(new RedisKeyStore(client, { namespace: `${uniqueName('dur')}:`, ...options }))
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()))
    for (const client of clients) client.disconnect()
    await Promise.all(servers.map((server) => server.close()))
  })

  // The finding's set-up: RDB snapshots only (`save`, no AOF).
  let snapshotOnly: ManagedServer<RedisInfo>
  beforeAll(async () => {
    snapshotOnly = await start({ config: { save: ['3600', '1'], appendonly: 'no' } })
  })

  it('snapshot-only persistence: refused at start-up and on every call, saying what to change', async () => {
    const store = open(connect(snapshotOnly))
    const refusal = await store.ready().then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(refusal).toMatchObject({ code: 'CONFIGURATION_ERROR' })
    expect(String((refusal as Error).message)).toMatch(/appendonly yes/)
    expect(String((refusal as Error).message)).toMatch(/accept-risk/)
    // Without ready(), the service fails closed: 503 for key management and verification alike.
    const log = createLogSink()
    const auth = createApiKeyAuth({ store, logger: log.logger, cache: false })
    expect(await outcome(auth.createKey({ userId: 'u1', name: 'k' }))).toBe('AUTH_UNAVAILABLE')
    expect(await outcome(auth.listKeys('u1'))).toBe('AUTH_UNAVAILABLE')
    expect(log.text()).toMatch(/appendonly/)
  })

  it("durability: 'accept-risk' works on snapshot-only persistence and warns once", async () => {
    const log = createLogSink()
    const client = connect(snapshotOnly)
    const store = open(client, { durability: 'accept-risk', logger: log.logger })
    await store.ready()
    const auth = createApiKeyAuth({ store, logger: false, cache: false })
    const created = await auth.createKey({ userId: 'u1', name: 'k' })
    await auth.verifyKey(created.key)
    await auth.listKeys('u1')
    const warnings = log.lines.filter((line) => /appendonly/.test(line.message))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]?.level).toBe('warn')
  })

  it("what 'accept-risk' accepts: a snapshot-only Redis killed after a revoke forgets it", async () => {
    // The finding reproduced, deterministically: the snapshot is taken by hand (SAVE), the
    // configured automatic one cannot run within the test (an hour, one change).
    const server = await start({ config: { save: ['3600', '1'], appendonly: 'no' } })
    const client = connect(server)
    const namespace = `${uniqueName('risk')}:`
    const store = track(
      new RedisKeyStore(client, { namespace, durability: 'accept-risk', logger: false }),
    )
    const auth = createApiKeyAuth({ store, logger: false, cache: false })
    const created = await auth.createKey({ userId: 'u1', name: 'k' })
    await client.save()
    await auth.revokeKey({ userId: 'u1', keyId: created.id })
    expect(await outcome(auth.verifyKey(created.key))).toBe('KEY_REVOKED')
    await server.kill()
    await server.restart()
    const after = track(
      new RedisKeyStore(connect(server), { namespace, durability: 'accept-risk', logger: false }),
    )
    const again = createApiKeyAuth({ store: after, logger: false, cache: false })
    expect(await outcome(again.verifyKey(created.key))).toBe('OK')
  })

  it('AOF with appendfsync everysec: refused (an answered write may not be on disk yet)', async () => {
    const server = await start({ config: { appendonly: 'yes', appendfsync: 'everysec' } })
    const error = await open(connect(server))
      .ready()
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    expect(error).toMatchObject({ code: 'CONFIGURATION_ERROR' })
    expect(String((error as Error).message)).toMatch(/appendfsync always/)
  })

  it('a server whose persistence cannot be read (CONFIG renamed away): refused, or warned with accept-risk', async () => {
    const server = await start({
      persistent: true,
      config: { 'rename-command': ['CONFIG', ''] },
    })
    const client = connect(server)
    const error = await open(client)
      .ready()
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    expect(error).toMatchObject({ code: 'CONFIGURATION_ERROR' })
    expect(String((error as Error).message)).toMatch(/CONFIG GET/)
    const log = createLogSink()
    const store = open(client, { durability: 'accept-risk', logger: log.logger })
    await store.ready()
    const auth = createApiKeyAuth({ store, logger: false, cache: false })
    await auth.createKey({ userId: 'u1', name: 'k' })
    expect(log.lines.map((line) => line.message).join('\n')).toMatch(/appendfsync/)
  })

  describe('AOF with appendfsync always (the required configuration)', () => {
    let server: ManagedServer<RedisInfo>
    beforeAll(async () => {
      server = await start({ persistent: true })
    })

    it('a revocation answered just before SIGKILL is still there after the restart', async () => {
      const namespace = `${uniqueName('kill')}:`
      const log = createLogSink()
      const store = track(new RedisKeyStore(connect(server), { namespace, logger: log.logger }))
      await store.ready()
      const auth = createApiKeyAuth({ store, logger: false, cache: false })
      const created = await auth.createKey({ userId: 'u1', name: 'k' })
      const kept = await auth.createKey({ userId: 'u1', name: 'kept' })
      await auth.revokeKey({ userId: 'u1', keyId: created.id })
      // Right after the answer: no shutdown, no final save.
      await server.kill()
      await server.restart()
      const after = track(new RedisKeyStore(connect(server), { namespace, logger: false }))
      const again = createApiKeyAuth({ store: after, logger: false, cache: false })
      expect(await outcome(again.verifyKey(created.key))).toBe('KEY_REVOKED')
      expect(await outcome(again.verifyKey(kept.key))).toBe('OK')
      expect(log.lines).toEqual([])
    })

    it('re-checks after a reconnection: persistence turned off at run time is refused from then on', async () => {
      const admin = connect(server)
      const client = connect(server)
      const store = open(client)
      const auth = createApiKeyAuth({ store, logger: false, cache: false })
      await auth.createKey({ userId: 'u1', name: 'k' })
      await admin.config('SET', 'appendonly', 'no')
      try {
        client.disconnect(true)
        await until(
          async () => (await outcome(auth.listKeys('u1'))) === 'AUTH_UNAVAILABLE',
          'the refusal after the reconnection',
        )
        await expect(store.ready()).rejects.toMatchObject({ code: 'CONFIGURATION_ERROR' })
      } finally {
        await admin.config('SET', 'appendonly', 'yes')
      }
      await until(
        async () => (await outcome(auth.listKeys('u1'))) === 'OK',
        'acceptance once appendonly is back',
      )
    })
  })
})

describe.skipIf(!hasPostgres)('PostgresKeyStore durability', () => {
  let server: ManagedServer<PostgresInfo>
  const pools: pg.Pool[] = []
  // Each service subscribes to revocations: the store holds a LISTEN connection until closed.
  const stores: PostgresKeyStore[] = []
  const track = (store: PostgresKeyStore): PostgresKeyStore => {
    stores.push(store)
    return store
  }
  beforeAll(async () => {
    // The WAL writer flushes asynchronous commits only every 10 s here, and nothing else
    // (autovacuum) commits in between: an asynchronous commit is then lost by a SIGKILL.
    server = await startPostgres({
      binaries,
      maxConnections: 20,
      settings: { wal_writer_delay: '10000', autovacuum: 'off' },
    })
  })
  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()))
    await Promise.all(pools.map((pool) => pool.end().catch(() => {})))
    await server?.close()
  })
  const pool = (config: pg.PoolConfig = {}): pg.Pool => {
    const p = makePool(server.info, { max: 3, ...config })
    pools.push(p)
    return p
  }

  it('synchronous_commit = off for the session: a revocation answered just before SIGKILL survives', async () => {
    const table = uniqueName('kill')
    // The application's sessions commit asynchronously (e.g. set for the role or database).
    const lazy = pool({ options: '-c synchronous_commit=off' })
    expect((await lazy.query('SHOW synchronous_commit')).rows[0]).toEqual({
      synchronous_commit: 'off',
    })
    const store = track(new PostgresKeyStore(lazy, { table, logger: false }))
    await store.migrate()
    const auth = createApiKeyAuth({ store, logger: false, cache: false })
    const created = await auth.createKey({ userId: 'u1', name: 'k' })
    // The table and the key are on disk for sure; only the revocation is in question.
    await pool().query('CHECKPOINT')
    await auth.revokeKey({ userId: 'u1', keyId: created.id })
    await server.kill()
    await server.restart()
    const after = track(new PostgresKeyStore(pool(), { table, logger: false }))
    const again = createApiKeyAuth({ store: after, logger: false, cache: false })
    expect(await outcome(again.verifyKey(created.key))).toBe('KEY_REVOKED')
  })

  it('warns at start-up when the server runs with fsync = off (the test servers do)', async () => {
    const log = createLogSink()
    const store = new PostgresKeyStore(pool(), { table: uniqueName('fs'), logger: log.logger })
    await store.migrate()
    const lines = log.lines.filter((line) => /fsync/.test(line.message))
    expect(lines).toHaveLength(1)
    expect(lines[0]?.level).toBe('warn')
  })
})

describe('SqliteKeyStore durability', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vydra-sqlite-dur-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const FULL = 2

  it('runs its connection with synchronous = FULL in WAL mode (better-sqlite3 defaults to NORMAL)', () => {
    const store = new SqliteKeyStore(join(dir, 'a.db'))
    expect(store.database.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(store.database.pragma('synchronous', { simple: true })).toBe(FULL)
    store.close()
  })

  it('raises a Database it is given to FULL, and leaves EXTRA alone', () => {
    const normal = new Database(join(dir, 'b.db'))
    normal.pragma('journal_mode = WAL')
    normal.pragma('synchronous = NORMAL')
    new SqliteKeyStore(normal)
    expect(normal.pragma('synchronous', { simple: true })).toBe(FULL)
    normal.close()
    const extra = new Database(join(dir, 'c.db'))
    extra.pragma('synchronous = EXTRA')
    new SqliteKeyStore(extra)
    expect(extra.pragma('synchronous', { simple: true })).toBe(3)
    extra.close()
  })
})
