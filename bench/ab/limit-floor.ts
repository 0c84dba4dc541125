/**
 * What one rate limit adds to a cache hit, in one pinned process, for two checkouts and for the
 * hand-written floor (the hand-written check of bench/http/hand.ts plus its fixed-window limit
 * and the same two headers), with the CPU's caches polluted between calls as a server's own work
 * pollutes them (not a section of `npm run bench`: a tool for deciding a change to the limit's
 * path; docs/benchmarks.md, "Seventh session").
 *
 * ```sh
 * taskset -c 1 node --import tsx bench/ab/limit-floor.ts <checkout A> <checkout B>
 * ```
 *
 * 1,000 keys, each call the next key; the library through `createRequestGuard` (the adapters'
 * path) over a memory limit store. Rounds alternate direction; the report is CPU time per call,
 * the per-round difference with the limit and without, and B − A per round.
 * Environment: `POLLUTE` bytes written between calls (65,536), `CALLS` per run (20,000),
 * `ROUNDS` (21).
 */
import { resolve } from 'node:path'
import { handLimiter, handVerify } from '../http/hand.js'
import { generateKeys, handTable, recordOf, REQUIRED } from '../http/keys.js'
import {
  BENCH_ACCESSORS,
  BENCH_RATE,
  benchRequest,
  type BenchRequest,
} from '../lib/guard-request.js'
import { polluter } from '../lib/pollute.js'
import { summarize } from '../lib/stats.js'
import { importFrom } from './checkout.js'

const roots = process.argv.slice(2).map((root) => resolve(root))
if (roots.length !== 2) throw new Error('usage: limit-floor.ts <checkout A> <checkout B>')
const POLLUTE = Number(process.env.POLLUTE ?? 65_536)
const CALLS = Number(process.env.CALLS ?? 20_000)
const ROUNDS = Number(process.env.ROUNDS ?? 21)

const pollute = polluter(POLLUTE)

type Call = (i: number) => unknown
const keys = generateKeys()
const requests = keys.map((key) => benchRequest(key))

// Every key's entry in each library guard, verified again: an entry lives at most 30 s (the
// cache's longest TTL), shorter than a run of many rounds, and an expired one is a miss (a
// promise), which the timed calls refuse. Run before each round, outside its timing.
const refreshers: (() => Promise<void>)[] = []

// A checkout's guard, without limits and with one rate limit on a memory limit store.
async function libraryCalls(root: string): Promise<[Call, Call]> {
  const lib = await importFrom<typeof import('../../src/index.js')>(root, 'src/index.ts')
  const http = await importFrom<typeof import('../../src/http/index.js')>(root, 'src/http/index.ts')
  const calls: Call[] = []
  for (const limited of [false, true]) {
    const store = new lib.MemoryKeyStore()
    for (const [j, key] of keys.entries()) await store.insert(recordOf(key, j))
    const auth = lib.createApiKeyAuth({
      store,
      logger: false,
      ...(limited
        ? { limits: { store: new lib.MemoryLimitStore(), defaults: { rate: BENCH_RATE } } }
        : {}),
    })
    const guard = http.createRequestGuard(auth, { scopes: REQUIRED }, BENCH_ACCESSORS)
    const refresh = async (): Promise<void> => {
      for (const request of requests) await guard(request)
    }
    await refresh()
    refreshers.push(refresh)
    calls.push((i) => {
      const result = guard(requests[i % requests.length] as BenchRequest)
      if (result instanceof Promise || !result.ok) throw new Error('expected a hit answered now')
      return result
    })
  }
  return calls as [Call, Call]
}

const table = handTable(keys)
const charge = handLimiter()
const authorizations = requests.map((request) => request.headers.authorization)
const hand: [Call, Call] = [
  (i) => handVerify(table, authorizations[i % keys.length], REQUIRED),
  (i) => {
    const principal = handVerify(table, authorizations[i % keys.length], REQUIRED)
    if (principal === undefined) throw new Error('expected a valid key')
    return charge(principal.keyId, Date.now())
  },
]

const variants: [string, Call][] = []
for (const [name, root] of [
  ['A', roots[0]],
  ['B', roots[1]],
] as const) {
  const [none, limit] = await libraryCalls(root as string)
  variants.push([`${name} none`, none], [`${name} limit`, limit])
}
variants.push(['hand none', hand[0]], ['hand limit', hand[1]])

let sink: unknown
const run = (call: Call): void => {
  for (let i = 0; i < CALLS; i++) {
    pollute()
    sink = call(i)
  }
}
for (const [, call] of variants) run(call)
const ns = new Map<string, number[]>(variants.map(([name]) => [name, []]))
for (let round = 0; round < ROUNDS; round++) {
  for (const refresh of refreshers) await refresh()
  for (const [name, call] of round % 2 === 0 ? variants : [...variants].reverse()) {
    const before = process.cpuUsage()
    run(call)
    const used = process.cpuUsage(before)
    ns.get(name)?.push(((used.user + used.system) * 1000) / CALLS)
  }
}
void sink
const of = (name: string): number[] => ns.get(name) ?? []
const diff = (a: string, b: string) =>
  summarize(of(a).map((value, round) => value - (of(b)[round] ?? Number.NaN)))
const show = (s: { median: number; min: number; max: number }): string =>
  `${s.median.toFixed(0)} ns (${s.min.toFixed(0)} to ${s.max.toFixed(0)})`
for (const [name] of variants) console.log(`${name.padEnd(10)} ${show(summarize(of(name)))}`)
for (const side of ['A', 'B', 'hand']) {
  console.log(`added by the limit, ${side}: ${show(diff(`${side} limit`, `${side} none`))}`)
}
console.log(`B − A with the limit, paired per round: ${show(diff('B limit', 'A limit'))}`)
