/** autocannon runs against a server in another process. */
import { performance } from 'node:perf_hooks'
import autocannon from 'autocannon'
import { intOption, QUICK } from './args.js'

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

/** One autocannon run cycling through `authorizations` (`Authorization` values). */
export function load(
  url: string,
  authorizations: readonly string[],
  seconds: number = DURATION_S,
): Promise<LoadResult> {
  return run({
    url: `${url}${PATH}`,
    connections: CONNECTIONS,
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
