/**
 * How much two processes of the same server differ: long-lived servers, one per argument (a
 * variant may repeat), measured in alternated rounds as sections 2 and 3 measured them until the
 * seventh session (not a section of `npm run bench`: the evidence for bench/lib/fresh-server.ts;
 * docs/benchmarks.md, "Seventh session").
 *
 * ```sh
 * node --import tsx bench/ab/process-spread.ts fastify-hand fastify-hand fastify-lib fastify-lib
 * ```
 *
 * Prints each process's server CPU per request per round, then its median. Processes of one
 * variant that stay apart round after round differ by the process, not by the round.
 * Environment: `ROUNDS` (8). Pinned as the bench pins (servers on one CPU, wrk on the other).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { generateKeys } from '../http/keys.js'
import { pinSelf } from '../lib/cpu.js'
import { measureRun } from '../lib/judge.js'
import { load, loadAmount, WARMUP_S } from '../lib/load.js'
import { type ServerProcess, startServer } from '../lib/server-process.js'
import { summarize } from '../lib/stats.js'

const variants = process.argv.slice(2)
if (variants.length < 2) throw new Error('usage: process-spread.ts <variant> <variant> [...]')
const ROUNDS = Number(process.env.ROUNDS ?? 8)

pinSelf('load')
const dir = mkdtempSync(join(tmpdir(), 'vydra-spread-'))
const keys = generateKeys()
const keysFile = join(dir, 'keys.json')
writeFileSync(keysFile, JSON.stringify(keys))
const authorizations = keys.map((key) => `Bearer ${key}`)
// The sources through tsx, not the section bundle: the same build in every process is all
// this compares.
const launch = { command: process.execPath, script: resolve('bench/http/server.ts') }
const servers: ServerProcess[] = []
try {
  for (const variant of variants) {
    const server = await startServer(variant, keysFile, { NODE_OPTIONS: '--import tsx' }, launch)
    servers.push(server)
    await loadAmount(server.url, authorizations, authorizations.length)
    await load(server.url, authorizations, WARMUP_S)
  }
  const cpu: number[][] = variants.map(() => [])
  for (let round = 0; round < ROUNDS; round++) {
    const order = servers.map((_, i) => i)
    if (round % 2 === 1) order.reverse()
    for (const i of order) {
      cpu[i]?.push((await measureRun(servers[i] as ServerProcess, authorizations)).cpuPerRequest)
    }
    console.log(`round ${round + 1}: ${cpu.map((c) => (c.at(-1) ?? 0).toFixed(2)).join('  ')} µs`)
  }
  variants.forEach((variant, i) => {
    const s = summarize(cpu[i] ?? [])
    console.log(
      `process ${i + 1} (${variant}): median ${s.median.toFixed(2)} µs (${s.min.toFixed(2)}–${s.max.toFixed(2)})`,
    )
  })
} finally {
  await Promise.all(servers.map((server) => server.stop()))
  rmSync(dir, { recursive: true, force: true })
}
