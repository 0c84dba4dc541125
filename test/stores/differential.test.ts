/**
 * Differential: random sequences of store operations give the same answers on every store as
 * on `MemoryKeyStore`, the reference.
 */
import { randomUUID } from 'node:crypto'
import Database from 'better-sqlite3'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { PostgresKeyStore } from '../../adapters/stores/postgres/index.js'
import { RedisKeyStore } from '../../adapters/stores/redis/index.js'
import { SqliteKeyStore } from '../../adapters/stores/sqlite/index.js'
import {
  type ApiKeyRecord,
  type KeyStore,
  LIFECYCLE_DEFAULTS,
  MemoryKeyStore,
} from '../../src/index.js'
import { makeTestRecord } from '../../src/testing/index.js'
import {
  makePool,
  makeRedis,
  serverRuns,
  sharedPostgres,
  sharedRedis,
  uniqueName,
} from './helpers.js'

type Op =
  | { kind: 'insert'; user: number; expires: boolean }
  | { kind: 'insertDuplicate'; of: number; field: 'hash' | 'id' }
  | { kind: 'revoke'; of: number; asOwner: boolean; at: number }
  | { kind: 'revokeUnknown' }
  | { kind: 'touch'; of: number; at: number }
  | { kind: 'find'; of: number }
  | { kind: 'list'; user: number }

// Few distinct instants, so repeated and backward-moving times are common.
const at = fc.integer({ min: 0, max: 4 }).map((n) => n * 60_000)
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('insert' as const),
    user: fc.integer({ min: 0, max: 2 }),
    expires: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('insertDuplicate' as const),
    of: fc.nat(),
    field: fc.constantFrom('hash' as const, 'id' as const),
  }),
  fc.record({ kind: fc.constant('revoke' as const), of: fc.nat(), asOwner: fc.boolean(), at }),
  fc.record({ kind: fc.constant('revokeUnknown' as const) }),
  fc.record({ kind: fc.constant('touch' as const), of: fc.nat(), at }),
  fc.record({ kind: fc.constant('find' as const), of: fc.nat() }),
  fc.record({ kind: fc.constant('list' as const), user: fc.integer({ min: 0, max: 2 }) }),
)

const BASE = Date.UTC(2026, 0, 1)

function view(record: ApiKeyRecord | null): unknown {
  if (record === null) return null
  const t = (d: Date | null | undefined): number | null => (d == null ? null : d.getTime())
  // A 0.2 field a store leaves out reads as its default (the port's contract), so the stores
  // that fill them in (SQL columns, Redis fields) and MemoryKeyStore (which keeps what it got)
  // compare equal.
  return {
    ...LIFECYCLE_DEFAULTS,
    ...record,
    scopes: [...record.scopes],
    createdAt: t(record.createdAt),
    expiresAt: t(record.expiresAt),
    lastUsedAt: t(record.lastUsedAt),
    revokedAt: t(record.revokedAt),
    revokedReason: record.revokedReason ?? null,
    disabledAt: t(record.disabledAt),
    graceEndsAt: t(record.graceEndsAt),
  }
}

// Runs `ops` on `store` and collects every answer. Ids, digests and dates derive from the
// position in `ops`, so every store receives the same records.
async function play(store: KeyStore, ops: Op[], users: string[]): Promise<unknown[]> {
  const inserted: ApiKeyRecord[] = []
  const out: unknown[] = []
  const pick = (of: number): ApiKeyRecord | undefined => inserted[of % inserted.length]
  let n = 0
  for (const o of ops) {
    switch (o.kind) {
      case 'insert': {
        const { record } = makeTestRecord({
          userId: users[o.user] as string,
          name: `k${n}`,
          createdAt: new Date(BASE + n++ * 1000),
          expiresAt: o.expires ? new Date(BASE + 86_400_000) : null,
        })
        // Same id and hash on every store: derived from the op position.
        record.id = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`
        record.hash = `${n}`.padStart(64, '0')
        record.keyPrefix = `vydra_live_user_k${n}...`
        await store.insert(record)
        inserted.push(record)
        out.push('inserted')
        break
      }
      case 'insertDuplicate': {
        const original = pick(o.of)
        if (original === undefined) break
        const { record } = makeTestRecord({ userId: original.userId })
        record.id = o.field === 'id' ? original.id : randomUUID()
        record.hash = o.field === 'hash' ? original.hash : `dup${n++}`.padStart(64, 'f')
        out.push(
          await store.insert(record).then(
            () => 'accepted',
            () => 'rejected',
          ),
        )
        break
      }
      case 'revoke': {
        const target = pick(o.of)
        if (target === undefined) break
        const user = o.asOwner ? target.userId : 'someone_else'
        out.push(view(await store.revoke(target.id, user, new Date(BASE + o.at))))
        break
      }
      case 'revokeUnknown':
        out.push(view(await store.revoke(randomUUID(), users[0] as string, new Date(BASE))))
        break
      case 'touch': {
        const target = pick(o.of)
        if (target === undefined) break
        await store.touch?.(target.id, new Date(BASE + o.at))
        out.push(view(await store.findByHash(target.hash)))
        break
      }
      case 'find': {
        const target = pick(o.of)
        out.push(view(await store.findByHash(target?.hash ?? 'f'.repeat(64))))
        break
      }
      case 'list': {
        const listed = await store.listByUser(users[o.user] as string)
        out.push(
          listed.map(view).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
        )
        break
      }
    }
  }
  return out
}

interface Candidate {
  name: string
  open: () => Promise<{ store: KeyStore; close: () => Promise<void> }>
  /** `false`: the server is missing here, the case shows as skipped. */
  runs?: boolean
}

const candidates: Candidate[] = [
  {
    name: 'sqlite',
    open: async () => {
      const store = new SqliteKeyStore(new Database(':memory:'))
      return {
        store,
        close: async () => {
          store.database.close()
        },
      }
    },
  },
]
const postgres = sharedPostgres()
if (postgres !== null) {
  const pool = makePool(postgres)
  afterAll(() => pool.end())
  candidates.push({
    name: 'postgres',
    open: async () => {
      const table = uniqueName('diff')
      const store = new PostgresKeyStore(pool, { table, logger: false })
      await store.migrate()
      return {
        store,
        close: async () => {
          await store.close()
          await pool.query(`DROP TABLE "${table}"`)
        },
      }
    },
  })
}
const redis = sharedRedis()
if (redis !== null) {
  const client = makeRedis(redis)
  afterAll(() => client.quit())
  candidates.push({
    name: 'redis',
    open: async () => {
      const store = new RedisKeyStore(client, { namespace: `${uniqueName('diff')}:` })
      return { store, close: async () => store.close() }
    },
  })
}

// A backend whose server is missing stays in the table, its case skipped.
for (const name of ['postgres', 'redis']) {
  const info = name === 'postgres' ? postgres : redis
  if (!serverRuns(name, info)) {
    candidates.push({
      name,
      open: () => Promise.reject(new Error(`${name} is not running`)),
      runs: false,
    })
  }
}

describe.each(candidates)('$name agrees with MemoryKeyStore', ({ open, runs }) => {
  it.skipIf(runs === false)('on random operation sequences', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), async (ops) => {
        const users = [uniqueName('u'), uniqueName('u'), uniqueName('u')]
        const expected = await play(new MemoryKeyStore(), ops, users)
        const { store, close } = await open()
        try {
          expect(await play(store, ops, users)).toEqual(expected)
        } finally {
          await close()
        }
      }),
      { numRuns: 40 },
    )
  })
})
