/**
 * Sections 2 and 3: HTTP throughput per framework (bare, hand-written pipeline, the library) and
 * against the peers. Every server runs in its own process pinned to the server CPU; autocannon
 * runs in this process, pinned to the load CPU (bench/lib/cpu.ts). Each round runs every variant
 * once (rotating the order), so ratios pair runs made under the same conditions.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { QUICK } from './lib/args.js'
import { removeOnExit } from './lib/cleanup.js'
import { generateKeys } from './http/keys.js'
import { cpuJiffies, cpuOf, pinSelf, serverCpu } from './lib/cpu.js'
import {
  CONNECTIONS,
  DURATION_S,
  GENERATOR,
  load,
  loadAmount,
  type LoadResult,
  WARMUP_S,
} from './lib/load.js'
import { type ServerProcess, startServer } from './lib/server-process.js'
import { formatRate, formatRatio, formatRange, met, type Summary, summarize } from './lib/stats.js'
import { printNote, printTable } from './lib/table.js'
import { recordTarget, type TargetId } from './lib/targets.js'

const ROUNDS = QUICK ? 3 : 7
/** Issue 10's targets. */
const ADAPTER_TARGET = 0.97
const BEARER_AUTH_TARGET = 3.3
const PASSPORT_TARGET = 1.3
/**
 * A throughput ratio compares servers only if both were the bottleneck: busy at least this
 * share of their core. Below it, the load generator (or the machine) set the pace.
 */
const SATURATED = 0.9
/**
 * Unsaturated, the throughput ratio measures the round trip more than the server, but the CPU
 * time per request still measures the server's cost (a saturated server's req/s is 1 / its CPU
 * per request), provided nothing else ran on its core: the core's busy time beyond the server's
 * own must stay under this share of the core.
 */
const MAX_INTERFERENCE = 0.1

const VARIANTS = [
  'express-bare',
  'express-hand',
  'express-lib',
  'express-passport',
  'fastify-bare',
  'fastify-hand',
  'fastify-lib',
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
type Run = LoadResult & { cpuPerRequest: number; serverShare: number; interference: number }

const LABELS: Record<Variant, string> = {
  'express-bare': 'Express 5, no auth',
  'express-hand': 'Express 5 + hand-written middleware',
  'express-lib': 'Express 5 + @vydra/auth requireApiKey',
  'express-passport': 'Express 5 + passport-http-bearer (Map lookup)',
  'fastify-bare': 'Fastify 5, no auth',
  'fastify-hand': 'Fastify 5 + hand-written onRequest hook',
  'fastify-lib': 'Fastify 5 + @vydra/auth requireApiKey',
  'fastify-bearerauth': 'Fastify 5 + @fastify/bearer-auth',
  'koa-bare': 'Koa 3, no auth',
  'koa-hand': 'Koa 3 + hand-written middleware',
  'koa-lib': 'Koa 3 + @vydra/auth requireApiKey',
}

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

async function measure(server: ServerProcess, authorizations: readonly string[]): Promise<Run> {
  const core = serverCpu()
  const coreBefore = core === undefined ? undefined : cpuJiffies(core)
  const cpuBefore = server.cpuMicros()
  const result = await load(server.url, authorizations)
  const cpu = server.cpuMicros() - cpuBefore
  const coreAfter = core === undefined ? undefined : cpuJiffies(core)
  const serverShare = cpu / 1e6 / result.seconds
  const coreShare =
    coreBefore === undefined || coreAfter === undefined
      ? Number.NaN
      : (coreAfter.busy - coreBefore.busy) / (coreAfter.total - coreBefore.total)
  return {
    ...result,
    cpuPerRequest: cpu / result.total,
    serverShare,
    interference: Math.max(0, coreShare - serverShare),
  }
}

async function main(): Promise<void> {
  pinSelf('load')
  const dir = removeOnExit(mkdtempSync(join(tmpdir(), 'vydra-bench-')))
  const keys = generateKeys()
  const keysFile = join(dir, 'keys.json')
  writeFileSync(keysFile, JSON.stringify(keys))
  const authorizations = keys.map((key) => `Bearer ${key}`)
  const servers = new Map<Variant, ServerProcess>()
  try {
    // Started one at a time: each start compiles and would skew a neighbour's warm-up.
    for (const variant of VARIANTS) {
      const server = await startServer(variant, keysFile)
      servers.set(variant, server)
      await checkServer(server, keys[0] as string)
      // Every key once (so every key is cached before timing), then a timed warm-up.
      await loadAmount(server.url, authorizations, authorizations.length)
      await load(server.url, authorizations, WARMUP_S)
    }
    const runs = new Map<Variant, Run[]>(VARIANTS.map((v) => [v, []]))
    for (let round = 0; round < ROUNDS; round++) {
      const order = VARIANTS.map((_, i) => VARIANTS[(i + round * 4) % VARIANTS.length] as Variant)
      for (const variant of order) {
        runs
          .get(variant)
          ?.push(await measure(servers.get(variant) as ServerProcess, authorizations))
      }
    }
    report(runs)
  } finally {
    await Promise.all([...servers.values()].map((s) => s.stop()))
    rmSync(dir, { recursive: true, force: true })
  }
}

const percent = (share: number): string => `${(share * 100).toFixed(0)} %`

function report(runs: Map<Variant, Run[]>): void {
  const of = (v: Variant): Run[] => runs.get(v) ?? []
  const median = (v: Variant, pick: (r: Run) => number): number => summarize(of(v).map(pick)).median
  // Per round: ours over theirs (req/s), and theirs over ours (CPU per request).
  const ratio = (ours: Variant, theirs: Variant): Summary =>
    summarize(of(ours).map((r, round) => r.rps / (of(theirs)[round]?.rps ?? Number.NaN)))
  const cpuRatio = (ours: Variant, theirs: Variant): Summary =>
    summarize(
      of(ours).map(
        (r, round) => (of(theirs)[round]?.cpuPerRequest ?? Number.NaN) / r.cpuPerRequest,
      ),
    )
  const saturated = (v: Variant): boolean => median(v, (r) => r.serverShare) >= SATURATED
  const failures = (v: Variant): number => of(v).reduce((sum, r) => sum + r.failures, 0)
  const shares = (v: Variant): string =>
    `${percent(median(v, (r) => r.serverShare))} / ${percent(median(v, (r) => r.generatorShare))}`

  const quiet = (v: Variant): boolean => median(v, (r) => r.interference) < MAX_INTERFERENCE
  // One target. Both servers saturated: the req/s ratio. Otherwise, when nothing else ran on
  // the server core: the CPU-per-request ratio (what the req/s ratio would be, saturated).
  // Failed responses, or a core shared with other work, make it "not valid".
  const target = (id: TargetId, ours: Variant, theirs: Variant, goal: number): string[] => {
    const r = ratio(ours, theirs)
    const byCpu = cpuRatio(ours, theirs)
    const clean = failures(ours) + failures(theirs) === 0
    const bySaturation = clean && saturated(ours) && saturated(theirs)
    const byCost = clean && !bySaturation && quiet(ours) && quiet(theirs)
    const basis = bySaturation ? 'req/s' : byCost ? 'CPU/req' : undefined
    const decisive = bySaturation ? r : byCpu
    const context =
      `server / generator CPU ${shares(ours)} vs ${shares(theirs)}; other work on the server ` +
      `core ${percent(median(ours, (x) => x.interference))} / ${percent(median(theirs, (x) => x.interference))}`
    recordTarget({
      id,
      measured: `${formatRatio(decisive)} by ${basis ?? (bySaturation ? 'req/s' : 'CPU/req')}`,
      met: basis === undefined ? undefined : decisive.median >= goal,
      note: `req/s ${formatRatio(r)}, CPU/req ${formatRatio(byCpu)}; ${context}`,
    })
    const verdict =
      basis === undefined
        ? `not valid (${clean ? 'server core shared' : 'failed responses'})`
        : `${met(decisive.median >= goal)} (by ${basis})`
    return [`${formatRatio(r)}; by CPU/req ${formatRatio(byCpu)}`, `≥ ${goal}×: ${verdict}`]
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
    `Load: ${GENERATOR}, ${CONNECTIONS} connections, ${DURATION_S} s per run after every key once and ` +
      `a ${WARMUP_S} s warm-up; requests cycle through a fixed shuffle of the 1,000 keys. ` +
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
