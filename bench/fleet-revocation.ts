/**
 * Fleet revocation: how long after instance A starts revoking a key does instance B (its own
 * connections, its verification cache on) reject that key? Measured on PostgreSQL
 * (LISTEN/NOTIFY) and Redis (pub/sub).
 *
 * Run alone (starts its own servers): `npx tsx bench/fleet-revocation.ts [revocations]`.
 * From code: `measureFleetRevocation({ postgres, redis }, { revocations: 100 })`.
 */
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { setImmediate as yieldToIo } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import { Redis } from 'ioredis'
import pg from 'pg'
import {
  PostgresKeyStore,
  type PostgresKeyStoreOptions,
} from '../adapters/stores/postgres/index.js'
import { RedisKeyStore, type RedisKeyStoreOptions } from '../adapters/stores/redis/index.js'
import { createApiKeyAuth, isAuthError, type KeyStore } from '../src/index.js'
import type { PostgresInfo, RedisInfo } from '../test/support/servers.js'

/** Propagation delays in milliseconds. */
export interface PropagationStats {
  /** Median delay. */
  p50: number
  /** 99th percentile (nearest rank). */
  p99: number
  /** Largest delay. */
  max: number
  /** Every delay, in measurement order. */
  samples: number[]
}

/** One instance's view of a shared store: its own connections. */
export interface FleetMember {
  store: KeyStore
  close(): Promise<void>
}

/** Opens a fresh member on the shared store named `shared` (a table or a namespace). */
export type OpenMember = (shared: string) => Promise<FleetMember>

/** A {@link FleetMember} on PostgreSQL: its own pool (and so its own LISTEN connection). */
export function postgresMember(
  info: PostgresInfo,
  poolOptions: pg.PoolConfig = {},
  storeOptions: Omit<PostgresKeyStoreOptions, 'table'> = {},
): OpenMember {
  return async (table) => {
    // Named after the shared table, so tests can find this member's connections on the server.
    const pool = new pg.Pool({ ...info, max: 5, application_name: table, ...poolOptions })
    pool.on('error', () => {})
    // Start-up warnings (the test servers run with fsync = off) are not what is measured.
    const store = new PostgresKeyStore(pool, { logger: false, ...storeOptions, table })
    await store.migrate()
    return {
      store,
      close: async () => {
        await store.close()
        await pool.end()
      },
    }
  }
}

/** A {@link FleetMember} on Redis: its own client (and so its own subscriber). */
export function redisMember(
  info: RedisInfo,
  storeOptions: Omit<RedisKeyStoreOptions, 'namespace'> = {},
): OpenMember {
  return async (namespace) => {
    // Named (the subscriber inherits it), so tests can find this member's connections.
    const client = new Redis({ host: info.host, port: info.port, connectionName: namespace })
    client.on('error', () => {})
    const store = new RedisKeyStore(client, { ...storeOptions, namespace: `${namespace}:` })
    return {
      store,
      close: async () => {
        await store.close()
        client.disconnect()
      },
    }
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank] as number
}

/** p50, p99 and max of `samples`. */
export function summarize(samples: number[]): PropagationStats {
  const sorted = [...samples].sort((a, b) => a - b)
  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    samples,
  }
}

// Asks B until it rejects the key as revoked; B answers from its cache until its store's
// onRevoke evicts the entry, so this measures the push, not a cache expiry.
async function untilRevoked(
  auth: ReturnType<typeof createApiKeyAuth>,
  key: string,
  deadlineMs: number,
): Promise<void> {
  const deadline = performance.now() + deadlineMs
  for (;;) {
    try {
      await auth.verifyKey(key)
    } catch (error) {
      if (isAuthError(error) && error.code === 'KEY_REVOKED') return
      throw error
    }
    if (performance.now() > deadline) throw new Error(`B still accepts a key revoked through A`)
    await yieldToIo()
  }
}

/**
 * Revokes `revocations` keys through instance A, each verified (so cached) on instance B first,
 * and times from the call of `revokeKey` on A to B's first `KEY_REVOKED`.
 */
export async function measurePropagation(
  open: OpenMember,
  options: { revocations?: number; shared?: string } = {},
): Promise<PropagationStats> {
  const revocations = options.revocations ?? 100
  const shared = options.shared ?? `fleet_${randomBytes(6).toString('hex')}`
  const a = await open(shared)
  const b = await open(shared)
  // B's clock stands still, so its cache never expires: only the push can evict.
  const frozen = Date.now()
  const authA = createApiKeyAuth({ store: a.store, logger: false })
  const authB = createApiKeyAuth({ store: b.store, logger: false, now: () => frozen })
  const samples: number[] = []
  try {
    const userId = 'fleet_bench'
    // Warm-up (not measured): connections, prepared statements, B's subscription.
    for (let i = -3; i < revocations; i++) {
      const created = await authA.createKey({ userId, name: `k${i}` })
      await authB.verifyKey(created.key)
      const start = performance.now()
      await authA.revokeKey({ userId, keyId: created.id })
      await untilRevoked(authB, created.key, 10_000)
      if (i >= 0) samples.push(performance.now() - start)
    }
  } finally {
    authA.close()
    authB.close()
    await Promise.all([a.close(), b.close()])
  }
  return summarize(samples)
}

/** Connection info of the servers to measure; a missing one is skipped. */
export interface FleetConnections {
  postgres?: PostgresInfo | null
  redis?: RedisInfo | null
}

/** Measures A→B revocation propagation on each given server. */
export async function measureFleetRevocation(
  connections: FleetConnections,
  options: { revocations?: number } = {},
): Promise<{ postgres?: PropagationStats; redis?: PropagationStats }> {
  const out: { postgres?: PropagationStats; redis?: PropagationStats } = {}
  if (connections.postgres != null) {
    out.postgres = await measurePropagation(postgresMember(connections.postgres), options)
  }
  if (connections.redis != null) {
    out.redis = await measurePropagation(redisMember(connections.redis), options)
  }
  return out
}

/** One line per store: `postgres  p50 0.62 ms  p99 1.90 ms  max 2.10 ms  (n=100)`. */
export function formatFleetRevocation(results: {
  postgres?: PropagationStats
  redis?: PropagationStats
}): string {
  return Object.entries(results)
    .map(
      ([name, s]) =>
        `${name.padEnd(9)} p50 ${s.p50.toFixed(2)} ms  p99 ${s.p99.toFixed(2)} ms  ` +
        `max ${s.max.toFixed(2)} ms  (n=${s.samples.length})`,
    )
    .join('\n')
}

async function main(): Promise<void> {
  const { startPostgres, startRedis } = await import('../test/support/servers.js')
  const revocations = Number(process.argv[2] ?? 100)
  const [postgres, redis] = await Promise.all([startPostgres(), startRedis({ persistent: true })])
  try {
    const results = await measureFleetRevocation(
      { postgres: postgres.info, redis: redis.info },
      { revocations },
    )
    console.log(`Fleet revocation, A→B propagation over ${revocations} revocations`)
    console.log(formatFleetRevocation(results))
  } finally {
    await Promise.all([postgres.close(), redis.close()])
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
}
