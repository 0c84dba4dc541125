/**
 * Usage limits (issue 12): accuracy across processes, and what a limit costs per request.
 *
 * - Accuracy: 10 worker processes, each with its own connection, hammer one key's limit on the
 *   same Redis / PostgreSQL limit store (the `LimitStore.consume` every guard calls): a limit of
 *   1 000 per 10 s must admit exactly 1 000 within the window (the bucketed window never
 *   over-admits; 0 leasing), and a key with 10 000 credits exactly 10 000.
 * - Cost: Fastify + `requireApiKey`, memory key store, every key with one rate limit it never
 *   reaches, counted in a memory or a Redis limit store, against the same server without limits,
 *   and a hand-written limit against the hand-written hook (the floor); interleaved rounds, each
 *   on server processes started for it, the ratio of requests per second per round.
 *
 * - In process (8d): what one rate limit adds to a cache hit through `createRequestGuard`, CPU
 *   time per call, alternated rounds (bench/limits-in-process.ts).
 *
 * - In process over Redis (8e): the same with a `RedisLimitStore`, coalesced (default) and not.
 *
 * `--cost-only` runs 8d, 8e and 8b only; `--accuracy-only` 8a only; `--variants=a,b` keeps only
 * those rows of 8b (and their bases), `--rounds=N` sets 8b's rounds.
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
import { intOption, option, QUICK } from './lib/args.js'
import { removeOnExit } from './lib/cleanup.js'
import { cpuMicros, cpuOf, pinSelf, pinTree } from './lib/cpu.js'
import { judge, measureRun, type Run } from './lib/judge.js'
import { inProcessCost } from './limits-in-process.js'
import { redisInProcessCost } from './limits-redis-in-process.js'
import { generateKeys } from './http/keys.js'
import { CONNECTIONS } from './lib/load.js'
import { withFreshServer } from './lib/fresh-server.js'
import { type ServerProcess, startServer } from './lib/server-process.js'
import { formatCount, formatRange, formatRate, summarize } from './lib/stats.js'
import { printNote, printTable } from './lib/table.js'

const WORKERS = 10
const SELF = fileURLToPath(import.meta.url)
// Rounds of the cost rows (8b), each on server processes started for it; `--rounds=N` as for
// sections 2 and 3.
const ROUNDS = intOption('rounds', QUICK ? 2 : 7)
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
async function runWorkers(
  backend: Backend,
  info: unknown,
  job: Job,
  beforeStart?: () => Promise<void>,
): Promise<WorkerResult[]> {
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
  await beforeStart?.()
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
    // On Redis, the scripts the server ran (a RedisLimitStore call carries every check of one
    // turn of a worker); elsewhere, the calls that reached the shared store.
    let scriptsBefore = 0
    const results = await runWorkers(backend, info, job, async () => {
      if (backend === 'redis') scriptsBefore = await redisScriptCalls(info)
    })
    const admitted = results.reduce((sum, r) => sum + r.admitted, 0)
    const checks = results.reduce((sum, r) => sum + r.checks, 0)
    const roundTrips =
      backend === 'redis'
        ? (await redisScriptCalls(info)) - scriptsBefore
        : results.reduce((sum, r) => sum + r.roundTrips, 0)
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

type CostVariant =
  | 'none'
  | 'memory'
  | 'memory-async'
  | 'redis'
  | 'redis-single'
  | 'redis-leasing'
  | 'hand'
  | 'hand-limit'
/**
 * A row's server: the library's Fastify server (`fastify-lib`, limits from `BENCH_LIMITS`) unless
 * `hand`; compared with `base` (default `none`, the library without limits).
 */
interface CostVariantInfo {
  label: string
  target?: number
  hand?: true
  base?: CostVariant
}
const COST_VARIANTS: Record<CostVariant, CostVariantInfo> = {
  none: { label: 'Fastify + requireApiKey, no limits' },
  memory: { label: '… + one rate limit, memory limit store', target: 0.95 },
  'memory-async': {
    label: '… + one rate limit, memory limit store behind a promise (awaited path, no I/O)',
  },
  redis: { label: '… + one rate limit, Redis limit store', target: 0.85 },
  'redis-single': { label: '… + one rate limit, Redis limit store, maxBatch 1 (no coalescing)' },
  'redis-leasing': { label: '… + one rate limit, LeasingLimitStore (batch 100) over Redis' },
  // The floor of the memory row: what the least hand-written limit with the same two headers
  // costs the hand-written hook of section 2 (bench/http/hand.ts), on the same keys and load.
  hand: { label: 'Fastify + the hand-written hook (bench/http/hand.ts), no limits', hand: true },
  'hand-limit': {
    label: '… + a hand-written fixed-window limit per key in a Map, the same two headers',
    hand: true,
    base: 'hand',
  },
}
const isBase = (variant: CostVariant): boolean => variant === 'none' || variant === 'hand'
/**
 * Connections of the second set of rows: with a Redis limit store a request waits for a round
 * trip, so at the default 16 the limited server idles part of the time (it is latency-bound, not
 * CPU-bound) and its req/s is not its maximum. At 64 both servers can keep their core busy.
 */
const SATURATING_CONNECTIONS = 64
/** Each row: a variant's server under a number of connections. */
const ALL_COST_ROWS: readonly { variant: CostVariant; connections: number }[] = [
  ...(Object.keys(COST_VARIANTS) as CostVariant[]).map((variant) => ({
    variant,
    connections: CONNECTIONS,
  })),
  ...(['none', 'redis', 'redis-single'] as const).map((variant) => ({
    variant,
    connections: SATURATING_CONNECTIONS,
  })),
]
/**
 * `--variants=memory,hand-limit`: only those rows and their bases, so that one row's verdict can
 * be taken over many more rounds in the same time (e.g. `--rounds=40`); all of them by default.
 */
function selectedVariants(): ReadonlySet<CostVariant> {
  const listed = option('variants')
  const all = Object.keys(COST_VARIANTS) as CostVariant[]
  if (listed === undefined) return new Set(all)
  const chosen = new Set<CostVariant>()
  for (const name of listed.split(',')) {
    if (!(all as string[]).includes(name)) {
      throw new Error(`--variants: unknown variant ${name} (one of ${all.join(', ')})`)
    }
    const variant = name as CostVariant
    chosen.add(variant)
    chosen.add(COST_VARIANTS[variant].base ?? (COST_VARIANTS[variant].hand ? 'hand' : 'none'))
  }
  return chosen
}
const SELECTED = selectedVariants()
// A base's row at a connection count stays only when a selected variant is measured there too.
const COST_ROWS = ALL_COST_ROWS.filter(
  (row) =>
    SELECTED.has(row.variant) &&
    (!isBase(row.variant) ||
      ALL_COST_ROWS.some(
        (other) =>
          !isBase(other.variant) &&
          SELECTED.has(other.variant) &&
          other.connections === row.connections,
      )),
)
const rowId = (row: { variant: CostVariant; connections: number }): string =>
  `${row.variant}@${row.connections}`

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

/** Script calls by the number of checks they carried, as the server counted them. */
type Batches = Record<number, number>
async function batchesOf(server: ServerProcess): Promise<Batches> {
  const stats = (await (await fetch(`${server.url}/__bench/stats`)).json()) as {
    batches?: Batches
  }
  return stats.batches ?? {}
}
function addBatches(into: Batches, after: Batches, before: Batches): void {
  for (const [size, count] of Object.entries(after)) {
    const n = Number(size)
    into[n] = (into[n] ?? 0) + count - (before[n] ?? 0)
  }
}

/** The Redis the cost rows use: where to connect, and its process (for its CPU time). */
interface CostRedis {
  info: unknown
  pid: number | undefined
}

/** The cost rows (8b), and the batch sizes reached (8f). */
async function cost({
  info: redisInfo,
  pid: redisPid,
}: CostRedis): Promise<{ rows: string[][]; batches: string[][] }> {
  const dir = removeOnExit(mkdtempSync(join(tmpdir(), 'vydra-bench-limits-')))
  const keys = generateKeys()
  const keysFile = join(dir, 'keys.json')
  writeFileSync(keysFile, JSON.stringify(keys))
  const authorizations = keys.map((key) => `Bearer ${key}`)
  const names = (Object.keys(COST_VARIANTS) as CostVariant[]).filter((name) => SELECTED.has(name))
  const runs = new Map<string, Run[]>(COST_ROWS.map((row) => [rowId(row), []]))
  const scripts = new Map<string, number[]>()
  // Redis's own CPU per request answered (µs): what a fleet sharing one Redis pays per check.
  const redisCpu = new Map<string, number[]>()
  const batches = new Map<string, Batches>()
  const onRedis = (name: CostVariant): boolean => name.startsWith('redis')
  // A server process per variant and round, started for it (bench/lib/fresh-server.ts); its
  // rows (one per connection count) are measured on it back to back.
  const start = (name: CostVariant) => (): Promise<ServerProcess> => {
    const { hand } = COST_VARIANTS[name]
    const env: Record<string, string> = hand
      ? name === 'hand-limit'
        ? { BENCH_HAND_LIMIT: '1' }
        : {}
      : name === 'none'
        ? {}
        : { BENCH_LIMITS: name, BENCH_LIMITS_INFO: JSON.stringify(redisInfo) }
    return startServer(hand ? 'fastify-hand' : 'fastify-lib', keysFile, env)
  }
  const check =
    (name: CostVariant) =>
    async (server: ServerProcess): Promise<void> => {
      const probe = await fetch(`${server.url}/api/v1/models`, {
        headers: { authorization: authorizations[0] as string },
      })
      if (probe.status !== 200) throw new Error(`${name}: a valid key got ${probe.status}`)
      if (!isBase(name) && probe.headers.get('ratelimit') === null)
        throw new Error(`${name}: no RateLimit header`)
    }
  const measure = (name: CostVariant, round: number) => async (server: ServerProcess) => {
    const rows = COST_ROWS.filter((row) => row.variant === name)
    for (const row of round % 2 === 0 ? rows : rows.reverse()) {
      const id = rowId(row)
      const redis = onRedis(row.variant)
      const before = redis ? await redisScriptCalls(redisInfo) : 0
      const batchesBefore = redis ? await batchesOf(server) : {}
      const redisCpuBefore = cpuMicros(redisPid)
      const run = await measureRun(server, authorizations, row.connections)
      if (redis) {
        const used = redisCpu.get(id) ?? []
        used.push((cpuMicros(redisPid) - redisCpuBefore) / run.total)
        redisCpu.set(id, used)
        const trips = scripts.get(id) ?? []
        trips.push(((await redisScriptCalls(redisInfo)) - before) / run.total)
        scripts.set(id, trips)
        const into = batches.get(id) ?? {}
        addBatches(into, await batchesOf(server), batchesBefore)
        batches.set(id, into)
      }
      runs.get(id)?.push(run)
    }
  }
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Every order is reversed on the next round: drift hits each row alike.
      const order = round % 2 === 0 ? names : [...names].reverse()
      for (const name of order) {
        await withFreshServer(start(name), check(name), authorizations, measure(name, round))
      }
    }
    const judged = judge((id) => runs.get(id) ?? [])
    const rows = COST_ROWS.map((row) => {
      const id = rowId(row)
      const { label, target, base = 'none' } = COST_VARIANTS[row.variant]
      const none = rowId({ variant: base, connections: row.connections })
      const trip = scripts.get(id)
      const trips = trip === undefined ? '—' : formatRange(summarize(trip), (n) => n.toFixed(3))
      const usedByRedis = redisCpu.get(id)
      const redisShare =
        usedByRedis === undefined ? '—' : `${summarize(usedByRedis).median.toFixed(1)} µs`
      const rps = formatRate(judged.median(id, (r) => r.rps))
      const shares = judged.shares(id)
      const cpu = `${judged.median(id, (r) => r.cpuPerRequest).toFixed(1)} µs`
      const head = [label, String(row.connections), rps, cpu]
      if (isBase(row.variant)) return [...head, '1.00×', '—', shares, trips, redisShare, '—']
      const [ratios, verdict] = judged.target(undefined, id, none, target ?? 0)
      return [
        ...head,
        ratios as string,
        target === undefined ? 'reported, no target' : `≥ ${target.toFixed(2)}×`,
        shares,
        trips,
        redisShare,
        target === undefined ? '—' : (verdict as string),
      ]
    })
    return { rows, batches: batchRows(batches) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

// Per Redis row: checks per script call (mean), and the share of calls by size.
const BATCH_BINS = [1, 2, 4, 8, 16, 32, 64] as const
function batchRows(batches: ReadonlyMap<string, Batches>): string[][] {
  return [...batches].map(([id, sizes]) => {
    const [variant, connections] = id.split('@') as [CostVariant, string]
    let calls = 0
    let checks = 0
    const bins: number[] = BATCH_BINS.map(() => 0)
    for (const [size, count] of Object.entries(sizes)) {
      const n = Number(size)
      calls += count
      checks += n * count
      let bin = 0
      while (bin + 1 < BATCH_BINS.length && n >= (BATCH_BINS[bin + 1] as number)) bin++
      bins[bin] = (bins[bin] ?? 0) + count
    }
    return [
      COST_VARIANTS[variant].label,
      connections,
      String(calls),
      calls === 0 ? '—' : (checks / calls).toFixed(1),
      ...bins.map((count) => (calls === 0 ? '—' : `${((count / calls) * 100).toFixed(0)} %`)),
    ]
  })
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
      'keys',
      'CPU per call (range of rounds)',
      'added by the limit (range)',
      'calls that were a promise',
    ],
    await inProcessCost(),
  )
  printNote(
    'createRequestGuard over a small request object, on 16 keys and on 1,000 (as the HTTP rows), ' +
      'and on 1,000 with 64 KB written to a large buffer after each call (what an HTTP ' +
      "request's own work does to the CPU's caches: these rows come near the limit's cost over " +
      'HTTP; few calls per round with --quick, so their range is wide), ' +
      'rounds alternated (reversed every ' +
      'other round), CPU time of this process (process.cpuUsage), so it holds on a busy ' +
      'machine. A promise is a charge that could not be answered in the turn of the hit (the ' +
      'first take of a lease).',
  )
}

async function printRedisInProcess(redisInfo: unknown): Promise<void> {
  printTable(
    '8e. In process over Redis: what one rate limit on RedisLimitStore adds (CPU per guard call)',
    [
      'guard',
      'CPU per call (range of rounds)',
      'added by the limit (range)',
      'Redis scripts per call',
    ],
    await redisInProcessCost(redisInfo),
  )
  printNote(
    'createRequestGuard with 16 requests in flight, 16 keys, rounds alternated (reversed every ' +
      'other round), CPU time of this process (process.cpuUsage; Redis is another process on ' +
      'the load core), so it holds on a busy machine. Scripts per call: EVALSHA + EVAL calls ' +
      '(INFO commandstats) over guard calls; coalescing sends the checks of one turn together.',
  )
}

async function printCost(redis: CostRedis): Promise<void> {
  const { rows, batches } = await cost(redis)
  printTable(
    '8b. Cost of one rate limit per key (requests per second, median of rounds)',
    [
      'server',
      'connections',
      'req/s',
      'server CPU/req',
      'ratio to no limits (range)',
      'target',
      'server / generator CPU',
      'Redis scripts per request',
      'Redis CPU/req',
      'verdict',
    ],
    rows,
  )
  printNote(
    `The Fastify servers run on ${cpuOf('server')}, a process started for each variant and ` +
      `round (${ROUNDS} rounds); Redis runs on ${cpuOf('load')} with the ` +
      'load generator (pinned there explicitly), as in a deployment where Redis is another ' +
      "machine: its CPU is not counted against the server's. Each row is compared with the " +
      'server without limits under the same connections (the hand-written limit with the ' +
      "hand-written hook without one: the floor of the memory row's ratio, the least a per-key " +
      'limit and its two headers cost). A ratio counts by req/s when both ' +
      'servers saturate their core, else by CPU per request when nothing else ran on it, else ' +
      'it is not valid (bench/lib/judge.ts). With a Redis limit store a request waits a round ' +
      `trip, so at ${CONNECTIONS} connections the server may idle between turns (latency-bound); ` +
      `the rows at ${SATURATING_CONNECTIONS} connections load both servers to their core. Redis ` +
      'scripts per request: EVALSHA + EVAL calls in Redis (INFO commandstats) over requests ' +
      'answered, per round; at most 1 without leasing, amortised (RedisLimitStore sends the ' +
      'checks of one event-loop turn in one script call), less again with leasing. Redis CPU/req: ' +
      "the Redis process's CPU time over the requests answered (median of rounds), what every " +
      'instance of a fleet sharing that Redis adds to it per limited request.',
  )
  printTable(
    '8f. Checks per Redis script call under that load (all rounds)',
    [
      'server',
      'connections',
      'script calls',
      'checks per call (mean)',
      ...BATCH_BINS.map((low, i) => {
        const next = BATCH_BINS[i + 1]
        return next === undefined ? `${low}+` : next - 1 === low ? `${low}` : `${low}–${next - 1}`
      }),
    ],
    batches,
  )
  printNote(
    "Counted in the server (its ioredis client's evalsha, by number of keys): each column is " +
      "the share of script calls that carried that many checks. A turn's checks go together " +
      '(at most maxBatch, 64); maxBatch 1 sends one per call.',
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
      await printRedisInProcess(redis.info)
      await printCost({ info: redis.info, pid: redis.pid })
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
        'start together once connected and stop after 8 refusals. Round trips: on Redis the ' +
        'scripts the server ran (INFO commandstats; RedisLimitStore sends the checks of one ' +
        'turn in one script call), on PostgreSQL the calls that reached the store. Without ' +
        'leasing the documented bound is 0; with LeasingLimitStore (batch ' +
        `${LEASE_BATCH}) the bound is instances x batch = ${WORKERS * LEASE_BATCH}.`,
    )
    if (process.argv.includes('--accuracy-only')) return
    await printCost({ info: redis.info, pid: redis.pid })
    await printInProcess()
    await printRedisInProcess(redis.info)
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
