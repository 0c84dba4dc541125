/**
 * Faults: the database server is SIGKILLed under load and restarted; a store is slow. Each
 * backend gets its own server here, so killing it disturbs no other suite.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type FleetMember, postgresMember, redisMember } from '../../bench/fleet-revocation.js'
import { SqliteKeyStore } from '../../adapters/stores/sqlite/index.js'
import {
  type ApiKeyAuth,
  createApiKeyAuth,
  isAuthError,
  type KeyStore,
  MemoryKeyStore,
} from '../../src/index.js'
import { createLogSink } from '../support/log-sink.js'
import { findBinaries, type ManagedServer, startPostgres, startRedis } from '../support/servers.js'
import { serverRuns, sharedPostgres, sharedRedis, uniqueName } from './helpers.js'

const STORE_TIMEOUT_MS = 300
const binaries = findBinaries()

interface FaultBackend {
  name: string
  available: boolean
  start: () => Promise<ManagedServer<unknown>>
  open: (server: ManagedServer<unknown>, shared: string) => Promise<FleetMember>
}

const backends: FaultBackend[] = [
  {
    name: 'postgres',
    available: serverRuns(
      'postgres',
      binaries.postgres !== undefined && binaries.initdb !== undefined ? true : null,
    ),
    start: () => startPostgres({ binaries }),
    // Fail-fast pool settings, as docs/stores.md recommends.
    open: (server, shared) =>
      postgresMember(server.info as never, { connectionTimeoutMillis: 1_000 })(shared),
  },
  {
    name: 'redis',
    available: serverRuns('redis', binaries.redis !== undefined ? true : null),
    // Append-only file, so the keys survive the SIGKILL like PostgreSQL's do.
    start: () => startRedis({ binaries, persistent: true }),
    // ioredis defaults (offline queue, retries): only the core's timeout stands between a
    // request and a hang.
    open: (server, shared) => redisMember(server.info as never)(shared),
  },
]

type Phase = 'up' | 'killing' | 'down' | 'restarting' | 'recovering' | 'recovered'

interface Outcome {
  phase: Phase
  endPhase: Phase
  key: 'valid' | 'unknown'
  status: number
  code: string | undefined
  retryAfter: string | null
  ms: number
  failure?: string
}

function serve(auth: ApiKeyAuth): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    auth.authenticate(req.headers.authorization).then(
      (principal) => {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ keyId: principal.keyId }))
      },
      (error: unknown) => {
        const { status, headers, body } = auth.errorResponse(error)
        res.writeHead(status, { ...headers, 'content-type': 'application/json' })
        res.end(JSON.stringify(body))
      },
    )
  })
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      resolve({ url: `http://127.0.0.1:${port}/`, server })
    }),
  )
}

const code = async (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => 'OK',
    (error: unknown) => (isAuthError(error) ? error.code : `not an AuthError: ${String(error)}`),
  )

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

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

// Every backend is a row; one whose server binary is missing shows as skipped.
describe.each(backends)('$name server killed under load', (backend) => {
  let server: ManagedServer<unknown>
  beforeAll(async () => {
    if (backend.available) server = await backend.start()
  })
  afterAll(() => server?.close())

  it.skipIf(!backend.available)(
    'outage: every request is 503 AUTH_UNAVAILABLE, none hangs; then recovery and resubscription',
    async () => {
      const shared = uniqueName('fault')
      const [app, fleet] = await Promise.all([
        backend.open(server, shared),
        backend.open(server, shared),
      ])
      // The app under load asks the store on every request; the fleet member caches (frozen
      // clock: only onRevoke can evict) and must hear revocations across the outage.
      const auth = createApiKeyAuth({
        store: app.store,
        cache: false,
        storeTimeoutMs: STORE_TIMEOUT_MS,
        // Logged lines are scanned for secrets after the test (test/support/log-scan.ts).
        logger: createLogSink().logger,
      })
      const frozen = Date.now()
      const cached = createApiKeyAuth({
        store: fleet.store,
        storeTimeoutMs: STORE_TIMEOUT_MS,
        logger: createLogSink().logger,
        now: () => frozen,
      })
      const { url, server: http } = await serve(auth)
      const valid = await auth.createKey({ userId: 'fault_user', name: 'valid' })
      // A well-formed key this store never issued.
      const ghost = (
        await createApiKeyAuth({ store: new MemoryKeyStore() }).createKey({
          userId: 'ghost',
          name: 'g',
        })
      ).key
      try {
        // The fleet member is subscribed once a revocation reaches it.
        const warm = await auth.createKey({ userId: 'fault_user', name: 'warm' })
        await cached.verifyKey(warm.key)
        await auth.revokeKey({ userId: 'fault_user', keyId: warm.id })
        await until(
          async () => (await code(cached.verifyKey(warm.key))) === 'KEY_REVOKED',
          'first propagation',
        )

        let phase: Phase = 'up'
        let running = true
        const outcomes: Outcome[] = []
        const worker = async (n: number): Promise<void> => {
          for (let i = 0; running; i++) {
            const key = (i + n) % 2 === 0 ? 'valid' : 'unknown'
            const started = phase
            const t0 = performance.now()
            try {
              const response = await fetch(url, {
                headers: { authorization: `Bearer ${key === 'valid' ? valid.key : ghost}` },
                signal: AbortSignal.timeout(STORE_TIMEOUT_MS * 10),
              })
              const body = (await response.json()) as { error?: { code?: string } }
              outcomes.push({
                phase: started,
                endPhase: phase,
                key,
                status: response.status,
                code: body.error?.code,
                retryAfter: response.headers.get('retry-after'),
                ms: performance.now() - t0,
              })
            } catch (error) {
              outcomes.push({
                phase: started,
                endPhase: phase,
                key,
                status: 0,
                code: undefined,
                retryAfter: null,
                ms: performance.now() - t0,
                failure: String(error),
              })
            }
          }
        }
        const count = (p: Phase): number =>
          outcomes.filter((o) => o.phase === p && o.endPhase === p).length
        const workers = Array.from({ length: 6 }, (_, n) => worker(n))

        await until(() => count('up') >= 30, 'load before the kill')
        phase = 'killing'
        await server.kill()
        phase = 'down'
        await until(() => count('down') >= 30, 'requests during the outage')
        phase = 'restarting'
        await server.restart()
        phase = 'recovering'
        await until(
          () => outcomes.some((o) => o.phase === 'recovering' && o.status === 200),
          'recovery',
        )
        phase = 'recovered'
        await until(() => count('recovered') >= 30, 'load after recovery')
        running = false
        await Promise.all(workers)

        // Nothing hung, nothing crashed, nothing but the three expected statuses.
        expect(outcomes.filter((o) => o.failure !== undefined)).toEqual([])
        expect(outcomes.filter((o) => ![200, 401, 503].includes(o.status))).toEqual([])
        // A key nobody issued never got through, whatever the phase.
        expect(outcomes.filter((o) => o.key === 'unknown' && o.status === 200)).toEqual([])
        // In the outage: 503 AUTH_UNAVAILABLE with Retry-After, for valid and unknown keys alike.
        const down = outcomes.filter((o) => o.phase === 'down' && o.endPhase === 'down')
        expect(new Set(down.map((o) => o.key))).toEqual(new Set(['valid', 'unknown']))
        for (const o of down) {
          expect({ status: o.status, code: o.code, retryAfter: o.retryAfter !== null }).toEqual({
            status: 503,
            code: 'AUTH_UNAVAILABLE',
            retryAfter: true,
          })
        }
        // Before and after: the right answers.
        for (const p of ['up', 'recovered'] as const) {
          for (const o of outcomes.filter((x) => x.phase === p && x.endPhase === p)) {
            expect(o.key === 'valid' ? o.status : o.code).toBe(
              o.key === 'valid' ? 200 : 'KEY_NOT_FOUND',
            )
          }
        }
        const slowest = Math.max(...down.map((o) => o.ms))
        console.log(
          `[faults ${backend.name}] ${outcomes.length} requests, ${down.length} in the outage ` +
            `(all 503, slowest ${slowest.toFixed(0)} ms with storeTimeoutMs ${STORE_TIMEOUT_MS})`,
        )

        // The fleet member's subscription survived the outage: a revocation made now reaches it.
        await cached.verifyKey(valid.key)
        await auth.revokeKey({ userId: 'fault_user', keyId: valid.id })
        await until(
          async () => (await code(cached.verifyKey(valid.key))) === 'KEY_REVOKED',
          'propagation after recovery',
        )
        expect(unhandled).toEqual([])
      } finally {
        auth.close()
        cached.close()
        await new Promise((resolve) => http.close(resolve))
        await Promise.all([app.close(), fleet.close()])
      }
    },
  )
})

// Delays every call of `store` by `delayMs`, then answers it; `answered` counts the answers given.
function slow(store: KeyStore, delayMs: number, answered = { count: 0 }): KeyStore {
  const later = <T>(fn: () => Promise<T>): Promise<T> =>
    new Promise((resolve) => setTimeout(resolve, delayMs))
      .then(fn)
      .finally(() => void answered.count++)
  return {
    insert: (r) => later(() => store.insert(r)),
    findByHash: (h) => later(() => store.findByHash(h)),
    listByUser: (u) => later(() => store.listByUser(u)),
    revoke: (id, u, at) => later(() => store.revoke(id, u, at)),
  }
}

describe('slow store: the timeout answers 503, the late answer is dropped', () => {
  const postgres = sharedPostgres()
  const redis = sharedRedis()
  const stores: {
    name: string
    runs?: boolean
    open: () => Promise<{ store: KeyStore; close(): unknown }>
  }[] = [
    {
      name: 'sqlite',
      open: async () => {
        const store = new SqliteKeyStore(new Database(':memory:'))
        return { store, close: () => store.database.close() }
      },
    },
  ]
  // A backend whose server is missing stays in the table, its case skipped.
  stores.push(
    {
      name: 'postgres',
      runs: serverRuns('postgres', postgres),
      open: () => postgresMember(postgres as NonNullable<typeof postgres>)(uniqueName('slow')),
    },
    {
      name: 'redis',
      runs: serverRuns('redis', redis),
      open: () => redisMember(redis as NonNullable<typeof redis>)(uniqueName('slow')),
    },
  )
  it.concurrent.for(stores)('$name', async ({ open, runs }, { skip }) => {
    if (runs === false) skip()
    const { store, close } = await open()
    const fast = createApiKeyAuth({ store, logger: createLogSink().logger })
    const errors: string[] = []
    const answered = { count: 0 }
    const sink = createLogSink()
    const sluggish = createApiKeyAuth({
      store: slow(store, STORE_TIMEOUT_MS * 2, answered),
      storeTimeoutMs: STORE_TIMEOUT_MS,
      logger: {
        warn: sink.logger.warn,
        error: (message, context) => {
          errors.push(message)
          sink.logger.error(message, context)
        },
      },
    })
    try {
      const created = await fast.createKey({ userId: 'slow_user', name: 'k' })
      expect(
        await Promise.all([
          code(sluggish.verifyKey(created.key)),
          code(sluggish.createKey({ userId: 'slow_user', name: 'k2' })),
          code(sluggish.revokeKey({ userId: 'slow_user', keyId: created.id })),
        ]),
      ).toEqual(['AUTH_UNAVAILABLE', 'AUTH_UNAVAILABLE', 'AUTH_UNAVAILABLE'])
      expect(errors.filter((m) => m.includes('timed out')).length).toBeGreaterThanOrEqual(3)
      // The late answers arrive (findByHash, listByUser, revoke) and are dropped: nothing was
      // cached from them.
      await until(() => answered.count === 3, 'the three late answers')
      expect(sluggish.cacheStats()).toMatchObject({ positive: 0, negative: 0, inflight: 0 })
      expect(unhandled).toEqual([])
    } finally {
      fast.close()
      sluggish.close()
      await close()
    }
  })
})
