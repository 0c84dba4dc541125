/**
 * The audit log on SQLite: the AuditStore kit, the service cases with the key store as its own
 * audit store, and atomicity: an audit insert that fails (a trigger aborts it) takes the key
 * change with it, for every management method; on success both exist.
 */
import { spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { SqliteKeyStore } from '../../adapters/stores/sqlite/index.js'
import { createApiKeyAuth, type ApiKeyAuth } from '../../src/index.js'
import { auditStoreConformance } from '../../src/testing/index.js'
import { auditServiceCases } from '../support/audit-service-cases.js'
import { createLogSink } from '../support/log-sink.js'
import { registerKey } from '../support/secret-scan.js'

const dir = mkdtempSync(join(tmpdir(), 'vydra-audit-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

auditStoreConformance(
  'SqliteKeyStore (file)',
  () => new SqliteKeyStore(join(dir, `${randomUUID()}.db`)),
  {
    cleanup: (store) => store.close(),
  },
)

auditServiceCases('SqliteKeyStore as its own audit store', () => {
  const store = new SqliteKeyStore(join(dir, `${randomUUID()}.db`))
  return { store, auditStore: store, close: () => store.close() }
})

const code = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => 'ok',
    (error: { code?: string }) => error.code,
  )

describe('SqliteKeyStore audit atomicity', () => {
  function setup(): {
    db: Database.Database
    store: SqliteKeyStore
    auth: ApiKeyAuth
    sink: ReturnType<typeof createLogSink>
    fail: (on: boolean) => void
    audited: () => number
  } {
    const db = new Database(join(dir, `${randomUUID()}.db`))
    const store = new SqliteKeyStore(db)
    const sink = createLogSink()
    const auth = createApiKeyAuth({ store, auditStore: store, logger: sink.logger })
    return {
      db,
      store,
      auth,
      sink,
      // A trigger that aborts every audit insert: the failure lands between change and record.
      fail: (on) =>
        db.exec(
          on
            ? `CREATE TRIGGER audit_fails BEFORE INSERT ON vydra_api_keys_audit
               BEGIN SELECT RAISE(ABORT, 'audit disk full'); END`
            : 'DROP TRIGGER audit_fails',
        ),
      audited: () =>
        (db.prepare('SELECT count(*) AS n FROM vydra_api_keys_audit').get() as { n: number }).n,
    }
  }

  it('create, revoke, roll, disable, enable and update: neither without the other', async () => {
    const { db, auth, fail, audited } = setup()
    const keys = () =>
      (db.prepare('SELECT count(*) AS n FROM vydra_api_keys').get() as { n: number }).n

    fail(true)
    expect(await code(auth.createKey({ userId: 'u1', name: 'k' }))).toBe('AUTH_UNAVAILABLE')
    expect([keys(), audited()]).toEqual([0, 0])
    fail(false)
    const created = await auth.createKey({ userId: 'u1', name: 'k', scopes: ['a:read', 'b:read'] })
    registerKey(created.key)
    expect([keys(), audited()]).toEqual([1, 1])
    const ref = { userId: 'u1', keyId: created.id }
    const row = () =>
      db
        .prepare(
          'SELECT name, scopes, disabled_at, revoked_at, replaced_by FROM vydra_api_keys WHERE id = ?',
        )
        .get(created.id)

    fail(true)
    const before = row()
    expect(await code(auth.updateKey({ ...ref, name: 'renamed', scopes: ['a:read'] }))).toBe(
      'AUTH_UNAVAILABLE',
    )
    expect(await code(auth.disableKey(ref))).toBe('AUTH_UNAVAILABLE')
    expect(await code(auth.rollKey(ref))).toBe('AUTH_UNAVAILABLE')
    expect(await code(auth.revokeKey(ref))).toBe('AUTH_UNAVAILABLE')
    expect(row()).toEqual(before)
    expect([keys(), audited()]).toEqual([1, 1])

    fail(false)
    await auth.updateKey({ ...ref, name: 'renamed' })
    await auth.disableKey(ref)
    fail(true)
    expect(await code(auth.enableKey(ref))).toBe('AUTH_UNAVAILABLE')
    expect(row()).toMatchObject({ disabled_at: expect.any(Number) })
    fail(false)
    await auth.enableKey(ref)
    const rolled = await auth.rollKey(ref)
    registerKey(rolled.key)
    await auth.revokeKey({ userId: 'u1', keyId: rolled.id })
    // created, updated, disabled, enabled, rolled + created (the new key), revoked
    expect([keys(), audited()]).toEqual([2, 7])
    const actions = db
      .prepare('SELECT action FROM vydra_api_keys_audit ORDER BY id')
      .all()
      .map((r) => (r as { action: string }).action)
    expect(actions).toEqual([
      'created',
      'updated',
      'disabled',
      'enabled',
      'rolled',
      'created',
      'revoked',
    ])
  })

  it('revokeByKey: a failed audit insert leaves the key working', async () => {
    const { auth, fail, audited } = setup()
    const created = await auth.createKey({ userId: 'u1', name: 'k' })
    registerKey(created.key)
    fail(true)
    expect(await code(auth.revokeByKey(created.key))).toBe('AUTH_UNAVAILABLE')
    fail(false)
    expect((await auth.verifyKey(created.key)).keyId).toBe(created.id)
    expect(audited()).toBe(1)
    expect((await auth.revokeByKey(created.key)).status).toBe('revoked')
    expect(audited()).toBe(2)
  })

  it.each(['create', 'revoke', 'disable', 'update', 'roll'])(
    'a process killed between the %s and its audit insert leaves neither',
    async (operation) => {
      const file = join(dir, `${randomUUID()}.db`)
      const store = new SqliteKeyStore(file)
      const auth = createApiKeyAuth({ store, auditStore: store, logger: false })
      const { id, key } = await auth.createKey({ userId: 'u1', name: 'k', scopes: ['a:read'] })
      registerKey(key)
      const snapshot = (): unknown => [
        store.database.prepare('SELECT * FROM vydra_api_keys ORDER BY id').all(),
        store.database.prepare('SELECT * FROM vydra_api_keys_audit ORDER BY id').all(),
      ]
      const before = snapshot()
      store.close()
      const child = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          join(import.meta.dirname, '..', 'fixtures', 'audit-kill.ts'),
          file,
          operation,
          id,
        ],
        { encoding: 'utf8', timeout: 30_000 },
      )
      expect({ signal: child.signal, stderr: child.stderr }).toEqual({
        signal: 'SIGKILL',
        stderr: '',
      })
      const reopened = new SqliteKeyStore(file)
      try {
        const db = reopened.database
        expect([
          db.prepare('SELECT * FROM vydra_api_keys ORDER BY id').all(),
          db.prepare('SELECT * FROM vydra_api_keys_audit ORDER BY id').all(),
        ]).toEqual(before)
      } finally {
        reopened.close()
      }
    },
  )
})
