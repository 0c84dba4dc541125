/**
 * Section 8d (issue 12): what one rate limit adds to a cache hit, in this process, without HTTP.
 * `createRequestGuard` over a small request object (the adapters' path), the same key verified
 * by services that differ only in their limits: none, a memory limit store, and a
 * `LeasingLimitStore` (batch 100) over a memory store, on 16 and on 1,000 keys. Rounds
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
import { summarize } from './lib/stats.js'

const CALLS = QUICK ? 50_000 : 200_000
const ROUNDS = QUICK ? 7 : 15

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
  for (const keyCount of KEY_COUNTS) rows.push(...(await inProcessRows(keyCount)))
  return rows
}

async function inProcessRows(keyCount: number): Promise<string[][]> {
  const names = Object.keys(VARIANTS) as Variant[]
  const runs = new Map<Variant, (calls: number) => Promise<number>>()
  for (const name of names) runs.set(name, await prepare(name, keyCount))
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
      String(keyCount),
      `${cost.median.toFixed(0)} ns (${cost.min.toFixed(0)}–${cost.max.toFixed(0)})`,
      name === 'none'
        ? '—'
        : `${added.median.toFixed(0)} ns (${added.min.toFixed(0)}–${added.max.toFixed(0)})`,
      `${share.toFixed(1)} %`,
    ]
  })
}
