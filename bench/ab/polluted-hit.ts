/**
 * A/B of the guard's cache hit between two checkouts, in one pinned process, with the CPU caches
 * polluted between requests as a server's own work pollutes them (not a section of `npm run
 * bench`: a tool for deciding a hit-path change; docs/benchmarks.md, "Sixth session").
 *
 * ```sh
 * taskset -c 1 node --import tsx bench/ab/polluted-hit.ts <checkout A> [<checkout B>]
 * # e.g. git worktree add /tmp/before HEAD~1 (node_modules copied or linked), then
 * taskset -c 1 node --import tsx bench/ab/polluted-hit.ts /tmp/before .
 * ```
 *
 * Each checkout's `src/` builds a service over a `MemoryKeyStore` of the bench's 1,000 keys and
 * a `createRequestGuard` with Fastify-like accessors; the hand-written check of bench/http/hand.ts
 * runs beside them, and `base` is the request loop alone. Every request is a fresh flat header
 * string and request object, followed by `POLLUTE` (default 1,000) small objects of other
 * allocation: about 10 µs of work that evicts the last request's lines, as a Fastify request's
 * own work does. Rounds alternate direction; each figure is the median over rounds of CPU time
 * per request minus `base` in the same round. `POLLUTE=0` measures a warm hit.
 * Environment: `ROUNDS` (21), `N` requests per run (30,000), `POLLUTE` (1,000).
 */
import { resolve } from 'node:path'
import { handVerify } from '../http/hand.js'
import { generateKeys, handTable, REQUIRED } from '../http/keys.js'
import { importFrom, serviceOf } from './checkout.js'

const roots = process.argv.slice(2).map((root) => resolve(root))
if (roots.length === 0) throw new Error('usage: polluted-hit.ts <checkout A> [<checkout B>]')
const ROUNDS = Number(process.env.ROUNDS ?? 21)
const N = Number(process.env.N ?? 30_000)
const POLLUTE = Number(process.env.POLLUTE ?? 1_000)

interface Request {
  headers: { authorization: string }
  rawHeaders: string[]
}
type Check = (request: Request) => unknown

const keys = generateKeys()
const table = handTable(keys)
const accessors = {
  headers: (r: Request) => r.headers,
  rawHeaders: (r: Request) => r.rawHeaders,
  method: () => 'GET',
  path: () => '/api/v1/models',
  socketAddress: () => '127.0.0.1',
}
const checks = new Map<string, Check>()
// Re-reads every key before a run: a cache entry lives 30 s from its read, the whole run longer.
const refreshes: (() => Promise<unknown>)[] = []
let misses = 0

for (const [i, root] of roots.entries()) {
  const http = await importFrom<typeof import('../../src/http/index.js')>(root, 'src/http/index.ts')
  const { auth, refresh } = await serviceOf(root, keys)
  refreshes.push(refresh)
  const guard = http.createRequestGuard(auth, { scopes: REQUIRED }, accessors)
  checks.set(`lib ${'AB'[i] ?? i}`, (request) => {
    const result = guard(request)
    if (result instanceof Promise) misses++
    else if (!result.ok) throw new Error('a valid key was refused')
    return result
  })
}
checks.set('hand', (request) => {
  const principal = handVerify(table, request.headers.authorization, REQUIRED)
  if (principal === undefined) throw new Error('a valid key was refused')
  return principal
})
checks.set('base', (request) => request)

const headers = keys.map((key) => `Bearer ${key}`)
const polluted: unknown[] = new Array(POLLUTE)
let sink: unknown

function run(check: Check): number {
  const start = process.cpuUsage()
  for (let i = 0; i < N; i++) {
    // A flat string of its own, as the HTTP parser hands over.
    const authorization = Buffer.from(
      headers[(i * 7_919) % headers.length] as string,
      'latin1',
    ).toString('latin1')
    const request = {
      headers: { authorization },
      rawHeaders: ['Host', 'x', 'Authorization', authorization],
    }
    for (let p = 0; p < POLLUTE; p++) polluted[p] = { p, request, pair: [p, p] }
    sink = check(request)
  }
  const used = process.cpuUsage(start)
  return ((used.user + used.system) * 1_000) / N
}

const names = [...checks.keys()]
const runs = new Map(names.map((name) => [name, [] as number[]]))
for (let round = 0; round < ROUNDS + 2; round++) {
  for (const name of round % 2 === 0 ? names : [...names].reverse()) {
    for (const refresh of refreshes) await refresh()
    const ns = run(checks.get(name) as Check)
    // The first two rounds warm up.
    if (round >= 2) runs.get(name)?.push(ns)
  }
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[values.length >> 1] ?? Number.NaN
const base = runs.get('base') ?? []
const added = (name: string): number[] =>
  (runs.get(name) ?? []).map((ns, round) => ns - (base[round] ?? Number.NaN))
for (const name of names) {
  const values = added(name)
  console.log(
    `${name.padEnd(6)} ${median(runs.get(name) ?? []).toFixed(0)} ns per request; minus base ${median(values).toFixed(0)} ns (${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)})`,
  )
}
if (roots.length === 2) {
  const a = added('lib A')
  const ratios = added('lib B').map((ns, round) => ns / (a[round] ?? Number.NaN))
  console.log(
    `lib B / lib A, per round: median ${median(ratios).toFixed(3)} (${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)})`,
  )
}
console.log(
  `rounds ${ROUNDS}, ${N} requests per run, ${POLLUTE} objects of other allocation per request; hits that missed the cache (entries expiring mid-run): ${misses}`,
)
void sink
