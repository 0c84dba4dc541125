/**
 * Fleet lifecycle: with N instances sharing a store (each its own connections and its own
 * verification cache, the key cached everywhere first), how long after instance A starts a
 * disable, a narrowing (`updateKey` removing a scope), a second roll (which ends the first
 * key's grace at once) or a lowered usage limit (`updateKey({ limits })`, issue 12) does the last
 * of the other instances refuse the key? Measured on
 * PostgreSQL (LISTEN/NOTIFY) and Redis (pub/sub), 10 instances by default.
 *
 * Run alone (starts its own servers): `npx tsx bench/fleet-lifecycle.ts [--rounds=30] [--instances=10]`,
 * or as a section: `npm run bench -- --only=fleet-lifecycle`.
 * From code: `measureFleetLifecycle({ postgres, redis }, { rounds: 30, instances: 10 })`.
 */
import { performance } from 'node:perf_hooks'
import { setImmediate as yieldToIo } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import { randomBytes } from 'node:crypto'
import { createApiKeyAuth, isAuthError, type ApiKeyAuth } from '../src/index.js'
import type { PostgresInfo, RedisInfo } from '../test/support/servers.js'
import {
  postgresMember,
  redisMember,
  summarize,
  type FleetMember,
  type OpenMember,
  type PropagationStats,
} from './fleet-revocation.js'

/** The changes measured. */
export type LifecycleChange = 'disable' | 'narrow' | 'rollGraceEnd' | 'limits'

/** Per change: delay until the last instance refused the key. */
export type FleetLifecycleStats = Record<LifecycleChange, PropagationStats>

const SCOPES = ['jobs:read', 'jobs:write']
const CHECK = { scopes: ['jobs:write'] }

// What each change makes the other instances answer for the key (with CHECK).
const REFUSAL: Record<LifecycleChange, string> = {
  disable: 'KEY_DISABLED',
  narrow: 'INSUFFICIENT_SCOPE',
  rollGraceEnd: 'KEY_EXPIRED',
  limits: 'RATE_LIMITED',
}

// Issue 12: the watched key starts with a limit it never reaches; the update lowers it to 1 in
// the same window, which every instance's own count (one charge at least) already exceeds.
const WIDE = { rate: [{ name: 'w', limit: 1_000_000, windowMs: 60_000 }] }
const LOWERED = { rate: [{ name: 'w', limit: 1, windowMs: 60_000 }] }

// One verification as a guard does it: the key, its scopes, then (for limits) one charge.
async function check(auth: ApiKeyAuth, key: string, change: LifecycleChange): Promise<void> {
  const principal = await auth.verifyKey(key, CHECK)
  if (change === 'limits') await auth.chargeLimits(principal)
}

// Resolves once `auth` refuses `key` with `code`; it answers from its cache until its store's
// push evicts the entry (the cache's TTL is far longer than a round), so this measures the push.
async function untilRefused(
  auth: ApiKeyAuth,
  key: string,
  change: LifecycleChange,
  deadlineMs: number,
): Promise<void> {
  const code = REFUSAL[change]
  const deadline = performance.now() + deadlineMs
  for (;;) {
    try {
      await check(auth, key, change)
    } catch (error) {
      if (isAuthError(error) && error.code === code) return
      throw error
    }
    if (performance.now() > deadline) throw new Error(`an instance still accepts the key`)
    await yieldToIo()
  }
}

// Prepares the key to watch (cached on every instance), then makes the change through A.
async function round(
  change: LifecycleChange,
  a: ApiKeyAuth,
  others: ApiKeyAuth[],
  i: number,
): Promise<number> {
  // An owner per round, so that maxKeysPerUser never refuses a round.
  const USER = `fleet_${change}_${i + 3}`
  const created = await a.createKey({
    userId: USER,
    name: `k${i}`,
    scopes: SCOPES,
    ...(change === 'limits' ? { limits: WIDE } : {}),
  })
  const watched = created.key
  let act: () => Promise<unknown>
  if (change === 'rollGraceEnd') {
    // First roll: the old key keeps working for an hour. The second roll ends that grace now.
    const first = await a.rollKey({ userId: USER, keyId: created.id, gracePeriodMs: 3_600_000 })
    act = () => a.rollKey({ userId: USER, keyId: first.id, gracePeriodMs: 3_600_000 })
  } else if (change === 'limits') {
    act = () => a.updateKey({ userId: USER, keyId: created.id, limits: LOWERED })
  } else if (change === 'disable') {
    act = () => a.disableKey({ userId: USER, keyId: created.id })
  } else {
    act = () => a.updateKey({ userId: USER, keyId: created.id, scopes: ['jobs:read'] })
  }
  for (const auth of others) await check(auth, watched, change)
  const start = performance.now()
  await act()
  await Promise.all(others.map((auth) => untilRefused(auth, watched, change, 10_000)))
  return performance.now() - start
}

/**
 * Opens `instances` members on one fresh shared store, and for each change runs `rounds`
 * measured rounds (after 3 warm-up ones): the delay from the call on instance A to the moment
 * every other instance refuses the key.
 */
export async function measureLifecycle(
  open: OpenMember,
  options: { rounds?: number; instances?: number } = {},
): Promise<FleetLifecycleStats> {
  const rounds = options.rounds ?? 30
  const count = options.instances ?? 10
  const shared = `fleetlc_${randomBytes(6).toString('hex')}`
  const members: FleetMember[] = []
  for (let i = 0; i < count; i++) members.push(await open(shared))
  const auths = members.map((m) =>
    createApiKeyAuth({ store: m.store, logger: false, cache: { ttlMs: 30_000 } }),
  )
  const [a, ...others] = auths as [ApiKeyAuth, ...ApiKeyAuth[]]
  const out: Partial<FleetLifecycleStats> = {}
  try {
    for (const change of ['disable', 'narrow', 'rollGraceEnd', 'limits'] as const) {
      const samples: number[] = []
      for (let i = -3; i < rounds; i++) {
        const ms = await round(change, a, others, i)
        if (i >= 0) samples.push(ms)
      }
      out[change] = summarize(samples)
    }
  } finally {
    for (const auth of auths) auth.close()
    await Promise.all(members.map((m) => m.close()))
  }
  return out as FleetLifecycleStats
}

/** Connection info of the servers to measure; a missing one is skipped. */
export interface FleetLifecycleConnections {
  postgres?: PostgresInfo | null
  redis?: RedisInfo | null
}

/** Measures each change on each given server. */
export async function measureFleetLifecycle(
  connections: FleetLifecycleConnections,
  options: { rounds?: number; instances?: number } = {},
): Promise<{ postgres?: FleetLifecycleStats; redis?: FleetLifecycleStats }> {
  const out: { postgres?: FleetLifecycleStats; redis?: FleetLifecycleStats } = {}
  if (connections.postgres != null) {
    out.postgres = await measureLifecycle(postgresMember(connections.postgres), options)
  }
  if (connections.redis != null) {
    out.redis = await measureLifecycle(redisMember(connections.redis), options)
  }
  return out
}

/** One line per store and change: `postgres  disable       p50 … p99 … max … (n=30)`. */
export function formatFleetLifecycle(results: {
  postgres?: FleetLifecycleStats
  redis?: FleetLifecycleStats
}): string {
  const lines: string[] = []
  for (const [store, stats] of Object.entries(results)) {
    for (const [change, s] of Object.entries(stats)) {
      lines.push(
        `${store.padEnd(9)} ${change.padEnd(13)} p50 ${s.p50.toFixed(2)} ms  ` +
          `p99 ${s.p99.toFixed(2)} ms  max ${s.max.toFixed(2)} ms  (n=${s.samples.length})`,
      )
    }
  }
  return lines.join('\n')
}

async function main(): Promise<void> {
  const { findBinaries, INSTALL_COMMAND, startPostgres, startRedis } =
    await import('../test/support/servers.js')
  const { intOption, QUICK } = await import('./lib/args.js')
  const { loadavg } = await import('node:os')
  const { printNote, printTable, printUnavailable } = await import('./lib/table.js')
  const title = '9. Fleet lifecycle (a change on instance A until every other instance refuses)'
  const binaries = findBinaries()
  if (binaries.postgres === undefined || binaries.redis === undefined) {
    printUnavailable(title, `PostgreSQL or redis-server not installed (${INSTALL_COMMAND})`)
    return
  }
  const rounds = intOption('rounds', QUICK ? 10 : 30)
  const instances = intOption('instances', 10)
  const loadAtStart = loadavg()[0] ?? 0
  const [postgres, redis] = await Promise.all([startPostgres(), startRedis({ persistent: true })])
  try {
    const results = await measureFleetLifecycle(
      { postgres: postgres.info, redis: redis.info },
      { rounds, instances },
    )
    const rows: string[][] = []
    for (const [store, stats] of Object.entries(results)) {
      for (const [change, s] of Object.entries(stats)) {
        rows.push([
          store === 'postgres' ? 'PostgreSQL (LISTEN/NOTIFY)' : 'Redis (pub/sub)',
          change,
          String(s.samples.length),
          `${s.p50.toFixed(2)} ms`,
          `${s.p99.toFixed(2)} ms`,
          `${s.max.toFixed(2)} ms`,
          s.p99 < 50 ? 'met' : '**missed**',
        ])
      }
    }
    printTable(title, ['store', 'change', 'rounds', 'p50', 'p99', 'max', 'p99 < 50 ms'], rows)
    printNote(
      `${instances} instances (each its own pool or client, its own cache), one process, ` +
        `servers started by the section. Each round creates a key, caches it on every other ` +
        `instance, then times from the call on A (disableKey; updateKey removing the scope the ` +
        `check needs; a second rollKey, which ends the first key's grace; updateKey lowering ` +
        `the key's rate limit below what each instance has counted) to the moment the ` +
        `last instance refuses it. Load average at start: ${loadAtStart.toFixed(2)} ` +
        `(2 cores shared by other sessions: above 2 the machine was busy).`,
    )
  } finally {
    await Promise.all([postgres.close(), redis.close()])
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main()
}
