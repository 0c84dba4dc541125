/**
 * Sections 2 and 3: HTTP throughput per framework (bare, hand-written pipeline, the library) and
 * against the peers. Every run has a server process of its own (started for it: see
 * bench/lib/fresh-server.ts), pinned to the server CPU; autocannon
 * runs in this process, pinned to the load CPU (bench/lib/cpu.ts). Each round runs every variant
 * once, the servers of one framework back to back in alternating direction ({@link roundOrder}),
 * so ratios pair runs made under the same conditions.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { intOption, QUICK } from './lib/args.js'
import { removeOnExit } from './lib/cleanup.js'
import { generateKeys } from './http/keys.js'
import { cpuOf, pinSelf } from './lib/cpu.js'
import { judge, MAX_INTERFERENCE, measureRun, percent, type Run, SATURATED } from './lib/judge.js'
import { CONNECTIONS, DURATION_S, GENERATOR, WARMUP_S } from './lib/load.js'
import { withFreshServer } from './lib/fresh-server.js'
import { type ServerProcess, startServer } from './lib/server-process.js'
import { formatRate, formatRatio, formatRange, summarize } from './lib/stats.js'
import { printNote, printTable } from './lib/table.js'
import type { TargetId } from './lib/targets.js'

// `--rounds=N`: more rounds narrow the medians (a ratio moves by 3–4 points between runs of 7).
const ROUNDS = intOption('rounds', QUICK ? 3 : 7)
/** Issue 10's targets. */
const ADAPTER_TARGET = 0.97
const BEARER_AUTH_TARGET = 3.3
const PASSPORT_TARGET = 1.3
// Which ratio decides a target (saturation, CPU/request, or not valid): bench/lib/judge.ts.

const VARIANTS = [
  'express-bare',
  'express-hand',
  'express-lib',
  'express-handdata',
  'express-passport',
  'fastify-bare',
  'fastify-hand',
  'fastify-lib',
  'fastify-handdata',
  'fastify-bearerauth',
  'koa-bare',
  'koa-hand',
  'koa-lib',
] as const
type Variant = (typeof VARIANTS)[number]
/**
 * One measured run, with the server's CPU time per request, its share of its core, and the
 * share of that core other processes used (`NaN` unpinned).
 */

const LABELS: Record<Variant, string> = {
  'express-bare': 'Express 5, no auth',
  'express-hand': 'Express 5 + hand-written middleware',
  'express-lib': 'Express 5 + @vydra/auth requireApiKey',
  'express-handdata': 'Express 5 + hand-written, holding the library server’s data (unused)',
  'express-passport': 'Express 5 + passport-http-bearer (Map lookup)',
  'fastify-bare': 'Fastify 5, no auth',
  'fastify-hand': 'Fastify 5 + hand-written onRequest hook',
  'fastify-lib': 'Fastify 5 + @vydra/auth requireApiKey',
  'fastify-handdata': 'Fastify 5 + hand-written, holding the library server’s data (unused)',
  'fastify-bearerauth': 'Fastify 5 + @fastify/bearer-auth',
  'koa-bare': 'Koa 3, no auth',
  'koa-hand': 'Koa 3 + hand-written middleware',
  'koa-lib': 'Koa 3 + @vydra/auth requireApiKey',
}

// The order of a round's runs. A ratio pairs runs of the same round, so the servers compared
// (bare, hand-written, library and peer of one framework) run back to back, never a whole
// round apart, and in alternating direction from round to round (hand-written then library,
// then library then hand-written), so that neither side always follows the other; the
// frameworks take turns going first. Until the sixth session the order rotated over all eleven
// servers, which kept each pair adjacent but always in the same direction.
function roundOrder(round: number): Variant[] {
  const groups = FRAMEWORKS.map((framework) =>
    VARIANTS.filter((v) => v.startsWith(`${framework}-`)),
  )
  const turned = groups.map((_, i) => groups[(i + round) % groups.length] as Variant[])
  return turned.flatMap((group) => (round % 2 === 0 ? group : [...group].reverse()))
}

const FRAMEWORKS = ['express', 'fastify', 'koa'] as const

async function checkServer(server: ServerProcess, validKey: string): Promise<void> {
  const get = (authorization?: string) =>
    fetch(`${server.url}/api/v1/models`, {
      headers: authorization === undefined ? {} : { authorization },
    }).then((r) => r.status)
  if ((await get(`Bearer ${validKey}`)) !== 200) {
    throw new Error(`${server.variant}: a valid key was not accepted`)
  }
  if (!server.variant.endsWith('-bare') && (await get('Bearer not_a_key')) !== 401) {
    throw new Error(`${server.variant}: an invalid key was not rejected`)
  }
}

async function main(): Promise<void> {
  pinSelf('load')
  const dir = removeOnExit(mkdtempSync(join(tmpdir(), 'vydra-bench-')))
  const keys = generateKeys()
  const keysFile = join(dir, 'keys.json')
  writeFileSync(keysFile, JSON.stringify(keys))
  const authorizations = keys.map((key) => `Bearer ${key}`)
  try {
    const runs = new Map<Variant, Run[]>(VARIANTS.map((v) => [v, []]))
    for (let round = 0; round < ROUNDS; round++) {
      for (const variant of roundOrder(round)) {
        const run = await withFreshServer(
          () => startServer(variant, keysFile),
          (server) => checkServer(server, keys[0] as string),
          authorizations,
          (server) => measureRun(server, authorizations),
        )
        runs.get(variant)?.push(run)
      }
    }
    report(runs)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function report(runs: Map<Variant, Run[]>): void {
  const of = (v: Variant): Run[] => runs.get(v) ?? []
  const { median, ratio, failures, shares, ...judged } = judge((v) => of(v as Variant))
  const target = (id: TargetId, ours: Variant, theirs: Variant, goal: number): string[] => {
    const [ratios, verdict] = judged.target(id, ours, theirs, goal)
    return [ratios as string, `≥ ${goal}×: ${verdict as string}`]
  }

  const row = (v: Variant, base: Variant, extra = ['', '']): string[] => {
    const s = summarize(of(v).map((r) => r.rps))
    const bad = failures(v)
    return [
      LABELS[v] + (bad > 0 ? ` (**${bad} failed responses: invalid**)` : ''),
      formatRate(s.median),
      formatRange(s, formatRate),
      `${median(v, (r) => r.p99).toFixed(1)} ms`,
      `${median(v, (r) => r.cpuPerRequest).toFixed(1)} µs`,
      shares(v),
      v === base ? '1.00×' : formatRatio(ratio(v, base)),
      ...extra,
    ]
  }
  const header = [
    'server',
    'median req/s',
    'min–max',
    'p99 latency',
    'server CPU/req',
    'CPU: server / generator',
    'vs bare',
  ]
  const rows2: string[][] = []
  for (const framework of ['express', 'fastify', 'koa'] as const) {
    const bare = `${framework}-bare` as Variant
    const hand = `${framework}-hand` as Variant
    const lib = `${framework}-lib` as Variant
    rows2.push(row(bare, bare), row(hand, bare))
    rows2.push(row(lib, bare, target(framework, lib, hand, ADAPTER_TARGET)))
    // Reported, no target: the hand-written middleware in a server that also holds what the
    // library's server holds (its MemoryKeyStore and a service with every key cached), unused.
    // Against it, the library's ratio is the middleware's cost alone; against the plain
    // hand-written server it also carries the garbage collector's work on that larger heap.
    const handData = `${framework}-handdata` as Variant
    if (VARIANTS.includes(handData)) {
      const [alone] = judged.target(undefined, lib, handData, ADAPTER_TARGET)
      rows2.push(row(handData, bare, [`library vs this: ${alone as string}`, 'reported']))
    }
  }
  printTable(
    `2. HTTP overhead per framework (valid key, MemoryKeyStore, cache on; ${ROUNDS} interleaved rounds)`,
    [...header, 'library vs hand-written', 'target met?'],
    rows2,
  )
  printTable(
    `3. Against the peers (1,000 keys; ${ROUNDS} interleaved rounds)`,
    [...header, 'library vs peer', 'target met?'],
    [
      row('fastify-bare', 'fastify-bare'),
      row('fastify-bearerauth', 'fastify-bare'),
      row(
        'fastify-lib',
        'fastify-bare',
        target('bearer-auth', 'fastify-lib', 'fastify-bearerauth', BEARER_AUTH_TARGET),
      ),
      row('express-bare', 'express-bare'),
      row('express-passport', 'express-bare'),
      row(
        'express-lib',
        'express-bare',
        target('passport', 'express-lib', 'express-passport', PASSPORT_TARGET),
      ),
    ],
  )
  printNote(
    `Load: ${GENERATOR}, ${CONNECTIONS} connections, ${DURATION_S} s per run, each run on a server ` +
      `process started for it, after every key once and a ${WARMUP_S} s warm-up (two processes of ` +
      `one build can differ by 15 % and more: each round samples new ones); requests cycle through a fixed shuffle of the 1,000 keys. ` +
      `Servers on ${cpuOf('server')}, the load generator on ${cpuOf('load')}, ` +
      `127.0.0.1. Ratios are per round (same-round runs), then median (min–max). "Server ` +
      `CPU/req" is the server process's user+system time per request (from /proc); "by CPU/req" ` +
      `is the throughput ratio it implies. "CPU: server / generator" is each process's CPU time ` +
      `over the run's wall time (100 % = one core). A target is judged by req/s when both servers ` +
      `were at ≥ ${percent(SATURATED)} of their core (the server, not the generator, set the ` +
      `pace); otherwise by CPU/req, provided other processes used < ${percent(MAX_INTERFERENCE)} ` +
      `of the server core (from /proc/stat); otherwise it is not valid.`,
  )
}

await main()
