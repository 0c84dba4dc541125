/** autocannon runs against a server in another process. */
import autocannon from 'autocannon'
import { QUICK } from './args.js'

/** Seconds per measured run and per warm-up, and connections kept open. */
export const DURATION_S = QUICK ? 1 : 4
export const WARMUP_S = QUICK ? 1 : 2
export const CONNECTIONS = 32

export interface LoadResult {
  /** Mean requests per second over the run. */
  rps: number
  /** Latency percentiles in ms. */
  p50: number
  p99: number
  /** Responses other than 2xx, plus errors and timeouts: must be 0 for a valid run. */
  failures: number
}

/** One autocannon run cycling through `authorizations` (one `Authorization` value per request). */
export async function load(
  url: string,
  authorizations: readonly string[],
  seconds: number = DURATION_S,
): Promise<LoadResult> {
  const result = await autocannon({
    url: `${url}/api/v1/models`,
    connections: CONNECTIONS,
    duration: seconds,
    requests: authorizations.map((authorization) => ({
      method: 'GET' as const,
      path: '/api/v1/models',
      headers: { authorization },
    })),
  })
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
  }
}

/** Exactly `amount` requests (for counting store calls). */
export async function loadAmount(
  url: string,
  authorizations: readonly string[],
  amount: number,
): Promise<LoadResult> {
  const result = await autocannon({
    url: `${url}/api/v1/models`,
    connections: CONNECTIONS,
    amount,
    requests: authorizations.map((authorization) => ({
      method: 'GET' as const,
      path: '/api/v1/models',
      headers: { authorization },
    })),
  })
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
  }
}
