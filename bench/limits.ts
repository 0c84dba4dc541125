/**
 * Usage limits (issue 12): accuracy across processes, and what a limit costs per request.
 *
 * - Accuracy: 10 worker processes, each with its own connection, hammer one key's limit on the
 *   same Redis / PostgreSQL limit store (the `LimitStore.consume` every guard calls): a limit of
 *   1 000 per 10 s must admit exactly 1 000 within the window (the bucketed window never
 *   over-admits; 0 leasing), and a key with 10 000 credits exactly 10 000.
 * - Cost: Fastify + `requireApiKey`, memory key store, every key with one rate limit it never
 *   reaches, counted in a memory or a Redis limit store, against the same server without limits;
 *   interleaved rounds, the ratio of requests per second per round.
 *
 * Workers are this same file run as `node limits.mjs __limits-worker <backend> <info> <job>`.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { LimitCheck, LimitStore } from '../src/index.js'
import { type ManagedServer, startPostgres, startRedis } from '../test/support/servers.js'
import { QUICK } from './lib/args.js'
import { removeOnExit } from './lib/cleanup.js'
import { pinSelf } from './lib/cpu.js'
import { generateKeys } from './http/keys.js'
import { load, loadAmount, WARMUP_S } from './lib/load.js'
import { type ServerProcess, startServer } from './lib/server-process.js'
import { formatCount, formatRate, formatRatio, summarize } from './lib/stats.js'
import { printNote, printTable } from './lib/table.js'

const WORKERS = 10
const SELF = fileURLToPath(import.meta.url)
const ROUNDS = QUICK ? 2 : 5
/** Units per lease in the leasing rows of 8a. */
const LEASE_BATCH = 10

type Backend = 'redis' | 'postgres'
interface Job {
  subject: string
  /** `rate`: 1 000 per 10 s; `credits`: a balance of 10 000. */
  kind: 'rate' | 'credits'
  /** Longest run, in ms: a worker stops earlier once its checks are refused. */
  durationMs: number
  /** Local leasing: units per take (`LeasingLimitStore`); absent for none. */
  batch?: number
}

async function openStore(
  backend: Backend,
  info: unknown,
  table: string,
): Promise<{ store: LimitStore; close(): Promise<void> }> {
  if (backend === 'redis') {
    const { Redis } = await import('ioredis')
    const { RedisLimitStore } = await import('../adapters/stores/redis/index.js')
    const client = new Redis(info as { host: string; port: number })
    client.on('error', () => {})
    return {
      store: new RedisLimitStore(client, { prefix: `${table}:` }),
      close: async () => void client.disconnect(),
    }
  }
  const { default: pg } = await import('pg')
  const { PostgresLimitStore } = await import('../adapters/stores/postgres/index.js')
  const pool = new pg.Pool({ ...(info as object), max: 4 })
  pool.on('error', () => {})
  return { store: new PostgresLimitStore(pool, { table }), close: () => pool.end() }
}

// A worker: connects, says READY, waits for the common start, then keeps 4 checks in flight
// until its checks are refused (the limit is reached fleet-wide); prints what it saw.
async function worker(backend: Backend, info: unknown, job: Job): Promise<void> {
  const opened = await openStore(backend, info, 'bench_limits')
  const { close } = opened
  const { LeasingLimitStore } = await import('../src/index.js')
  const leasing =
    job.batch === undefined ? undefined : new LeasingLimitStore(opened.store, { batch: job.batch })
  const store = leasing ?? opened.store
  const check = (): LimitCheck =>
    job.kind === 'rate'
      ? {
          subject: job.subject,
          rate: [{ name: 'ten', limit: 1_000, windowMs: 10_000 }],
          cost: 1,
          now: Date.now(),
        }
      : { subject: job.subject, rate: [], credits: { remaining: 10_000 }, cost: 1, now: Date.now() }
  // A first check of another subject: the connection is open and the script or function known.
  await opened.store.consume({ ...check(), subject: `${job.subject}:warm` })
  const startAt = await new Promise<number>((resolve) => {
    process.once('message', (message) => resolve((message as { startAt: number }).startAt))
    process.send?.('ready')
  })
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt - Date.now())))
  let admitted = 0
  let checks = 0
  let refused = 0
  const loop = async (): Promise<void> => {
    // A few refusals in a row per loop: the limit is reached, not a blip.
    while (refused < 8 && Date.now() < startAt + job.durationMs) {
      checks++
      if ((await store.consume(check())).allowed) admitted++
      else refused++
    }
  }
  await Promise.all([loop(), loop(), loop(), loop()])
  const elapsedMs = Date.now() - startAt
  await close()
  process.send?.({ admitted, checks, elapsedMs, roundTrips: leasing?.roundTrips ?? checks })
}

interface WorkerResult {
  admitted: number
  checks: number
  elapsedMs: number
  /** Calls that reached the shared store. */
  roundTrips: number
}

// Spawns the workers, waits until every one is connected, then starts them all at once.
async function runWorkers(backend: Backend, info: unknown, job: Job): Promise<WorkerResult[]> {
  const children = Array.from({ length: WORKERS }, () =>
    spawn(
      process.execPath,
      [SELF, '__limits-worker', backend, JSON.stringify(info), JSON.stringify(job)],
      {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    ),
  )
  const results = children.map(
    (child) =>
      new Promise<WorkerResult>((resolve, reject) => {
        child.on('message', (message) => {
          if (typeof message === 'object' && message !== null) resolve(message as WorkerResult)
        })
        child.once('exit', (code) => reject(new Error(`worker exited ${code}`)))
      }),
  )
  await Promise.all(
    children.map((child) => new Promise<void>((resolve) => child.once('message', () => resolve()))),
  )
  const startAt = Date.now() + 200
  for (const child of children) child.send({ startAt })
  return Promise.all(results)
}

async function accuracy(backend: Backend, info: unknown): Promise<string[][]> {
  if (backend === 'postgres') {
    // One migration before the workers start (each would otherwise race to create the table).
    const { default: pg } = await import('pg')
    const { PostgresLimitStore } = await import('../adapters/stores/postgres/index.js')
    const pool = new pg.Pool(info as object)
    await new PostgresLimitStore(pool, { table: 'bench_limits' }).migrate()
    await pool.end()
  }
  const rows: string[][] = []
  const jobs: { kind: Job['kind']; batch?: number }[] = [
    { kind: 'rate' },
    { kind: 'credits' },
    { kind: 'rate', batch: LEASE_BATCH },
  ]
  for (const { kind, batch } of jobs) {
    const job: Job = {
      subject: `key:${kind}-${batch ?? 0}-${Date.now()}`,
      kind,
      durationMs: 60_000,
      ...(batch === undefined ? {} : { batch }),
    }
    const results = await runWorkers(backend, info, job)
    const admitted = results.reduce((sum, r) => sum + r.admitted, 0)
    const checks = results.reduce((sum, r) => sum + r.checks, 0)
    const roundTrips = results.reduce((sum, r) => sum + r.roundTrips, 0)
    const elapsedMs = Math.max(...results.map((r) => r.elapsedMs))
    const limit = kind === 'rate' ? 1_000 : 10_000
    // The documented bound: 0 without leasing, instances × batch with it.
    const bound = batch === undefined ? 0 : WORKERS * batch
    // Past the window, early usage leaves it and more is rightly admitted: not a valid run.
    const valid = kind === 'credits' || elapsedMs < 10_000
    rows.push([
      backend,
      kind === 'rate' ? '1 000 per 10 s' : '10 000 credits',
      batch === undefined ? 'none' : `batch ${batch}`,
      String(checks),
      `${(elapsedMs / 1000).toFixed(1)} s`,
      String(admitted),
      bound === 0 ? String(limit) : `${limit} + ${bound}`,
      (roundTrips / Math.max(1, admitted)).toFixed(3),
      !valid
        ? 'not valid (ran longer than the window)'
        : admitted === limit
          ? 'exact'
          : admitted > limit + bound
            ? `**over the bound by ${admitted - limit - bound}**`
            : admitted > limit
              ? `within the bound (+${admitted - limit})`
              : `under by ${limit - admitted}`,
    ])
  }
  return rows
}

async function cost(redisInfo: unknown): Promise<string[][]> {
  const dir = removeOnExit(mkdtempSync(join(tmpdir(), 'vydra-bench-limits-')))
  const keys = generateKeys()
  const keysFile = join(dir, 'keys.json')
  writeFileSync(keysFile, JSON.stringify(keys))
  const authorizations = keys.map((key) => `Bearer ${key}`)
  const variants = {
    none: {},
    memory: { BENCH_LIMITS: 'memory' },
    redis: { BENCH_LIMITS: 'redis', BENCH_LIMITS_INFO: JSON.stringify(redisInfo) },
  } as const
  const servers = new Map<keyof typeof variants, ServerProcess>()
  try {
    for (const [name, env] of Object.entries(variants) as [
      keyof typeof variants,
      Record<string, string>,
    ][]) {
      const server = await startServer('fastify-lib', keysFile, env)
      servers.set(name, server)
      const probe = await fetch(`${server.url}/api/v1/models`, {
        headers: { authorization: authorizations[0] as string },
      })
      if (probe.status !== 200) throw new Error(`${name}: a valid key got ${probe.status}`)
      if (name !== 'none' && probe.headers.get('ratelimit') === null)
        throw new Error(`${name}: no RateLimit header`)
      await loadAmount(server.url, authorizations, authorizations.length)
      await load(server.url, authorizations, WARMUP_S)
    }
    const rps = { none: [] as number[], memory: [] as number[], redis: [] as number[] }
    for (let round = 0; round < ROUNDS; round++) {
      const order =
        round % 2 === 0
          ? (['none', 'memory', 'redis'] as const)
          : (['redis', 'memory', 'none'] as const)
      for (const name of order) {
        const result = await load((servers.get(name) as ServerProcess).url, authorizations)
        if (result.failures > 0) throw new Error(`${name}: ${result.failures} failed requests`)
        rps[name].push(result.rps)
      }
    }
    const ratio = (name: 'memory' | 'redis'): string =>
      formatRatio(summarize(rps[name].map((value, i) => value / (rps.none[i] as number))))
    return [
      ['Fastify + requireApiKey, no limits', formatRate(summarize(rps.none).median), '1.00×', '—'],
      [
        '… + one rate limit, memory limit store',
        formatRate(summarize(rps.memory).median),
        ratio('memory'),
        '≥ 0.95×',
      ],
      [
        '… + one rate limit, Redis limit store',
        formatRate(summarize(rps.redis).median),
        ratio('redis'),
        '≥ 0.85×',
      ],
    ]
  } finally {
    await Promise.all([...servers.values()].map((s) => s.stop()))
    rmSync(dir, { recursive: true, force: true })
  }
}

// Heap held by `subjects` keys with one rate limit each, one request each, in the memory store.
async function memory(subjects: number): Promise<string[][]> {
  const { MemoryLimitStore } = await import('../src/index.js')
  const gc = (globalThis as { gc?: () => void }).gc
  gc?.()
  const before = process.memoryUsage().heapUsed
  const store = new MemoryLimitStore({ maxSubjects: subjects })
  const rate = [{ name: 'minute', limit: 100, windowMs: 60_000 }]
  const now = Date.now()
  for (let i = 0; i < subjects; i++) {
    await store.consume({
      subject: `key:${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`,
      rate,
      cost: 1,
      now,
    })
  }
  gc?.()
  const bytes = process.memoryUsage().heapUsed - before
  const over = await store.consume({ subject: 'key:one-more', rate, cost: 1, now })
  return [
    [
      formatCount(subjects),
      `${(bytes / 2 ** 20).toFixed(0)} MiB`,
      `${(bytes / subjects).toFixed(0)} B`,
      `${store.size === subjects && over.allowed ? 'held at maxSubjects' : 'unexpected size'}`,
      gc === undefined ? 'no --expose-gc: upper bound' : 'after gc',
    ],
  ]
}

async function main(): Promise<void> {
  pinSelf('load')
  const servers: ManagedServer<unknown>[] = []
  try {
    const [redis, postgres] = await Promise.all([startRedis(), startPostgres()])
    servers.push(redis as ManagedServer<unknown>, postgres as ManagedServer<unknown>)
    const rows = [
      ...(await accuracy('redis', redis.info)),
      ...(await accuracy('postgres', postgres.info)),
    ]
    printTable(
      '8a. Accuracy: 10 processes on one key',
      [
        'limit store',
        'limit',
        'leasing',
        'checks sent',
        'time',
        'admitted',
        'allowed (limit + bound)',
        'round trips per admitted',
        'verdict',
      ],
      rows,
    )
    printNote(
      'Each worker is its own Node process with its own connection and 4 checks in flight; all ' +
        'start together once connected and stop after 8 refusals. Without leasing every check ' +
        'is one round trip and the documented bound is 0; with LeasingLimitStore (batch ' +
        `${LEASE_BATCH}) the bound is instances x batch = ${WORKERS * LEASE_BATCH}.`,
    )
    if (process.argv.includes('--accuracy-only')) return
    printTable(
      '8b. Cost of one rate limit per key (requests per second, median of rounds)',
      ['server', 'req/s', 'ratio to no limits (range)', 'target'],
      await cost(redis.info),
    )
    printTable(
      '8c. Memory limit store: heap per limited key (one rate limit, one request each)',
      ['keys', 'heap', 'per key', 'LRU', 'measured'],
      await memory(QUICK ? 100_000 : 1_000_000),
    )
  } finally {
    await Promise.all(servers.map((s) => s.stop()))
  }
}

if (process.argv[2] === '__limits-worker') {
  const [, , , backend, info, job] = process.argv
  await worker(backend as Backend, JSON.parse(info as string), JSON.parse(job as string) as Job)
} else {
  await main()
}
