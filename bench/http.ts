/**
 * Sections 2 and 3: HTTP throughput per framework (bare, hand-written pipeline, the library) and
 * against the peers, every server in its own process, autocannon in this one. Each round runs
 * every variant once (rotating the order), so ratios pair runs made under the same load.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { QUICK } from './lib/args.js'
import { generateKeys } from './http/keys.js'
import { CONNECTIONS, DURATION_S, load, type LoadResult, WARMUP_S } from './lib/load.js'
import { type ServerProcess, startServer } from './lib/server-process.js'
import { formatRate, formatRatio, formatRange, met, summarize } from './lib/stats.js'
import { printNote, printTable } from './lib/table.js'

const ROUNDS = QUICK ? 3 : 7
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
/** One measured run, with the server's CPU time per request (robust to other load). */
type Run = LoadResult & { cpuPerRequest: number }

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

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vydra-bench-'))
  const keys = generateKeys()
  const keysFile = join(dir, 'keys.json')
  writeFileSync(keysFile, JSON.stringify(keys))
  const authorizations = keys.map((key) => `Bearer ${key}`)
  const servers = new Map<Variant, ServerProcess>()
  try {
    // Started one at a time: each start compiles TypeScript and would skew a neighbour's warm-up.
    for (const variant of VARIANTS) {
      const server = await startServer(variant, keysFile)
      servers.set(variant, server)
      await checkServer(server, keys[0] as string)
      await load(server.url, authorizations, WARMUP_S)
    }
    const runs = new Map<Variant, Run[]>(VARIANTS.map((v) => [v, []]))
    for (let round = 0; round < ROUNDS; round++) {
      const order = VARIANTS.map((_, i) => VARIANTS[(i + round * 4) % VARIANTS.length] as Variant)
      for (const variant of order) {
        const server = servers.get(variant) as ServerProcess
        const cpuBefore = server.cpuMicros()
        const result = await load(server.url, authorizations)
        const cpuPerRequest = (server.cpuMicros() - cpuBefore) / result.total
        runs.get(variant)?.push({ ...result, cpuPerRequest })
      }
    }
    report(runs)
  } finally {
    await Promise.all([...servers.values()].map((s) => s.stop()))
    rmSync(dir, { recursive: true, force: true })
  }
}

// Throughput a CPU-bound server would reach, relative: the other's CPU per request over ours.
function cpuRatioOf(runs: Map<Variant, Run[]>, other: Variant, ours: Variant) {
  const theirs = (runs.get(other) ?? []).map((r) => r.cpuPerRequest)
  return summarize((runs.get(ours) ?? []).map((r, round) => (theirs[round] ?? 0) / r.cpuPerRequest))
}

function report(runs: Map<Variant, Run[]>): void {
  const rps = (v: Variant): number[] => (runs.get(v) ?? []).map((r) => r.rps)
  const ratio = (a: Variant, b: Variant) =>
    summarize(rps(a).map((value, round) => value / (rps(b)[round] ?? 1)))
  const failures = (v: Variant): number =>
    (runs.get(v) ?? []).reduce((sum, r) => sum + r.failures, 0)
  const row = (v: Variant, base: Variant, extra: string[]): string[] => {
    const s = summarize(rps(v))
    const p99 = summarize((runs.get(v) ?? []).map((r) => r.p99))
    const cpu = summarize((runs.get(v) ?? []).map((r) => r.cpuPerRequest))
    const bad = failures(v)
    return [
      LABELS[v] + (bad > 0 ? ` (**${bad} failed responses: invalid**)` : ''),
      formatRate(s.median),
      formatRange(s, formatRate),
      `${p99.median.toFixed(1)} ms`,
      `${cpu.median.toFixed(0)} µs`,
      v === base ? '1.00×' : formatRatio(ratio(v, base)),
      ...extra,
    ]
  }
  const rows2: string[][] = []
  for (const framework of ['express', 'fastify', 'koa'] as const) {
    const bare = `${framework}-bare` as Variant
    const hand = `${framework}-hand` as Variant
    const lib = `${framework}-lib` as Variant
    const libVsHand = ratio(lib, hand)
    const cpuRatio = cpuRatioOf(runs, hand, lib)
    rows2.push(row(bare, bare, ['', '']))
    rows2.push(row(hand, bare, ['', '']))
    rows2.push(
      row(lib, bare, [
        `${formatRatio(libVsHand)}; by CPU/req ${cpuRatio.median.toFixed(2)}×`,
        `≥ 0.95× hand-written: ${met(libVsHand.median >= 0.95)}`,
      ]),
    )
  }
  const header = ['server', 'median req/s', 'min–max', 'p99 latency', 'server CPU/req', 'vs bare']
  printTable(
    `2. HTTP overhead per framework (valid key, MemoryKeyStore, cache on; ${ROUNDS} interleaved rounds)`,
    [...header, 'library vs hand-written', 'target met?'],
    rows2,
  )
  const vsBearer = ratio('fastify-lib', 'fastify-bearerauth')
  const vsPassport = ratio('express-lib', 'express-passport')
  const cpuBearer = cpuRatioOf(runs, 'fastify-bearerauth', 'fastify-lib')
  const cpuPassport = cpuRatioOf(runs, 'express-passport', 'express-lib')
  printTable(
    `3. Against the peers (1,000 keys; ${ROUNDS} interleaved rounds)`,
    [...header, 'library vs peer', 'target met?'],
    [
      row('fastify-bare', 'fastify-bare', ['', '']),
      row('fastify-bearerauth', 'fastify-bare', ['', '']),
      row('fastify-lib', 'fastify-bare', [
        `${formatRatio(vsBearer)}; by CPU/req ${cpuBearer.median.toFixed(2)}×`,
        `≥ 3× bearer-auth: ${met(vsBearer.median >= 3)}`,
      ]),
      row('express-bare', 'express-bare', ['', '']),
      row('express-passport', 'express-bare', ['', '']),
      row('express-lib', 'express-bare', [
        `${formatRatio(vsPassport)}; by CPU/req ${cpuPassport.median.toFixed(2)}×`,
        `≥ 1.3× passport: ${met(vsPassport.median >= 1.3)}`,
      ]),
    ],
  )
  printNote(
    `autocannon, ${CONNECTIONS} connections, ${DURATION_S} s per run after a ${WARMUP_S} s warm-up, ` +
      `requests cycling through all 1,000 keys; server and load generator in separate processes ` +
      `on 127.0.0.1. Ratios are per round (same-round runs), then median (min–max). ` +
      `"Server CPU/req" is the server process's user+system time per request (from /proc), ` +
      `which other load on the machine barely moves; "by CPU/req" is the throughput ratio it implies.`,
  )
}

await main()
