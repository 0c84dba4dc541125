import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { SqliteKeyStore } from '../../adapters/stores/sqlite/index.js'
import { makeTestRecord, keyStoreConformance } from '../../src/testing/index.js'
import { uniqueName } from './helpers.js'

const ALL = {
  touch: true,
  onRevoke: true,
  onInvalidate: true,
  roll: true,
  startRollGrace: true,
  setDisabled: true,
  update: true,
  listPage: true,
  insertCapped: true,
  revokeReason: true,
  lifecycleFields: true,
}

const dir = mkdtempSync(join(tmpdir(), 'vydra-sqlite-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

keyStoreConformance(
  'SqliteKeyStore (file)',
  () => new SqliteKeyStore(join(dir, `${uniqueName('conf')}.db`)),
  {
    capabilities: { ...ALL, pepperRotation: true },
    dump: (store) => store.database.prepare('SELECT * FROM vydra_api_keys').all(),
    cleanup: (store) => store.close(),
    // Each insert here is its own fsynced commit (synchronous = FULL): 10,000 of them outlast a
    // test's time on a shared machine. The :memory: run below walks the full 10,000 through the
    // same statements.
    largeListSize: 2_000,
  },
)

keyStoreConformance(
  'SqliteKeyStore (:memory: Database)',
  () => new SqliteKeyStore(new Database(':memory:')),
  {
    capabilities: { ...ALL, pepperRotation: true },
    dump: (store) => store.database.prepare('SELECT * FROM vydra_api_keys').all(),
    cleanup: (store) => {
      store.database.close()
    },
  },
)

describe('SqliteKeyStore', () => {
  it('opens the file in WAL mode and keeps records across reopening', async () => {
    const file = join(dir, `${uniqueName('wal')}.db`)
    const first = new SqliteKeyStore(file)
    expect(first.database.pragma('journal_mode', { simple: true })).toBe('wal')
    const { record } = makeTestRecord()
    await first.insert(record)
    first.close()
    const second = new SqliteKeyStore(file)
    expect((await second.findByHash(record.hash))?.id).toBe(record.id)
    second.close()
  })

  it('stores of one process on the same file hear each other’s revocations', async () => {
    const file = join(dir, `${uniqueName('shared')}.db`)
    const a = new SqliteKeyStore(file)
    const b = new SqliteKeyStore(file)
    const heard: string[] = []
    const unsubscribe = b.onRevoke((hash) => heard.push(hash))
    const { record } = makeTestRecord()
    await a.insert(record)
    await a.revoke(record.id, record.userId, new Date())
    expect(heard).toEqual([record.hash])
    unsubscribe()
    a.close()
    b.close()
  })

  it("mmapSize sets the connection's memory mapping; unset leaves it as it was", () => {
    const file = join(dir, `${uniqueName('mmap')}.db`)
    const mapped = new SqliteKeyStore(file, { mmapSize: 256 * 1024 * 1024 })
    expect(mapped.database.pragma('mmap_size', { simple: true })).toBe(256 * 1024 * 1024)
    const db = new Database(file)
    db.pragma('mmap_size = 4096')
    const given = new SqliteKeyStore(db)
    expect(db.pragma('mmap_size', { simple: true })).toBe(4096)
    for (const bad of [-1, 1.5, 2 ** 31, Number.NaN, '1' as unknown as number]) {
      expect(() => new SqliteKeyStore(file, { mmapSize: bad })).toThrow(
        expect.objectContaining({ code: 'CONFIGURATION_ERROR' }) as Error,
      )
    }
    given.close()
    db.close()
    mapped.close()
  })

  it('cacheSize: 128 MiB on a connection the store opens; a Database you pass keeps its own unless set', () => {
    const opened = new SqliteKeyStore(join(dir, `${uniqueName('cache')}.db`))
    expect(opened.database.pragma('cache_size', { simple: true })).toBe(-131_072)
    const small = new SqliteKeyStore(join(dir, `${uniqueName('cache')}.db`), {
      cacheSize: 8 * 1024 * 1024,
    })
    expect(small.database.pragma('cache_size', { simple: true })).toBe(-8192)
    const file = join(dir, `${uniqueName('cache')}.db`)
    const db = new Database(file)
    db.pragma('cache_size = -2000')
    const given = new SqliteKeyStore(db)
    expect(db.pragma('cache_size', { simple: true })).toBe(-2000)
    // Rounded up to whole KiB.
    const set = new SqliteKeyStore(db, { cacheSize: 1000 })
    expect(db.pragma('cache_size', { simple: true })).toBe(-1)
    for (const bad of [-1, 1.5, 2 ** 31, Number.NaN, '1' as unknown as number]) {
      expect(() => new SqliteKeyStore(file, { cacheSize: bad })).toThrow(
        expect.objectContaining({ code: 'CONFIGURATION_ERROR' }) as Error,
      )
    }
    set.close()
    given.close()
    db.close()
    small.close()
    opened.close()
  })

  it('rejects a table name that is not a plain identifier', () => {
    for (const table of ['keys; DROP TABLE x', 'Keys', '1keys', '"keys"', '', 'a'.repeat(49)]) {
      expect(() => new SqliteKeyStore(new Database(':memory:'), { table })).toThrow(
        expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
      )
    }
  })

  it('a closed database makes every call fail (the core answers 503), never a wrong answer', async () => {
    const store = new SqliteKeyStore(join(dir, `${uniqueName('closed')}.db`))
    store.close()
    const { record } = makeTestRecord()
    await expect(store.findByHash(record.hash)).rejects.toBeInstanceOf(Error)
    await expect(store.insert(record)).rejects.toBeInstanceOf(Error)
  })
})
