/**
 * Load against a server in another process: wrk (C, one thread) when installed, else
 * autocannon. Pinned on 2 cores, the generator has one core and the server the other, so the
 * generator must spend less CPU per request than the server, or it sets the pace. On the
 * development VM autocannon spent ≈ 19–22 µs per request (its HTTP parser is JavaScript),
 * as much as Fastify with a hand-written hook or the library: the generator was the
 * bottleneck. Fewer connections do not lower its cost per request, and a second load process
 * on the same core adds no CPU. wrk spent ≈ 14 µs (both measured on a busy VM), which leaves
 * the Fastify comparisons server-bound. `--generator=autocannon` forces
 * autocannon; every run reports the generator's own CPU share, and the HTTP section counts a
 * comparison only when both servers were busy (see bench/http.ts).
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import autocannon from 'autocannon'
import { intOption, option, QUICK } from './args.js'
import { removeOnExit } from './cleanup.js'

/** Seconds per measured run and per warm-up. */
export const DURATION_S = QUICK ? 1 : 3
export const WARMUP_S = QUICK ? 1 : 2
/**
 * Connections kept open (`--connections=N`): enough to keep a server's core busy, few enough
 * that the load generator, on its own core, stays clearly below 100 % of it (see
 * {@link LoadResult.generatorShare}).
 */
export const CONNECTIONS = intOption('connections', 16)

const PATH = '/api/v1/models'

function wrkVersion(): string | undefined {
  // `wrk -v` prints its version and exits 1.
  const run = spawnSync('wrk', ['-v'], { encoding: 'utf8' })
  return run.error === undefined ? /wrk \S+ \S+/.exec(run.stdout)?.[0] : undefined
}

const WRK = option('generator') === 'autocannon' ? undefined : wrkVersion()
if (option('generator') === 'wrk' && WRK === undefined) {
  throw new Error('--generator=wrk: wrk is not installed (apt-get install wrk)')
}

/** Which generator times the runs, for the report. */
export const GENERATOR =
  WRK === undefined
    ? `autocannon (one Node process${option('generator') === 'autocannon' ? '' : '; wrk not found: apt-get install wrk'})`
    : `${WRK} (one thread)`

export interface LoadResult {
  /** Mean requests per second over the run. */
  rps: number
  /** Latency percentiles in ms. */
  p50: number
  p99: number
  /** Requests completed. */
  total: number
  /** Responses other than 2xx, plus errors and timeouts: must be 0 for a valid run. */
  failures: number
  /** Wall-clock seconds of the run. */
  seconds: number
  /**
   * CPU time of this process (the generator: user + system, every thread) over the run's wall
   * time: 1 means a whole core. Near 1, the generator, not the server, sets the pace.
   */
  generatorShare: number
}

// A fixed shuffle (so runs are comparable): each connection walks the same list from its start,
// and any prefix of a shuffled list is spread evenly over the keys, so whatever number of
// requests a connection completes, no key position (which matters to @fastify/bearer-auth) is
// favoured.
function shuffled<T>(values: readonly T[]): T[] {
  const out = [...values]
  let seed = 0x9e3779b9
  for (let i = out.length - 1; i > 0; i--) {
    seed = (Math.imul(seed, 1_664_525) + 1_013_904_223) >>> 0
    const j = seed % (i + 1)
    ;[out[i], out[j]] = [out[j] as T, out[i] as T]
  }
  return out
}

// Built once per list: autocannon then serializes each request once per connection instead
// of on every request, which keeps the generator's own cost per request low.
const prebuilt = new WeakMap<readonly string[], autocannon.Request[]>()

function requestsOf(authorizations: readonly string[]): autocannon.Request[] {
  let requests = prebuilt.get(authorizations)
  if (requests === undefined) {
    requests = shuffled(authorizations).map((authorization) => ({
      method: 'GET' as const,
      path: PATH,
      headers: { authorization },
    }))
    prebuilt.set(authorizations, requests)
  }
  return requests
}

// For counting store calls over an exact number of requests: one shared counter makes the
// whole run go round-robin through every key, whatever the connection count (the request is
// rebuilt each time, which costs the generator more, but these runs are not timed).
function roundRobin(authorizations: readonly string[]): autocannon.Request[] {
  let next = 0
  return [
    {
      method: 'GET',
      path: PATH,
      setupRequest: (request: autocannon.Request) => {
        const authorization = authorizations[next++ % authorizations.length] as string
        return { ...request, headers: { ...request.headers, authorization } }
      },
    },
  ]
}

async function run(options: autocannon.Options): Promise<LoadResult> {
  const cpuBefore = process.cpuUsage()
  const started = performance.now()
  const result = await autocannon(options)
  const seconds = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpuBefore)
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    failures: result.non2xx + result.errors + result.timeouts,
    seconds,
    generatorShare: (cpu.user + cpu.system) / 1e6 / seconds,
  }
}

// wrk's Lua script: every request of the thread takes the next key (one shared counter, so the
// run goes round-robin over all keys); `done` prints the results as one JSON line.
const WRK_SCRIPT = `
local keys = {}
for line in io.lines(os.getenv('VYDRA_BENCH_KEYS')) do keys[#keys + 1] = line end
local requests, index = {}, 0
init = function(args)
  for i, authorization in ipairs(keys) do
    requests[i] = wrk.format('GET', '${PATH}', { Authorization = authorization })
  end
end
request = function()
  index = index % #requests + 1
  return requests[index]
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'VYDRA {"requests":%d,"us":%d,"errors":%d,"status":%d,"p50":%d,"p99":%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
`

// Files wrk reads, written once per list of keys.
const wrkFiles = new WeakMap<readonly string[], { dir: string; script: string; keys: string }>()

function wrkFilesOf(authorizations: readonly string[]) {
  let files = wrkFiles.get(authorizations)
  if (files === undefined) {
    const dir = removeOnExit(mkdtempSync(join(tmpdir(), 'vydra-bench-wrk-')))
    files = { dir, script: join(dir, 'keys.lua'), keys: join(dir, 'keys.txt') }
    writeFileSync(files.script, WRK_SCRIPT)
    writeFileSync(files.keys, `${shuffled(authorizations).join('\n')}\n`)
    wrkFiles.set(authorizations, files)
  }
  return files
}

const parseTime = (text: string | undefined): number => {
  const match = /(\d+)m([\d.]+)s/.exec(text ?? '')
  return match === null ? Number.NaN : Number(match[1]) * 60 + Number(match[2])
}

// One wrk run, in a shell whose `times` reports wrk's CPU time (it inherits this process's CPU).
async function runWrk(
  url: string,
  authorizations: readonly string[],
  duration: number,
  connections: number,
) {
  const files = wrkFilesOf(authorizations)
  const args = ['-t1', `-c${connections}`, `-d${duration}s`, '--timeout', '10s', '-s']
  const child = spawn(
    'bash',
    [
      '-c',
      'wrk "$@"; status=$?; times; exit $status',
      'wrk',
      ...args,
      files.script,
      `${url}${PATH}`,
    ],
    { env: { ...process.env, VYDRA_BENCH_KEYS: files.keys }, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let out = ''
  let err = ''
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()))
  const started = performance.now()
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
  const wall = (performance.now() - started) / 1000
  const json = /VYDRA (\{.*\})/.exec(out)?.[1]
  if (code !== 0 || json === undefined) throw new Error(`wrk failed (${code}):\n${out}\n${err}`)
  const r = JSON.parse(json) as Record<
    'requests' | 'us' | 'errors' | 'status' | 'p50' | 'p99',
    number
  >
  // `times`: the shell's own user and system time, then its children's (wrk's).
  const children = out.trim().split('\n').at(-1)?.split(' ')
  const cpu = parseTime(children?.[0]) + parseTime(children?.[1])
  return {
    rps: r.requests / (r.us / 1e6),
    p50: r.p50 / 1000,
    p99: r.p99 / 1000,
    total: r.requests,
    failures: r.errors + r.status,
    seconds: r.us / 1e6,
    // wrk starts and reads its script besides the run: share of the whole process lifetime.
    generatorShare: cpu / wall,
  }
}

/**
 * One timed run cycling through `authorizations` (`Authorization` values), over `connections`
 * (default `--connections`, 16).
 */
export function load(
  url: string,
  authorizations: readonly string[],
  seconds: number = DURATION_S,
  connections: number = CONNECTIONS,
): Promise<LoadResult> {
  if (WRK !== undefined) return runWrk(url, authorizations, seconds, connections)
  return run({
    url: `${url}${PATH}`,
    connections,
    duration: seconds,
    requests: requestsOf(authorizations),
  })
}

/** Exactly `amount` requests, round-robin over every key (for counting store calls). */
export function loadAmount(
  url: string,
  authorizations: readonly string[],
  amount: number,
): Promise<LoadResult> {
  return run({
    url: `${url}${PATH}`,
    connections: CONNECTIONS,
    amount,
    requests: roundRobin(authorizations),
  })
}
