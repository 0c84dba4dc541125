/**
 * Concurrency on each store, through two instances with their own connections: 100 parallel
 * creations and 1,000 parallel verifications lose nothing, duplicate nothing, reject nothing
 * unhandled.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type OpenMember, postgresMember, redisMember } from '../../bench/fleet-revocation.js'
import { SqliteKeyStore } from '../../adapters/stores/sqlite/index.js'
import {
  type ApiKeyPrincipal,
  createApiKeyAuth,
  isAuthError,
  MemoryKeyStore,
} from '../../src/index.js'
import { createLogSink } from '../support/log-sink.js'
import { serverRuns, sharedPostgres, sharedRedis, uniqueName } from './helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'vydra-concurrency-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const sqliteMember: OpenMember = async (name) => {
  const store = new SqliteKeyStore(join(dir, `${name}.db`))
  return { store, close: async () => store.close() }
}

const postgres = sharedPostgres()
const redis = sharedRedis()
// Every backend is a row; one whose server is missing shows as skipped.
const backends: { name: string; runs: boolean; open: OpenMember }[] = [
  { name: 'sqlite', runs: true, open: sqliteMember },
  {
    name: 'postgres',
    runs: serverRuns('postgres', postgres),
    open: (name) => postgresMember(postgres as NonNullable<typeof postgres>)(name),
  },
  {
    name: 'redis',
    runs: serverRuns('redis', redis),
    open: (name) => redisMember(redis as NonNullable<typeof redis>)(name),
  },
]

const unhandled: unknown[] = []
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason)
}
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled)
})
afterAll(() => {
  process.off('unhandledRejection', onUnhandled)
})

const outcome = (promise: Promise<ApiKeyPrincipal>): Promise<string> =>
  promise.then(
    (principal) => `OK ${principal.keyId}`,
    (error: unknown) => (isAuthError(error) ? error.code : `not an AuthError: ${String(error)}`),
  )

describe.each(backends)('$name under concurrency', ({ open, runs }) => {
  it.skipIf(!runs)(
    '100 parallel creations and 1,000 parallel verifications across two instances',
    async () => {
      const shared = uniqueName('conc')
      const [a, b] = await Promise.all([open(shared), open(shared)])
      // A asks the store every time; B caches, with single-flight lookups.
      const authA = createApiKeyAuth({
        store: a.store,
        cache: false,
        storeTimeoutMs: 20_000,
        logger: createLogSink().logger,
      })
      const authB = createApiKeyAuth({
        store: b.store,
        storeTimeoutMs: 20_000,
        logger: createLogSink().logger,
      })
      try {
        const users = Array.from({ length: 10 }, (_, i) => `conc_user_${i}`)
        const created = await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            (i % 2 === 0 ? authA : authB).createKey({
              userId: users[i % users.length] as string,
              name: `key ${i}`,
              scopes: ['models:read'],
            }),
          ),
        )
        expect(new Set(created.map((c) => c.id)).size).toBe(100)
        expect(new Set(created.map((c) => c.key)).size).toBe(100)
        const listed = (await Promise.all(users.map((u) => authA.listKeys(u)))).flat()
        expect(listed.map((k) => k.id).sort()).toEqual(created.map((c) => c.id).sort())

        const revoked = created.slice(0, 10)
        await Promise.all(
          revoked.map((c) => authA.revokeKey({ userId: c.apiKey.userId, keyId: c.id })),
        )
        const revokedIds = new Set(revoked.map((c) => c.id))
        // A well-formed key this store never issued.
        const ghost = (
          await createApiKeyAuth({ store: new MemoryKeyStore() }).createKey({
            userId: 'g',
            name: 'g',
          })
        ).key

        const jobs = Array.from({ length: 1_000 }, (_, i) => {
          const auth = i % 2 === 0 ? authA : authB
          if (i % 10 === 9) return { want: 'KEY_NOT_FOUND', run: () => auth.verifyKey(ghost) }
          const key = created[i % created.length] as (typeof created)[number]
          const want = revokedIds.has(key.id) ? 'KEY_REVOKED' : `OK ${key.id}`
          return { want, run: () => auth.verifyKey(key.key, { scopes: ['models:read'] }) }
        })
        const got = await Promise.all(jobs.map((job) => outcome(job.run())))
        expect(got).toEqual(jobs.map((job) => job.want))
        expect(got.filter((g) => g.startsWith('OK')).length).toBe(810)
        expect(unhandled).toEqual([])
      } finally {
        authA.close()
        authB.close()
        await Promise.all([a.close(), b.close()])
      }
    },
  )
})
