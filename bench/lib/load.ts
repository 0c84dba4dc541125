/** autocannon runs against a server in another process. */
import autocannon from 'autocannon'
import { QUICK } from './args.js'

/** Seconds per measured run and per warm-up, and connections kept open. */
export const DURATION_S = QUICK ? 1 : 3
export const WARMUP_S = QUICK ? 1 : 2
export const CONNECTIONS = 32

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
}

// autocannon cycles a request list per connection, each from the start; one shared counter
// instead makes the whole run go round-robin through every key, whatever the connection count.
function roundRobin(authorizations: readonly string[]): autocannon.Request[] {
  let next = 0
  return [
    {
      method: 'GET',
      path: '/api/v1/models',
      setupRequest: (request: autocannon.Request) => {
        const authorization = authorizations[next++ % authorizations.length] as string
        return { ...request, headers: { ...request.headers, authorization } }
      },
    },
  ]
}

function toResult(result: autocannon.Result): LoadResult {
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    failures: result.non2xx + result.errors + result.timeouts,
  }
}

/** One autocannon run going round-robin through `authorizations` (`Authorization` values). */
export async function load(
  url: string,
  authorizations: readonly string[],
  seconds: number = DURATION_S,
): Promise<LoadResult> {
  return toResult(
    await autocannon({
      url: `${url}/api/v1/models`,
      connections: CONNECTIONS,
      duration: seconds,
      requests: roundRobin(authorizations),
    }),
  )
}

/** Exactly `amount` requests (for counting store calls). */
export async function loadAmount(
  url: string,
  authorizations: readonly string[],
  amount: number,
): Promise<LoadResult> {
  return toResult(
    await autocannon({
      url: `${url}/api/v1/models`,
      connections: CONNECTIONS,
      amount,
      requests: roundRobin(authorizations),
    }),
  )
}
