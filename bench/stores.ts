/**
 * Sections 4 and 6: the PostgreSQL and Redis stores (servers started here, on loopback, like the
 * tests do, and pinned to the server CPU with the HTTP server; this process, the client, on the
 * load CPU), then fleet revocation through bench/fleet-revocation.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { createApiKeyAuth, type KeyStore, MemoryKeyStore } from '../src/index.js'
import {
  findBinaries,
  INSTALL_COMMAND,
  type ManagedServer,
  type PostgresInfo,
  type RedisInfo,
  startPostgres,
  startRedis,
} from '../test/support/servers.js'
import {
  type FleetMember,
  measureFleetRevocation,
  postgresMember,
  redisMember,
} from './fleet-revocation.js'
import { QUICK } from './lib/args.js'
import { removeOnExit } from './lib/cleanup.js'
import { pinSelf, pinTree } from './lib/cpu.js'
import { generateKeys, recordOf, REQUIRED, SHARED } from './http/keys.js'
import { load, loadAmount, WARMUP_S } from './lib/load.js'
import { type ServerProcess, startServer } from './lib/server-process.js'
import { formatRate, formatRatio, formatRange, met, summarize } from './lib/stats.js'
import { printNote, printTable, printUnavailable } from './lib/table.js'

const ROUNDS = QUICK ? 3 : 5
const MISS_SECONDS = QUICK ? 1 : 3
const MISS_CONCURRENCY = 16
const COUNT_REQUESTS = 10_000
const REVOCATIONS = QUICK ? 30 : 200
const STORES = ['memory', 'postgres', 'redis'] as const
type StoreKind = (typeof STORES)[number]

interface Stats {
  findByHash: number
  touch: number
}

async function stats(server: ServerProcess): Promise<Stats> {
  return (await (await fetch(`${server.url}/__bench/stats`)).json()) as Stats
}

/** Cache-miss verifications in this process: `cache: false`, so every call reads the store. */
async function measureMisses(store: KeyStore, keys: readonly string[]) {
  const auth = createApiKeyAuth({ store, cache: false, logger: false, touchIntervalMs: 86_400_000 })
  const latencies: number[] = []
  let next = 0
  const until = performance.now() + MISS_SECONDS * 1000
  const worker = async (): Promise<void> => {
    while (performance.now() < until) {
      const key = keys[next++ % keys.length] as string
      const start = performance.now()
      await auth.verifyKey(key, { scopes: REQUIRED })
      latencies.push(performance.now() - start)
    }
  }
  const started = performance.now()
  await Promise.all(Array.from({ length: MISS_CONCURRENCY }, worker))
  const elapsed = (performance.now() - started) / 1000
  auth.close()
  latencies.sort((a, b) => a - b)
  const at = (p: number): number =>
    latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)] as number
  return { perSecond: latencies.length / elapsed, p50: at(0.5), p99: at(0.99) }
}

async function main(): Promise<void> {
  pinSelf('load')
  const binaries = findBinaries()
  const missing = [
    binaries.postgres === undefined ? 'PostgreSQL' : undefined,
    binaries.redis === undefined ? 'redis-server' : undefined,
  ].filter((m) => m !== undefined)
  if (missing.length > 0) {
    const why = `${missing.join(' and ')} not installed (${INSTALL_COMMAND})`
    printUnavailable('4. Real stores', why)
    printUnavailable('6. Fleet revocation', why)
    return
  }
  const dir = removeOnExit(mkdtempSync(join(tmpdir(), 'vydra-bench-')))
  const servers: ManagedServer<PostgresInfo | RedisInfo>[] = []
  const members: FleetMember[] = []
  const http = new Map<StoreKind, ServerProcess>()
  try {
    const [postgres, redis] = await Promise.all([startPostgres(), startRedis({ persistent: true })])
    servers.push(postgres, redis)
    for (const server of servers) pinTree(server.pid, 'server')
    const keys = generateKeys()
    const keysFile = join(dir, 'keys.json')
    writeFileSync(keysFile, JSON.stringify(keys))
    const authorizations = keys.map((key) => `Bearer ${key}`)
    const memory = new MemoryKeyStore()
    const pgMember = await postgresMember(postgres.info)(SHARED)
    const redisMemberStore = await redisMember(redis.info)(SHARED)
    members.push(pgMember, redisMemberStore)
    const stores: Record<StoreKind, KeyStore> = {
      memory,
      postgres: pgMember.store,
      redis: redisMemberStore.store,
    }
    for (const store of Object.values(stores)) {
      for (const [i, key] of keys.entries()) await store.insert(recordOf(key, i))
    }
    const infos: Record<StoreKind, unknown> = {
      memory: {},
      postgres: postgres.info,
      redis: redis.info,
    }

    // Store calls per 10,000 requests, from a cold cache and then at steady state.
    const counts = new Map<StoreKind, { cold: Stats; steady: Stats }>()
    for (const kind of STORES) {
      const server = await startServer('fastify-lib', keysFile, {
        BENCH_STORE: kind,
        BENCH_STORE_INFO: JSON.stringify(infos[kind]),
      })
      http.set(kind, server)
      const s0 = await stats(server)
      const cold = await loadAmount(server.url, authorizations, COUNT_REQUESTS)
      const s1 = await stats(server)
      const steady = await loadAmount(server.url, authorizations, COUNT_REQUESTS)
      const s2 = await stats(server)
      if (cold.failures + steady.failures > 0) throw new Error(`${kind}: failed responses`)
      counts.set(kind, {
        cold: { findByHash: s1.findByHash - s0.findByHash, touch: s1.touch - s0.touch },
        steady: { findByHash: s2.findByHash - s1.findByHash, touch: s2.touch - s1.touch },
      })
      await load(server.url, authorizations, WARMUP_S)
    }

    // Cache-hit throughput, interleaved.
    const rps = new Map<StoreKind, number[]>(STORES.map((k) => [k, []]))
    const p99 = new Map<StoreKind, number[]>(STORES.map((k) => [k, []]))
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < STORES.length; i++) {
        const kind = STORES[(i + round) % STORES.length] as StoreKind
        const result = await load((http.get(kind) as ServerProcess).url, authorizations)
        if (result.failures > 0) throw new Error(`${kind}: ${result.failures} failed responses`)
        rps.get(kind)?.push(result.rps)
        p99.get(kind)?.push(result.p99)
      }
    }
    const misses = new Map<StoreKind, Awaited<ReturnType<typeof measureMisses>>>()
    for (const kind of STORES) misses.set(kind, await measureMisses(stores[kind], keys))

    const memoryRps = rps.get('memory') ?? []
    const rows = STORES.map((kind) => {
      const values = rps.get(kind) ?? []
      const s = summarize(values)
      const ratio = summarize(values.map((v, r) => v / (memoryRps[r] ?? 1)))
      const miss = misses.get(kind)
      const count = counts.get(kind)
      return [
        kind === 'memory'
          ? 'MemoryKeyStore'
          : kind === 'postgres'
            ? 'PostgresKeyStore'
            : 'RedisKeyStore',
        formatRate(s.median),
        formatRange(s, formatRate),
        `${summarize(p99.get(kind) ?? []).median.toFixed(1)} ms`,
        kind === 'memory' ? '1.00×' : formatRatio(ratio),
        kind === 'memory' ? '' : `≥ 0.90× memory: ${met(ratio.median >= 0.9)}`,
        formatRate(miss?.perSecond ?? 0),
        `${miss?.p50.toFixed(2)} / ${miss?.p99.toFixed(2)} ms`,
        `${count?.cold.findByHash} / ${count?.steady.findByHash}`,
        `${count?.cold.touch} / ${count?.steady.touch}`,
        met((count?.cold.findByHash ?? Infinity) <= keys.length),
      ]
    })
    printTable(
      `4. Real stores (Fastify + requireApiKey, 1,000 keys; ${ROUNDS} interleaved rounds)`,
      [
        'store',
        'cache-hit req/s',
        'min–max',
        'p99',
        'vs memory',
        'target met?',
        'cache-miss verifications/s',
        'miss p50 / p99',
        'findByHash per 10k req (cold / steady)',
        'touch per 10k req (cold / steady)',
        'queries ≤ distinct keys?',
      ],
      rows,
    )
    printNote(
      `Cache misses: \`verifyKey\` in one process with \`cache: false\`, ${MISS_CONCURRENCY} ` +
        `concurrent callers for ${MISS_SECONDS} s, round-robin over the 1,000 keys. Store calls ` +
        `are counted by a wrapper around the store inside the server: the first ${COUNT_REQUESTS} ` +
        `requests after start (cold cache), then the next ${COUNT_REQUESTS} (steady state); ` +
        `requests go round-robin over all ${keys.length} keys.`,
    )

    const fleet = await measureFleetRevocation(
      { postgres: postgres.info, redis: redis.info },
      { revocations: REVOCATIONS },
    )
    printTable(
      `6. Fleet revocation (revokeKey on instance A until KEY_REVOKED on instance B)`,
      ['store', 'revocations', 'p50', 'p99', 'max'],
      Object.entries(fleet).map(([name, s]) => [
        name === 'postgres' ? 'PostgreSQL (LISTEN/NOTIFY)' : 'Redis (pub/sub)',
        String(s.samples.length),
        `${s.p50.toFixed(2)} ms`,
        `${s.p99.toFixed(2)} ms`,
        `${s.max.toFixed(2)} ms`,
      ]),
    )
  } finally {
    await Promise.all([...http.values()].map((s) => s.stop()))
    for (const member of members) await member.close().catch(() => {})
    await Promise.all(servers.map((s) => s.close()))
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
