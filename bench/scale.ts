/**
 * Section 7, scale: what a cache miss costs as the store grows (10³, 10⁵ and 10⁶ keys in
 * PostgreSQL, Redis and SQLite, seeded in bulk here), and the heap each cached key takes.
 * This process (the client) runs on the load CPU, PostgreSQL and Redis on the server CPU.
 *
 * A miss is `createApiKeyAuth({ cache: false }).verifyKey` of a key present in the store,
 * probes spread evenly over the table and visited in random order, so most are not in the
 * database's own cache either. Each size is its own table / namespace / file, so the rounds
 * interleave sizes and the ratios pair runs made under the same conditions.
 *
 * `--scale-sizes=1000,100000` and `--scale-stores=postgres,sqlite` narrow the run;
 * `--sqlite-mmap=<bytes>` opens the SQLite store with that `mmapSize`, `--sqlite-cache=<KiB>` on
 * a connection whose page cache holds that many KiB (`PRAGMA cache_size = -<KiB>`; unset: the
 * store's default, 128 MiB; `--sqlite-cache=16000` is better-sqlite3's own default, the store's
 * before 0.2); the plan column says which.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { Redis } from 'ioredis'
import pg from 'pg'
import { createApiKeyAuth, type ApiKeyAuth, type KeyStore } from '../src/index.js'
import {
  findBinaries,
  INSTALL_COMMAND,
  type ManagedServer,
  startPostgres,
  startRedis,
} from '../test/support/servers.js'
import { intOption, option, QUICK } from './lib/args.js'
import { removeOnExit } from './lib/cleanup.js'
import { cpuOf, pinSelf, pinTree } from './lib/cpu.js'
import {
  formatBytes,
  formatCount,
  formatRate,
  formatRatio,
  met,
  percentile,
  summarize,
} from './lib/stats.js'
import { printNote, printTable, printUnavailable } from './lib/table.js'
import { recordTarget } from './lib/targets.js'
import { canMeasureHeap, heapPerCachedKey } from './scale/heap.js'
import { REQUIRED, type Probe } from './scale/rows.js'
import { type Seeded, seedPostgres, seedRedis, seedSqlite, type StoreKind } from './scale/seed.js'

const list = (name: string): string[] | undefined => option(name)?.split(',')
const SIZES = (
  list('scale-sizes') ?? (QUICK ? ['1000', '10000', '100000'] : ['1000', '100000', '1000000'])
)
  .map(Number)
  .sort((a, b) => a - b)
const HEAP_SIZES = QUICK ? [10_000, 100_000] : [10_000, 100_000, 1_000_000]
/** `SqliteKeyStore`'s `mmapSize` (`--sqlite-mmap=<bytes>`); unset: the store's default. */
const SQLITE_MMAP = option('sqlite-mmap') === undefined ? undefined : intOption('sqlite-mmap', 1)
/** The store's page cache in KiB (`--sqlite-cache=<KiB>`); unset: the connection's default. */
const SQLITE_CACHE_KIB =
  option('sqlite-cache') === undefined ? undefined : intOption('sqlite-cache', 1)
const STORES = (list('scale-stores') ?? ['postgres', 'redis', 'sqlite']) as StoreKind[]
const ROUNDS = QUICK ? 2 : 5
/** Seconds per size and round: one caller (latency), then CALLERS at once (throughput). */
const SEQUENTIAL_S = QUICK ? 0.5 : 2
const CONCURRENT_S = QUICK ? 0.5 : 2
const CALLERS = 16
/** Real keys per size (every row below this size), spread evenly over the rows. */
const PROBES = QUICK ? 2_000 : 10_000
/** Issue 10: a miss at the largest size costs at most this much more than at 10³. */
const GROWTH_TARGET = 1.5
const NAMES: Record<StoreKind, string> = {
  postgres: 'PostgresKeyStore',
  redis: 'RedisKeyStore',
  sqlite: 'SqliteKeyStore',
}

if (SIZES.some((n) => !Number.isInteger(n) || n < 1 || n > 10_000_000)) {
  throw new Error('--scale-sizes: integers from 1 to 10,000,000')
}

const log = (line: string): void => {
  process.stderr.write(`[scale] ${line}\n`)
}

// The store as verification uses it, without `touch` (a write, off the request path, that
// would add load of its own) and without `onRevoke`: every call is one `findByHash`.
function lookupOnly(store: KeyStore): KeyStore {
  return {
    insert: (record) => store.insert(record),
    findByHash: (hash) => store.findByHash(hash),
    listByUser: (userId) => store.listByUser(userId),
    revoke: (id, userId, at) => store.revoke(id, userId, at),
  }
}

function shuffle<T>(values: T[]): T[] {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[values[i], values[j]] = [values[j] as T, values[i] as T]
  }
  return values
}

/** One size of one store under measurement. */
interface Subject {
  seeded: Seeded
  auth: ApiKeyAuth
  order: Probe[]
  next: number
  p50: number[]
  p99: number[]
  perSecond: number[]
}

// `callers` concurrent loops of verifyKey for `seconds`, each on the next probe.
async function run(subject: Subject, seconds: number, callers: number) {
  const latencies: number[] = []
  const until = performance.now() + seconds * 1000
  const worker = async (): Promise<void> => {
    while (performance.now() < until) {
      const probe = subject.order[subject.next++ % subject.order.length] as Probe
      const start = performance.now()
      await subject.auth.verifyKey(probe.key, { scopes: REQUIRED })
      latencies.push(performance.now() - start)
    }
  }
  const started = performance.now()
  await Promise.all(Array.from({ length: callers }, worker))
  const elapsed = (performance.now() - started) / 1000
  latencies.sort((a, b) => a - b)
  return { latencies, perSecond: latencies.length / elapsed }
}

async function subjectOf(seeded: Seeded): Promise<Subject> {
  const auth = createApiKeyAuth({ store: lookupOnly(seeded.store), cache: false, logger: false })
  // Checks that the seeded rows are in the layout the store reads: a wrong layout fails here.
  for (const probe of seeded.probes.slice(0, 3)) {
    const principal = await auth.verifyKey(probe.key, { scopes: REQUIRED }).catch((e: unknown) => e)
    if ((principal as { keyId?: string }).keyId !== probe.id) {
      throw new Error(
        `${NAMES[seeded.kind]}: a seeded key did not verify (${String(principal)}): the bench ` +
          `seeds a layout this store no longer reads (bench/scale/seed.ts)`,
      )
    }
  }
  return {
    seeded,
    auth,
    order: shuffle([...seeded.probes]),
    next: 0,
    p50: [],
    p99: [],
    perSecond: [],
  }
}

async function heapSection(): Promise<void> {
  const title = '7a. Heap per cached key (positive cache filled with N verified keys)'
  if (!canMeasureHeap()) {
    printUnavailable(title, 'run with `node --expose-gc` (npm run bench does)')
    return
  }
  const rows: string[][] = []
  for (const n of HEAP_SIZES) {
    log(`heap: filling the cache with ${n.toLocaleString('en')} keys`)
    const r = await heapPerCachedKey(n)
    rows.push([
      formatCount(n),
      `${r.cached.toLocaleString('en')} / ${r.touched.toLocaleString('en')}`,
      formatBytes(r.bytes),
      `${(r.bytes / r.cached).toFixed(0)} B`,
      `${(r.fillMs / 1000).toFixed(1)} s`,
    ])
  }
  printTable(
    title,
    [
      'keys verified',
      'cached / touch times held',
      'heap growth after GC',
      'per cached key',
      'fill time',
    ],
    rows,
  )
  printNote(
    '`createApiKeyAuth({ cache: { maxEntries: N } })` over a MemoryKeyStore whose records are ' +
      'in the baseline (its `touch` stores nothing); heap after two forced GCs before and after ' +
      'verifying N distinct keys, 256 at a time. Per key: the positive cache entry (record ' +
      'copy, digest, LRU links) and the remembered `touch` time.',
  )
}

async function main(): Promise<void> {
  pinSelf('load')
  await heapSection()
  const binaries = findBinaries()
  const missing: string[] = []
  const dir = removeOnExit(mkdtempSync(join(tmpdir(), 'vydra-bench-scale-')))
  const servers: ManagedServer<unknown>[] = []
  const subjects = new Map<StoreKind, Subject[]>()
  let pool: pg.Pool | undefined
  let redis: Redis | undefined
  try {
    for (const kind of STORES) {
      const seed = async (size: number): Promise<Seeded | undefined> => {
        if (kind === 'sqlite') {
          return seedSqlite(dir, size, PROBES, SQLITE_MMAP, SQLITE_CACHE_KIB)
        }
        if (kind === 'postgres') {
          if (binaries.postgres === undefined) return undefined
          if (pool === undefined) {
            const server = await startPostgres()
            servers.push(server)
            pinTree(server.pid, 'server')
            pool = new pg.Pool({ ...server.info, max: CALLERS })
            pool.on('error', () => {})
          }
          return seedPostgres(pool, size, PROBES)
        }
        if (binaries.redis === undefined) return undefined
        if (redis === undefined) {
          const server = await startRedis()
          servers.push(server)
          pinTree(server.pid, 'server')
          redis = new Redis({ host: server.info.host, port: server.info.port })
          redis.on('error', () => {})
        }
        return seedRedis(redis, size, PROBES)
      }
      for (const size of SIZES) {
        log(`seeding ${NAMES[kind]} with ${size.toLocaleString('en')} keys`)
        const seeded = await seed(size)
        if (seeded === undefined) {
          missing.push(kind)
          break
        }
        log(`  ${(seeded.seedMs / 1000).toFixed(1)} s`)
        const list = subjects.get(kind) ?? []
        list.push(await subjectOf(seeded))
        subjects.set(kind, list)
      }
    }
    for (const list of subjects.values()) {
      for (const subject of list) await run(subject, QUICK ? 0.2 : 0.5, CALLERS) // warm-up
    }
    for (let round = 0; round < ROUNDS; round++) {
      log(`round ${round + 1} of ${ROUNDS}`)
      for (const list of subjects.values()) {
        for (let i = 0; i < list.length; i++) {
          const subject = list[(i + round) % list.length] as Subject
          const alone = await run(subject, SEQUENTIAL_S, 1)
          subject.p50.push(percentile(alone.latencies, 0.5))
          subject.p99.push(percentile(alone.latencies, 0.99))
          subject.perSecond.push((await run(subject, CONCURRENT_S, CALLERS)).perSecond)
        }
      }
    }
    report(subjects, missing)
  } finally {
    for (const list of subjects.values()) {
      for (const subject of list) {
        subject.auth.close()
        await subject.seeded.close().catch(() => {})
      }
    }
    await pool?.end().catch(() => {})
    redis?.disconnect()
    await Promise.all(servers.map((s) => s.close()))
    rmSync(dir, { recursive: true, force: true })
  }
}

function report(subjects: Map<StoreKind, Subject[]>, missing: string[]): void {
  const rows: string[][] = []
  const plans: string[][] = []
  for (const [kind, list] of subjects) {
    const first = list[0] as Subject
    const last = list[list.length - 1] as Subject
    const vsFirst = (subject: Subject, pick: (s: Subject) => number[], invert = false) =>
      summarize(
        pick(subject).map((value, round) => {
          const base = pick(first)[round] ?? Number.NaN
          return invert ? base / value : value / base
        }),
      )
    for (const subject of list) {
      const growth = vsFirst(subject, (s) => s.p50)
      const slowdown = vsFirst(subject, (s) => s.perSecond, true)
      const isLast = subject === last && list.length > 1
      rows.push([
        NAMES[kind],
        formatCount(subject.seeded.size),
        `${(subject.seeded.seedMs / 1000).toFixed(1)} s`,
        formatBytes(Math.round(subject.seeded.bytesPerKey)),
        `${summarize(subject.p50).median.toFixed(3)} / ${summarize(subject.p99).median.toFixed(3)} ms`,
        subject === first ? '1.00×' : formatRatio(growth),
        formatRate(summarize(subject.perSecond).median),
        subject === first ? '1.00×' : formatRatio(slowdown),
        isLast ? `≤ ${GROWTH_TARGET}×: ${met(growth.median <= GROWTH_TARGET)}` : '',
      ])
      plans.push([NAMES[kind], formatCount(subject.seeded.size), subject.seeded.plan])
      if (isLast && first.seeded.size === 1_000) {
        recordTarget({
          id: `scale-${kind}`,
          measured: `p50 ${formatRatio(growth)} at ${formatCount(subject.seeded.size)}; time per verification at ${CALLERS} callers ${slowdown.median.toFixed(2)}×`,
          met: growth.median <= GROWTH_TARGET,
        })
      }
    }
  }
  printTable(
    `7b. Scale: cache misses as the store grows (${ROUNDS} interleaved rounds)`,
    [
      'store',
      'keys',
      'seeding',
      'storage per key',
      'miss p50 / p99, 1 caller',
      'p50 vs 10³',
      `verifications/s, ${CALLERS} callers`,
      'time per verification vs 10³',
      'target met?',
    ],
    rows,
  )
  printNote(
    `Each round measures every size of a store once (rotating the order): ${SEQUENTIAL_S} s with ` +
      `one caller (latency), then ${CONCURRENT_S} s with ${CALLERS} concurrent callers ` +
      `(throughput; PostgreSQL pool of ${CALLERS}, one ioredis connection). ` +
      '`verifyKey` with `cache: false` over a store without `touch`, so every call is one ' +
      `\`findByHash\`; up to ${PROBES.toLocaleString('en')} real keys per size, spread evenly ` +
      'over the rows, in random order; the other rows are fillers of the same shape. ' +
      `Ratios are per round against the smallest size. Client on ${cpuOf('load')}, PostgreSQL ` +
      `and Redis on ${cpuOf('server')}. Storage: pg_total_relation_size (table and indexes), ` +
      "Redis used_memory growth, SQLite page_count × page_size. Seeding includes PostgreSQL's " +
      'VACUUM (ANALYZE) and the SQLite WAL checkpoint.' +
      (missing.length > 0 ? ` Not measured: ${missing.join(', ')} (${INSTALL_COMMAND}).` : ''),
  )
  printTable('7c. How each store finds a key', ['store', 'keys', 'plan'], plans)
}

await main()
