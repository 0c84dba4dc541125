/**
 * One HTTP server variant in its own process (the load generator runs in the parent):
 * `node --import tsx bench/http/server.ts <variant> <keys.json>`. Prints `READY <port>` once
 * listening on 127.0.0.1. Every variant serves `GET /api/v1/models` with the same JSON body.
 *
 * `BENCH_STORE` picks the library's store: `memory` (default), or `postgres`/`redis` with
 * `BENCH_STORE_INFO` holding the connection JSON (the parent seeds those stores).
 */
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import {
  createApiKeyAuth,
  type KeyStore,
  LeasingLimitStore,
  type LimitsOptions,
  MemoryKeyStore,
  MemoryLimitStore,
} from '../../src/index.js'
import { handLimiter, handVerify, UNAUTHORIZED_BODY } from './hand.js'
import { handTable, recordOf, REQUIRED, SHARED } from './keys.js'

const [variant = '', keysFile = ''] = process.argv.slice(2)
const keys = JSON.parse(readFileSync(keysFile, 'utf8')) as string[]
const BODY = { models: [] as string[] }
const PATH = '/api/v1/models'
const RATE_LIMITED_BODY = '{"error":{"code":"RATE_LIMITED","message":"Rate limited"}}'

/**
 * Store calls seen by the server, read by the bench at `GET /__bench/stats`; with a Redis limit
 * store, `batches[n]`: the limit script calls that carried n checks (bench/limits.ts).
 */
const calls = { findByHash: 0, touch: 0, batches: {} as Record<number, number> }

function counted(store: KeyStore): KeyStore {
  const findByHash = store.findByHash.bind(store)
  const touch = store.touch?.bind(store)
  const wrapped: KeyStore = {
    insert: (record) => store.insert(record),
    listByUser: (userId) => store.listByUser(userId),
    revoke: (id, userId, at) => store.revoke(id, userId, at),
    findByHash: (hash) => {
      calls.findByHash++
      return findByHash(hash)
    },
  }
  if (touch !== undefined) {
    wrapped.touch = (id, at) => {
      calls.touch++
      return touch(id, at)
    }
  }
  if (store.onRevoke !== undefined) wrapped.onRevoke = store.onRevoke.bind(store)
  return wrapped
}

async function libraryStore(): Promise<KeyStore> {
  const kind = process.env.BENCH_STORE ?? 'memory'
  if (kind === 'memory') {
    const store = new MemoryKeyStore()
    for (const [i, key] of keys.entries()) await store.insert(recordOf(key, i))
    return store
  }
  // The parent created and seeded the shared table / namespace `bench_keys`.
  const info = JSON.parse(process.env.BENCH_STORE_INFO ?? '{}') as Record<string, unknown>
  if (kind === 'postgres') {
    const { default: pg } = await import('pg')
    const { PostgresKeyStore } = await import('../../adapters/stores/postgres/index.js')
    const pool = new pg.Pool({ ...info, max: 10 })
    pool.on('error', () => {})
    return new PostgresKeyStore(pool, { table: SHARED, logger: false })
  }
  if (kind === 'redis') {
    const { Redis } = await import('ioredis')
    const { RedisKeyStore } = await import('../../adapters/stores/redis/index.js')
    const client = new Redis(info as { host: string; port: number })
    client.on('error', () => {})
    return new RedisKeyStore(client, { namespace: `${SHARED}:` })
  }
  throw new Error(`unknown BENCH_STORE ${kind}`)
}

// `BENCH_LIMITS` (issue 12): `memory` or `redis` gives every key one rate limit it never reaches,
// counted in that limit store (`BENCH_LIMITS_INFO`: the Redis connection JSON); `redis-single`
// is `redis` without coalescing (`maxBatch: 1`, one script call per check).
async function limits(): Promise<LimitsOptions | undefined> {
  const kind = process.env.BENCH_LIMITS
  if (kind === undefined || kind === '') return undefined
  const defaults = { rate: [{ name: 'minute', limit: 1_000_000_000, windowMs: 60_000 }] }
  if (kind === 'memory') return { store: new MemoryLimitStore(), defaults }
  // `memory-async`: the memory store behind a plain object, so every charge takes the path of a
  // store that must be awaited (a promise, the deadline, the hook resumed later), with no I/O:
  // what that path costs whatever the store.
  if (kind === 'memory-async') {
    const inner = new MemoryLimitStore()
    return { store: { consume: (check) => inner.consume(check) }, defaults }
  }
  if (kind === 'redis' || kind === 'redis-leasing' || kind === 'redis-single') {
    const { Redis } = await import('ioredis')
    const { RedisLimitStore } = await import('../../adapters/stores/redis/index.js')
    const info = JSON.parse(process.env.BENCH_LIMITS_INFO ?? '{}') as { host: string; port: number }
    const client = new Redis(info)
    client.on('error', () => {})
    // Counts the checks each script call carries (its number of keys): how much a turn
    // coalesces under this load. Costs the server a property increment per call.
    const evalsha = client.evalsha.bind(client) as (...args: unknown[]) => Promise<unknown>
    ;(client as unknown as { evalsha: typeof evalsha }).evalsha = (...args: unknown[]) => {
      const checks = Number(args[1])
      calls.batches[checks] = (calls.batches[checks] ?? 0) + 1
      return evalsha(...args)
    }
    const redis = new RedisLimitStore(client, {
      prefix: 'bench_limits:',
      maxBatch: kind === 'redis-single' ? 1 : 64,
    })
    // `redis-leasing`: LeasingLimitStore over it (batch 100: at most 100 units per key and
    // instance beyond the limit, docs/limits.md "Leasing for hot keys").
    const store = kind === 'redis-leasing' ? new LeasingLimitStore(redis, { batch: 100 }) : redis
    return { store, defaults }
  }
  throw new Error(`unknown BENCH_LIMITS ${kind}`)
}

async function library() {
  const store = counted(await libraryStore())
  const limitOptions = await limits()
  return createApiKeyAuth({
    store,
    logger: false,
    ...(limitOptions === undefined ? {} : { limits: limitOptions }),
  })
}

const table = handTable(keys)

// `handdata` variants: the hand-written middleware in a server that also holds what the library's
// server holds (its store and a service with every key cached), unused but kept as the library
// keeps it (read again before its cache entries expire). Against it the library's ratio is its
// middleware's cost alone, without the garbage collector's work on the larger heap
// (docs/benchmarks.md, "Sixth session").
async function holdLibraryData(): Promise<void> {
  const held = await library()
  const readAll = () => Promise.all(keys.map((key) => held.verifyKey(key)))
  await readAll()
  setInterval(() => void readAll(), 20_000)
}

async function start(): Promise<Server> {
  const [framework, kind] = variant.split('-') as [string, string]
  if (framework === 'express') {
    const { default: express } = await import('express')
    const app = express()
    const send = (_req: unknown, res: { json(body: unknown): void }) => res.json(BODY)
    if (kind === 'bare') app.get(PATH, send)
    if (kind === 'lib') {
      const { requireApiKey } = await import('../../adapters/frameworks/express/index.js')
      app.get(PATH, requireApiKey(await library(), { scopes: REQUIRED }), send)
    }
    if (kind === 'hand' || kind === 'handdata') {
      if (kind === 'handdata') await holdLibraryData()
      app.get(
        PATH,
        (req, res, next) => {
          const principal = handVerify(table, req.headers.authorization, REQUIRED)
          if (principal === undefined) {
            res.status(401).type('application/json').send(UNAUTHORIZED_BODY)
            return
          }
          req.auth = principal
          next()
        },
        send,
      )
    }
    if (kind === 'passport') {
      const { default: passport } = await import('passport')
      const { Strategy } = await import('passport-http-bearer')
      const users = new Map(keys.map((key, i) => [key, { id: `bench_${i}` }]))
      passport.use(new Strategy((token, done) => done(null, users.get(token) ?? false)))
      app.use(passport.initialize())
      app.get(PATH, passport.authenticate('bearer', { session: false }), send)
    }
    // Every variant has the same routes, so that no server's router does more than another's.
    app.get('/__bench/stats', (_req, res) => res.json(calls))
    return app.listen(0, '127.0.0.1')
  }
  if (framework === 'fastify') {
    const { default: Fastify } = await import('fastify')
    const app = Fastify({ logger: false })
    app.decorateRequest('auth', null)
    if (kind === 'bare') app.get(PATH, async () => BODY)
    if (kind === 'lib') {
      const { requireApiKey } = await import('../../adapters/frameworks/fastify/index.js')
      app.get(
        PATH,
        { onRequest: requireApiKey(await library(), { scopes: REQUIRED }) },
        async () => BODY,
      )
    }
    if ((kind === 'hand' || kind === 'handdata') && process.env.BENCH_HAND_LIMIT === '1') {
      // The hand-written floor of bench/limits.ts: the same hook plus the least a per-key rate
      // limit with its two headers does (bench/http/hand.ts). A hook of its own, written out
      // again below without the limit: the hook section 2 judges against must carry no branch
      // or call for a limit it does not have.
      const charge = handLimiter()
      app.get(
        PATH,
        {
          onRequest: async (request, reply) => {
            const principal = handVerify(table, request.headers.authorization, REQUIRED)
            if (principal === undefined) {
              return reply.code(401).type('application/json').send(UNAUTHORIZED_BODY)
            }
            const headers = charge(principal.keyId, Date.now())
            if (headers === undefined) {
              return reply.code(429).type('application/json').send(RATE_LIMITED_BODY)
            }
            reply.headers(headers)
            request.auth = principal
          },
        },
        async () => BODY,
      )
    } else if (kind === 'hand' || kind === 'handdata') {
      if (kind === 'handdata') await holdLibraryData()
      app.get(
        PATH,
        {
          onRequest: async (request, reply) => {
            const principal = handVerify(table, request.headers.authorization, REQUIRED)
            if (principal === undefined) {
              return reply.code(401).type('application/json').send(UNAUTHORIZED_BODY)
            }
            request.auth = principal
          },
        },
        async () => BODY,
      )
    }
    if (kind === 'bearerauth') {
      const { default: bearerAuth } = await import('@fastify/bearer-auth')
      await app.register(bearerAuth, { keys: new Set(keys) })
      app.get(PATH, async () => BODY)
    }
    // Every variant has the same routes, so that no server's router does more than another's
    // (the stats route was the library server's alone until the sixth session).
    app.get('/__bench/stats', async () => calls)
    await app.listen({ port: 0, host: '127.0.0.1' })
    return app.server
  }
  if (framework === 'koa') {
    const { default: Koa } = await import('koa')
    const app = new Koa()
    if (kind === 'lib') {
      const { requireApiKey } = await import('../../adapters/frameworks/koa/index.js')
      const guard = requireApiKey(await library(), { scopes: REQUIRED })
      app.use((ctx, next) => (ctx.path === PATH ? guard(ctx, next) : next()))
    }
    if (kind === 'hand') {
      const hand: import('koa').Middleware = async (ctx, next) => {
        const principal = handVerify(table, ctx.get('authorization') || undefined, REQUIRED)
        if (principal === undefined) {
          ctx.status = 401
          ctx.type = 'application/json'
          ctx.body = UNAUTHORIZED_BODY
          return
        }
        ctx.state.auth = principal
        await next()
      }
      // Mounted as the library's guard is above (behind the same path check, which keeps
      // /__bench/stats open there), so both servers run the same middleware stack.
      app.use((ctx, next) => (ctx.path === PATH ? hand(ctx, next) : next()))
    }
    app.use((ctx) => {
      if (ctx.method === 'GET' && ctx.path === PATH) ctx.body = BODY
      else if (ctx.path === '/__bench/stats') ctx.body = calls
    })
    return app.listen(0, '127.0.0.1')
  }
  throw new Error(`unknown variant ${variant}`)
}

const server = await start()
const listening = (): void => {
  process.stdout.write(`READY ${(server.address() as AddressInfo).port}\n`)
}
if (server.listening) listening()
else server.once('listening', listening)
process.once('SIGTERM', () => process.exit(0))
