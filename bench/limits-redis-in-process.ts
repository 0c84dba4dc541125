/**
 * Section 8e (issue 12): what one rate limit on `RedisLimitStore` adds to a cache hit, in this
 * process, without HTTP: `createRequestGuard` with 16 requests in flight (16 loops, as 16
 * connections of a server), the same key verified by services that differ only in their limits:
 * none, Redis with coalescing (the default, `maxBatch` 64) and Redis with `maxBatch: 1` (one
 * script call per check, the store before coalescing). Rounds alternate the variants (order
 * reversed every other round) and measure this process's CPU time (`process.cpuUsage`; Redis is
 * another process, pinned elsewhere), so the figure holds on a busy machine.
 */
import { Redis } from 'ioredis'
import { RedisLimitStore } from '../adapters/stores/redis/index.js'
import { type ApiKeyAuthOptions, createApiKeyAuth, MemoryKeyStore } from '../src/index.js'
import { createRequestGuard } from '../src/http/index.js'
import { QUICK } from './lib/args.js'
import {
  BENCH_ACCESSORS,
  BENCH_RATE,
  benchRequest,
  type BenchRequest,
} from './lib/guard-request.js'
import { summarize } from './lib/stats.js'

const IN_FLIGHT = 16
const CALLS = QUICK ? 8_000 : 16_000
const ROUNDS = QUICK ? 5 : 9

type Variant = 'none' | 'coalesced' | 'single'
const LABELS: Record<Variant, string> = {
  none: 'cache hit, no limits',
  coalesced: '… + one rate limit, RedisLimitStore (default: coalesced, maxBatch 64)',
  single: '… + one rate limit, RedisLimitStore (maxBatch 1: a script call per check)',
}

async function prepare(variant: Variant, client: Redis): Promise<(calls: number) => Promise<void>> {
  const options: ApiKeyAuthOptions = { store: new MemoryKeyStore(), logger: false }
  if (variant !== 'none') {
    const store = new RedisLimitStore(client, {
      prefix: `bench8e:${variant}:${Date.now()}:`,
      maxBatch: variant === 'single' ? 1 : 64,
    })
    options.limits = { store, defaults: { rate: BENCH_RATE } }
  }
  const auth = createApiKeyAuth(options)
  const guard = createRequestGuard(auth, { scopes: ['models:read'] }, BENCH_ACCESSORS)
  const requests: BenchRequest[] = []
  for (let i = 0; i < IN_FLIGHT; i++) {
    const { key } = await auth.createKey({ userId: `u${i}`, name: 'k', scopes: ['models:read'] })
    requests.push(benchRequest(key))
  }
  return async (calls) => {
    const lane = async (request: BenchRequest): Promise<void> => {
      for (let i = 0; i < calls / IN_FLIGHT; i++) {
        const result = await guard(request)
        if (!result.ok) throw new Error(`${variant}: refused (${result.response.status})`)
      }
    }
    await Promise.all(requests.map(lane))
  }
}

async function scriptCalls(client: Redis): Promise<number> {
  const stats = await client.info('commandstats')
  let calls = 0
  for (const match of stats.matchAll(/^cmdstat_(evalsha|eval):calls=(\d+)/gm)) {
    calls += Number(match[2])
  }
  return calls
}

/** Rows of section 8e: ns of CPU per guard call, what the limit adds, scripts per call. */
export async function redisInProcessCost(redisInfo: unknown): Promise<string[][]> {
  const client = new Redis(redisInfo as { host: string; port: number })
  const counter = new Redis(redisInfo as { host: string; port: number })
  try {
    const names: Variant[] = ['none', 'coalesced', 'single']
    const runs = new Map<Variant, (calls: number) => Promise<void>>()
    for (const name of names) runs.set(name, await prepare(name, client))
    const ns = new Map<Variant, number[]>(names.map((name) => [name, []]))
    const scripts = new Map<Variant, number>(names.map((name) => [name, 0]))
    for (const name of names) await runs.get(name)?.(CALLS)
    for (let round = 0; round < ROUNDS; round++) {
      for (const name of round % 2 === 0 ? names : [...names].reverse()) {
        const scriptsBefore = await scriptCalls(counter)
        const before = process.cpuUsage()
        await runs.get(name)?.(CALLS)
        const used = process.cpuUsage(before)
        ns.get(name)?.push(((used.user + used.system) * 1000) / CALLS)
        const ran = (await scriptCalls(counter)) - scriptsBefore
        scripts.set(name, (scripts.get(name) ?? 0) + ran)
      }
    }
    const none = ns.get('none') ?? []
    return names.map((name) => {
      const own = ns.get(name) ?? []
      const added = summarize(own.map((value, i) => value - (none[i] ?? Number.NaN)))
      const cost = summarize(own)
      return [
        LABELS[name],
        `${cost.median.toFixed(0)} ns (${cost.min.toFixed(0)}–${cost.max.toFixed(0)})`,
        name === 'none'
          ? '—'
          : `${added.median.toFixed(0)} ns (${added.min.toFixed(0)}–${added.max.toFixed(0)})`,
        name === 'none' ? '—' : ((scripts.get(name) ?? 0) / (CALLS * ROUNDS)).toFixed(3),
      ]
    })
  } finally {
    client.disconnect()
    counter.disconnect()
  }
}
