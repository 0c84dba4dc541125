/**
 * Section 8d (issue 12): what one rate limit adds to a cache hit, in this process, without HTTP.
 * `createRequestGuard` over a small request object (the adapters' path), the same key verified
 * by services that differ only in their limits: none, a memory limit store, and a
 * `LeasingLimitStore` (batch 100) over a memory store, on 16 and on 1,000 keys, and on 1,000
 * with the CPU's caches disturbed between calls as an HTTP request disturbs them. Rounds
 * alternate the variants (order reversed every other round) and measure CPU time
 * (`process.cpuUsage`), not wall time, so the figure holds on a busy machine; the added cost is
 * the per-round difference to "none".
 */
import {
  type ApiKeyAuthOptions,
  createApiKeyAuth,
  LeasingLimitStore,
  MemoryKeyStore,
  MemoryLimitStore,
} from '../src/index.js'
import { createRequestGuard } from '../src/http/index.js'
import { QUICK } from './lib/args.js'
import {
  BENCH_ACCESSORS,
  BENCH_RATE,
  benchRequest,
  type BenchRequest,
} from './lib/guard-request.js'
import { polluter } from './lib/pollute.js'
import { summarize } from './lib/stats.js'

const CALLS_PER_ROUND = QUICK ? 50_000 : 200_000
const formatKeys = (n: number): string => n.toLocaleString('en-US')
const ROUNDS = QUICK ? 7 : 15

/**
 * Bytes written to a large buffer after each guard call in the "1,000 + caches" rows: what an
 * HTTP request's own work (parsing, the framework, the response, their garbage) does to the
 * CPU's caches between two requests of one key. With it, the in-process figure of the code
 * before the sixth session came to what the limit cost a Fastify server over HTTP (1.6–1.9 µs,
 * against 0.4 µs without it): the cost there is reading a key's limit state back from memory
 * (docs/benchmarks.md, "Limits cost, sixth session"). Its own cost is in every variant alike,
 * so the difference to "none" is the limit's.
 */
const POLLUTE_BYTES = 64 * 1024
const POLLUTED_CALLS = QUICK ? 5_000 : 20_000
const pollute = polluter(POLLUTE_BYTES)

const VARIANTS = {
  none: () => undefined,
  memory: () => new MemoryLimitStore(),
  leasing: () => new LeasingLimitStore(new MemoryLimitStore(), { batch: 100 }),
} as const
type Variant = keyof typeof VARIANTS

// `calls` guard calls on `keyCount` keys in turn (each call awaited only when it is a promise,
// as the adapters do); returns how many were promises.
async function prepare(
  variant: Variant,
  keyCount: number,
  caches: boolean,
): Promise<(calls: number) => Promise<number>> {
  const store = VARIANTS[variant]()
  const options: ApiKeyAuthOptions = { store: new MemoryKeyStore(), logger: false }
  if (store !== undefined) options.limits = { store, defaults: { rate: BENCH_RATE } }
  const auth = createApiKeyAuth(options)
  const guard = createRequestGuard(auth, { scopes: ['models:read'] }, BENCH_ACCESSORS)
  const requests: BenchRequest[] = []
  for (let i = 0; i < keyCount; i++) {
    const { key } = await auth.createKey({ userId: `u${i}`, name: 'k', scopes: ['models:read'] })
    requests.push(benchRequest(key))
  }
  return async (calls) => {
    let pending = 0
    for (let i = 0; i < calls; i++) {
      if (caches) pollute()
      let result = guard(requests[i % keyCount] as BenchRequest)
      if (result instanceof Promise) {
        pending++
        result = await result
      }
      if (!result.ok) throw new Error(`${variant}: refused (${result.response.status})`)
    }
    return pending
  }
}

/**
 * Keys the guard calls go round: 16 (everything stays in the CPU's caches) and 1,000 (as the
 * HTTP rows of 8b: a key's state is then usually out of the nearest caches, which is what a
 * server sees and what made the limit cost 3x more per call than with 16 keys).
 */
const KEY_COUNTS = [16, 1_000] as const

/** Rows of section 8d: ns of CPU per guard call, and what the limit adds to it. */
export async function inProcessCost(): Promise<string[][]> {
  const rows: string[][] = []
  for (const keyCount of KEY_COUNTS) rows.push(...(await inProcessRows(keyCount, false)))
  // 1,000 keys with the caches disturbed between calls as an HTTP request does (POLLUTE_BYTES).
  rows.push(...(await inProcessRows(1_000, true)))
  return rows
}

async function inProcessRows(keyCount: number, caches: boolean): Promise<string[][]> {
  const CALLS = caches ? POLLUTED_CALLS : CALLS_PER_ROUND
  const names = Object.keys(VARIANTS) as Variant[]
  const runs = new Map<Variant, (calls: number) => Promise<number>>()
  for (const name of names) runs.set(name, await prepare(name, keyCount, caches))
  const ns = new Map<Variant, number[]>(names.map((name) => [name, []]))
  const promises = new Map<Variant, number>()
  for (const name of names) await runs.get(name)?.(CALLS)
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of round % 2 === 0 ? names : [...names].reverse()) {
      const before = process.cpuUsage()
      const pending = (await runs.get(name)?.(CALLS)) ?? 0
      const used = process.cpuUsage(before)
      ns.get(name)?.push(((used.user + used.system) * 1000) / CALLS)
      promises.set(name, (promises.get(name) ?? 0) + pending)
    }
  }
  const none = ns.get('none') ?? []
  return names.map((name) => {
    const own = ns.get(name) ?? []
    const added = summarize(own.map((value, i) => value - (none[i] ?? Number.NaN)))
    const cost = summarize(own)
    const share = ((promises.get(name) ?? 0) / (CALLS * ROUNDS)) * 100
    return [
      name === 'none'
        ? 'cache hit, no limits'
        : name === 'memory'
          ? '… + one rate limit, memory limit store'
          : '… + one rate limit, LeasingLimitStore (batch 100) over memory',
      caches ? `${formatKeys(keyCount)} + 64 KB between calls` : String(keyCount),
      `${cost.median.toFixed(0)} ns (${cost.min.toFixed(0)}–${cost.max.toFixed(0)})`,
      name === 'none'
        ? '—'
        : `${added.median.toFixed(0)} ns (${added.min.toFixed(0)}–${added.max.toFixed(0)})`,
      `${share.toFixed(1)} %`,
    ]
  })
}
