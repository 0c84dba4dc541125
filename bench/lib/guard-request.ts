/**
 * What the in-process limit benches (sections 8d, 8e) hand `createRequestGuard`: a request that
 * is only its headers, the accessors that read it, and the one rate limit they put on a key
 * (high enough never to deny, so every call is charged and admitted).
 */
import type { RequestAccessors } from '../../src/http/index.js'

/** A request as the guard reads it: the `Authorization` header, once. */
export interface BenchRequest {
  headers: Record<string, string>
  rawHeaders: string[]
}

/** The accessors of a {@link BenchRequest}. */
export const BENCH_ACCESSORS: RequestAccessors<BenchRequest> = {
  headers: (r) => r.headers,
  rawHeaders: (r) => r.rawHeaders,
  method: () => 'GET',
  path: () => '/api/v1/models',
  socketAddress: () => '127.0.0.1',
}

/** One request carrying `key` as a Bearer token. */
export function benchRequest(key: string): BenchRequest {
  const authorization = `Bearer ${key}`
  return { headers: { authorization }, rawHeaders: ['Authorization', authorization] }
}

/** One rate limit per key that never denies in a bench run. */
export const BENCH_RATE = [{ name: 'minute', limit: 1_000_000_000, windowMs: 60_000 }]
