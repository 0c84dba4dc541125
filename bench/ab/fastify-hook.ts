/**
 * A/B of the Fastify `requireApiKey` hook between two checkouts, in one pinned process, driven
 * as Fastify's hook runner drives it: 16 chains of requests, each going on when the hook's
 * returned promise settles (not a section of `npm run bench`: a tool for deciding a change to
 * the hook; docs/benchmarks.md, "Sixth session").
 *
 * ```sh
 * taskset -c 1 node --import tsx bench/ab/fastify-hook.ts <checkout A> <checkout B>
 * ```
 *
 * Every request is a cache hit over the bench's 1,000 keys. Rounds alternate direction; the
 * report is CPU time per request, median over rounds, and B / A per round.
 * Environment: `ROUNDS` (21), `N` requests per run (50,000).
 */
import { resolve } from 'node:path'
import { generateKeys, REQUIRED } from '../http/keys.js'
import { importFrom, serviceOf } from './checkout.js'

const roots = process.argv.slice(2).map((root) => resolve(root))
if (roots.length !== 2) throw new Error('usage: fastify-hook.ts <checkout A> <checkout B>')
const ROUNDS = Number(process.env.ROUNDS ?? 21)
const N = Number(process.env.N ?? 50_000)
const CHAINS = 16

type Hook = (request: unknown, reply: unknown) => Promise<unknown>
const keys = generateKeys()
const hooks: Hook[] = []
const refreshes: (() => Promise<unknown>)[] = []
for (const root of roots) {
  const fastify = await importFrom<typeof import('../../adapters/frameworks/fastify/index.js')>(
    root,
    'adapters/frameworks/fastify/index.ts',
  )
  const { auth, refresh } = await serviceOf(root, keys)
  refreshes.push(refresh)
  hooks.push(fastify.requireApiKey(auth, { scopes: REQUIRED }) as unknown as Hook)
}

const headers = keys.map((key) => `Bearer ${key}`)
function run(hook: Hook): Promise<number> {
  return new Promise((done, fail) => {
    const start = process.cpuUsage()
    let next = 0
    let chains = CHAINS
    const step = (): void => {
      if (next >= N) {
        if (--chains === 0) {
          const used = process.cpuUsage(start)
          done(((used.user + used.system) * 1_000) / N)
        }
        return
      }
      const authorization = headers[(next++ * 7_919) % headers.length] as string
      const request = {
        headers: { authorization },
        raw: { rawHeaders: ['Host', 'x', 'Authorization', authorization] },
        auth: null,
      }
      hook(request, {}).then(step, fail)
    }
    for (let c = 0; c < CHAINS; c++) step()
  })
}

const runs: number[][] = hooks.map(() => [])
for (let round = 0; round < ROUNDS + 2; round++) {
  for (const i of round % 2 === 0 ? [0, 1] : [1, 0]) {
    for (const refresh of refreshes) await refresh()
    const ns = await run(hooks[i] as Hook)
    if (round >= 2) runs[i]?.push(ns)
  }
}
const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[values.length >> 1] ?? Number.NaN
for (const [i, root] of roots.entries()) {
  const values = runs[i] ?? []
  console.log(
    `${'AB'[i]} ${root}: ${median(values).toFixed(0)} ns per request (min ${Math.min(...values).toFixed(0)})`,
  )
}
const ratios = (runs[1] ?? []).map((ns, round) => ns / (runs[0]?.[round] ?? Number.NaN))
console.log(
  `B / A per round: median ${median(ratios).toFixed(3)} (${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)})`,
)
