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
 * - In process (8d): what one rate limit adds to a cache hit through `createRequestGuard`, CPU
 *   time per call, alternated rounds (bench/limits-in-process.ts).
 *
 * `--cost-only` runs 8d and 8b only; `--accuracy-only` 8a only.
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
import { cpuOf, pinSelf, pinTree } from './lib/cpu.js'
import { judge, measureRun, type Run } from './lib/judge.js'
import { inProcessCost } from './limits-in-process.js'
import { generateKeys } from './http/keys.js'
import { load, loadAmount, WARMUP_S } from './lib/load.js'
import { type ServerProcess, startServer } from './lib/server-process.js'
import { formatCount, formatRange, formatRate, summarize } from './lib/stats.js'
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

type CostVariant = 'none' | 'memory' | 'redis' | 'redis-leasing'
const COST_VARIANTS: Record<CostVariant, { label: string; target?: number }> = {
  none: { label: 'Fastify + requireApiKey, no limits' },
  memory: { label: '… + one rate limit, memory limit store', target: 0.95 },
  redis: { label: '… + one rate limit, Redis limit store', target: 0.85 },
  'redis-leasing': { label: '… + one rate limit, LeasingLimitStore (batch 100) over Redis' },
}

// Scripts Redis has run so far (`EVALSHA` and `EVAL` calls): one per round trip of a charge.
async function redisScriptCalls(redisInfo: unknown): Promise<number> {
  const { Redis } = await import('ioredis')
  const client = new Redis(redisInfo as { host: string; port: number })
  try {
    const stats = await client.info('commandstats')
    let calls = 0
    for (const match of stats.matchAll(/^cmdstat_(evalsha|eval):calls=(\d+)/gm)) {
      calls += Number(match[2])
    }
    return calls
  } finally {
    client.disconnect()
  }
}

async function cost(redisInfo: unknown): Promise<string[][]> {
  const dir = removeOnExit(mkdtempSync(join(tmpdir(), 'vydra-bench-limits-')))
  const keys = generateKeys()
  const keysFile = join(dir, 'keys.json')
  writeFileSync(keysFile, JSON.stringify(keys))
  const authorizations = keys.map((key) => `Bearer ${key}`)
  const names = Object.keys(COST_VARIANTS) as CostVariant[]
  const servers = new Map<CostVariant, ServerProcess>()
  const runs = new Map<CostVariant, Run[]>(names.map((name) => [name, []]))
  const scripts = { redis: [] as number[], 'redis-leasing': [] as number[] }
  try {
    for (const name of names) {
      const env: Record<string, string> =
        name === 'none' ? {} : { BENCH_LIMITS: name, BENCH_LIMITS_INFO: JSON.stringify(redisInfo) }
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
    for (let round = 0; round < ROUNDS; round++) {
      // Every order is reversed on the next round: drift hits each variant alike.
      const order = round % 2 === 0 ? names : [...names].reverse()
      for (const name of order) {
        const before =
          name === 'redis' || name === 'redis-leasing' ? await redisScriptCalls(redisInfo) : 0
        const run = await measureRun(servers.get(name) as ServerProcess, authorizations)
        if (name === 'redis' || name === 'redis-leasing') {
          scripts[name].push(((await redisScriptCalls(redisInfo)) - before) / run.total)
        }
        runs.get(name)?.push(run)
      }
    }
    const judged = judge((variant) => runs.get(variant as CostVariant) ?? [])
    return names.map((name) => {
      const { label, target } = COST_VARIANTS[name]
      const trips =
        name === 'redis' || name === 'redis-leasing'
          ? formatRange(summarize(scripts[name]), (n) => n.toFixed(3))
          : '—'
      const rps = formatRate(judged.median(name, (r) => r.rps))
      const shares = judged.shares(name)
      if (name === 'none') return [label, rps, '1.00×', '—', shares, trips, '—']
      const [ratios, verdict] = judged.target(undefined, name, 'none', target ?? 0)
      return [
        label,
        rps,
        ratios as string,
        target === undefined ? 'reported, no target' : `≥ ${target.toFixed(2)}×`,
        shares,
        trips,
        target === undefined ? '—' : (verdict as string),
      ]
    })
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

async function printInProcess(): Promise<void> {
  printTable(
    '8d. In process: what one rate limit adds to a cache hit (CPU per guard call)',
    [
      'guard',
      'CPU per call (range of rounds)',
      'added by the limit (range)',
      'calls that were a promise',
    ],
    await inProcessCost(),
  )
  printNote(
    'createRequestGuard over a small request object, 16 keys, rounds alternated (reversed every ' +
      'other round), CPU time of this process (process.cpuUsage), so it holds on a busy ' +
      'machine. A promise is a charge that could not be answered in the turn of the hit (the ' +
      'first take of a lease).',
  )
}

async function printCost(redisInfo: unknown): Promise<void> {
  printTable(
    '8b. Cost of one rate limit per key (requests per second, median of rounds)',
    [
      'server',
      'req/s',
      'ratio to no limits (range)',
      'target',
      'server / generator CPU',
      'Redis scripts per request',
      'verdict',
    ],
    await cost(redisInfo),
  )
  printNote(
    `The Fastify servers run on ${cpuOf('server')}; Redis runs on ${cpuOf('load')} with the ` +
      'load generator (pinned there explicitly), as in a deployment where Redis is another ' +
      "machine: its CPU is not counted against the server's. A ratio counts by req/s when " +
      'both servers saturate their core, else by CPU per request when nothing else ran on ' +
      'it, else it is not valid (bench/lib/judge.ts). Redis scripts per request: EVALSHA + ' +
      'EVAL calls in Redis (INFO commandstats) over requests answered, per round; exactly 1 ' +
      'without leasing, about 1/100 with it.',
  )
}

async function main(): Promise<void> {
  pinSelf('load')
  const servers: ManagedServer<unknown>[] = []
  try {
    const [redis, postgres] = await Promise.all([startRedis(), startPostgres()])
    servers.push(redis as ManagedServer<unknown>, postgres as ManagedServer<unknown>)
    // Redis and PostgreSQL serve the bench's own clients here: on the load core, never on the
    // measured server's (they would inherit it from this process anyway; explicit, so that a
    // change of how servers are started cannot move them).
    pinTree(redis.pid, 'load')
    pinTree(postgres.pid, 'load')
    if (process.argv.includes('--cost-only')) {
      await printInProcess()
      await printCost(redis.info)
      return
    }
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
    await printCost(redis.info)
    await printInProcess()
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
