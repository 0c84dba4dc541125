/**
 * Section 13 (issue 15): Hono with `@vydra/auth/hono` against a hand-written Hono middleware
 * doing the reference pipeline (bench/http/hand.ts) and against Hono's own `bearerAuth` with the
 * same 1,000 keys, on Node (`@hono/node-server`) and on Bun (`Bun.serve` with `app.fetch`, Bun
 * from its npm package). Built like section 2 (bench/http.ts): every run on a server process
 * started for it (lib/fresh-server.ts), pinned to the server CPU, wrk (or autocannon) on the load CPU, every variant once per round,
 * ratios per round, and the same validity rule (both servers saturated, or judged by CPU per
 * request when nothing else ran on the server core). The order within a round is balanced for
 * the pairs that are judged (see {@link roundOrder}), and every run ends only once its server has
 * finished the requests left in flight (lib/settle.ts).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { QUICK } from './lib/args.js'
import { removeOnExit } from './lib/cleanup.js'
import { generateKeys } from './http/keys.js'
import { cpuOf, pinSelf } from './lib/cpu.js'
import { CONNECTIONS, DURATION_S, GENERATOR, WARMUP_S } from './lib/load.js'
import { withFreshServer } from './lib/fresh-server.js'
import { type Launch, type ServerProcess, startServer } from './lib/server-process.js'
import { formatRate, formatRange, summarize } from './lib/stats.js'
import { printNote, printTable, printUnavailable } from './lib/table.js'
import { judge, measureRun, percent, type Run, type RunJudge } from './lib/judge.js'

// A multiple of 4: every order of roundOrder occurs equally often.
const ROUNDS = QUICK ? 4 : 8
/** Issue 15's targets (on Node; on Bun the same ratios are reported). */
const HAND_TARGET = 0.97
const BEARER_AUTH_TARGET = 1.0

const KINDS = ['hand', 'lib', 'bearerauth'] as const
type Kind = (typeof KINDS)[number]
type Runtime = 'node' | 'bun'
type Variant = `${Runtime}-${Kind}`

const LABELS: Record<Kind, string> = {
  hand: 'Hono + hand-written middleware',
  lib: 'Hono + @vydra/auth/hono requireApiKey',
  bearerauth: 'Hono + hono/bearer-auth (`token`: the 1,000 keys)',
}

// Sections run bundled (bench/index.ts): the Hono server's bundle sits in ./hono/ beside this one.
const SCRIPT = fileURLToPath(new URL('./hono/server.mjs', import.meta.url))
// bench/index.ts runs every section from the repository's root.
const BUN = join(process.cwd(), 'node_modules', '.bin', 'bun')

function launchOf(runtime: Runtime): Launch {
  return { command: runtime === 'node' ? process.execPath : BUN, script: SCRIPT }
}

async function checkServer(server: ServerProcess, validKey: string): Promise<void> {
  const get = (authorization: string) =>
    fetch(`${server.url}/api/v1/models`, { headers: { authorization } }).then((r) => r.status)
  if ((await get(`Bearer ${validKey}`)) !== 200) {
    throw new Error(`${server.variant}: a valid key was not accepted`)
  }
  if ((await get('Bearer not_a_key')) !== 401) {
    throw new Error(`${server.variant}: an invalid key was not rejected`)
  }
}

async function main(): Promise<void> {
  pinSelf('load')
  // Bun is a devDependency (the runtime suite runs on it): missing means a failed install.
  const runtimes: Runtime[] = existsSync(BUN) ? ['node', 'bun'] : ['node']
  if (runtimes.length === 1) {
    printUnavailable('13. Hono on Bun', `${BUN} not found (npm package "bun"): run npm ci`)
    if (process.env.CI === 'true') process.exitCode = 1
  }
  const variants: Variant[] = runtimes.flatMap((r) => KINDS.map((k): Variant => `${r}-${k}`))
  const dir = removeOnExit(mkdtempSync(join(tmpdir(), 'vydra-bench-hono-')))
  const keys = generateKeys()
  const keysFile = join(dir, 'keys.json')
  writeFileSync(keysFile, JSON.stringify(keys))
  const authorizations = keys.map((key) => `Bearer ${key}`)
  try {
    const runs = new Map<Variant, Run[]>(variants.map((v) => [v, []]))
    for (let round = 0; round < ROUNDS; round++) {
      for (const variant of roundOrder(runtimes, round)) {
        const [runtime, kind] = variant.split('-') as [Runtime, Kind]
        // A process per run (bench/lib/fresh-server.ts).
        const run = await withFreshServer(
          () => startServer(kind, keysFile, {}, launchOf(runtime)),
          (server) => checkServer(server, keys[0] as string),
          authorizations,
          (server) => measureRun(server, authorizations),
        )
        runs.get(variant)?.push(run)
      }
    }
    report(runtimes, runs)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * The order of one round. The judged pair of each runtime (hand-written, library) runs back to
 * back, hand-written first in even rounds and library first in odd ones (A B, B A), and the
 * runtimes swap places every two rounds, so over every 4 rounds each server runs as often first
 * as second and a drift of the machine's speed within a round cancels out of the pair's median
 * ratio. The bearerAuth servers run last, where nothing judged against the hand-written server
 * follows them. Before, a rotation always ran the library right after the hand-written server,
 * and the hand-written one mostly right after a bearerAuth server still finishing its requests.
 */
function roundOrder(runtimes: readonly Runtime[], round: number): Variant[] {
  const pair: Kind[] = round % 2 === 0 ? ['hand', 'lib'] : ['lib', 'hand']
  const order = Math.floor(round / 2) % 2 === 0 ? runtimes : [...runtimes].reverse()
  return [
    ...order.flatMap((r) => pair.map((k): Variant => `${r}-${k}`)),
    ...order.map((r): Variant => `${r}-bearerauth`),
  ]
}

function report(runtimes: readonly Runtime[], runs: Map<Variant, Run[]>): void {
  const of = (v: Variant): Run[] => runs.get(v) ?? []
  const j: RunJudge = judge((v) => of(v as Variant))
  const rows: string[][] = []
  for (const runtime of runtimes) {
    const hand: Variant = `${runtime}-hand`
    const lib: Variant = `${runtime}-lib`
    const peer: Variant = `${runtime}-bearerauth`
    const ids = runtime === 'node' ? (['hono', 'hono-bearer-auth'] as const) : undefined
    for (const kind of KINDS) {
      const v: Variant = `${runtime}-${kind}`
      const s = summarize(of(v).map((r) => r.rps))
      const bad = j.failures(v)
      const vsHand = kind === 'lib' ? j.target(ids?.[0], lib, hand, HAND_TARGET) : ['', '']
      const vsPeer = kind === 'lib' ? j.target(ids?.[1], lib, peer, BEARER_AUTH_TARGET) : ['', '']
      rows.push([
        `${runtime === 'node' ? 'Node' : 'Bun'}: ${LABELS[kind]}` +
          (bad > 0 ? ` (**${bad} failed responses: invalid**)` : ''),
        formatRate(s.median),
        formatRange(s, formatRate),
        `${j.median(v, (r) => r.p99).toFixed(1)} ms`,
        `${j.median(v, (r) => r.cpuPerRequest).toFixed(1)} µs`,
        j.shares(v),
        ...vsHand,
        ...vsPeer,
      ])
    }
  }
  printTable(
    `13. Hono on Node and Bun (1,000 keys, MemoryKeyStore, cache on; ${ROUNDS} interleaved rounds)`,
    [
      'server',
      'median req/s',
      'min–max',
      'p99 latency',
      'server CPU/req',
      'CPU: server / generator',
      'library vs hand-written',
      `≥ ${HAND_TARGET}×?`,
      'library vs bearerAuth',
      `≥ ${BEARER_AUTH_TARGET}×?`,
    ],
    rows,
  )
  printNote(
    `Node ${process.version} with @hono/node-server; Bun from node_modules/.bin/bun with ` +
      `Bun.serve({ fetch: app.fetch }). Load: ${GENERATOR}, ${CONNECTIONS} connections, ` +
      `${DURATION_S} s per run, each on a server process started for it, after every key once ` +
      `and a ${WARMUP_S} s warm-up; requests cycle through a fixed shuffle of the 1,000 keys. ` +
      `Servers on ${cpuOf('server')}, the load ` +
      `generator on ${cpuOf('load')}. Each round runs the hand-written and library servers of ` +
      `a runtime back to back, in alternating order (A B, B A), each run starting once the ` +
      `previous server was idle. Ratios are per round, then median (min–max); the verdict ` +
      `is by req/s when both servers were at ≥ ${percent(0.9)} of their core, else by CPU/req ` +
      `when other work on the server core stayed < ${percent(0.1)}, else "not valid" (as in ` +
      `section 2). The targets are issue 15's on Node; on Bun the same ratios are reported.`,
  )
}

await main()
