/**
 * The IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers-10) of a limit check:
 * `RateLimit-Policy` (each policy's quota and window) and `RateLimit` (what is left, and when it
 * resets). Names are checked by the schema (`[A-Za-z0-9_-]`), so they need no escaping.
 * @module
 */
import type { LimitOutcome } from './types.js'

/** Policy name of a key's credits in the headers; no rate limit may take it. */
export const CREDITS_POLICY = 'credits'

const seconds = (ms: number): number => Math.max(0, Math.ceil(ms / 1000))

/** `ratelimit-policy` and `ratelimit` for `outcome` (lower-case names, as responses carry them). */
export function limitHeaders(
  outcome: LimitOutcome,
  creditQuota: number | undefined,
): Record<string, string> {
  const policy: string[] = []
  const state: string[] = []
  for (const limit of outcome.rate) {
    policy.push(`"${limit.name}";q=${limit.limit};w=${seconds(limit.windowMs)}`)
    state.push(`"${limit.name}";r=${limit.remaining};t=${seconds(limit.resetMs)}`)
  }
  const credits = outcome.credits
  if (credits !== undefined) {
    policy.push(`"${CREDITS_POLICY}";q=${creditQuota ?? credits.remaining}`)
    state.push(
      credits.resetMs === undefined
        ? `"${CREDITS_POLICY}";r=${credits.remaining}`
        : `"${CREDITS_POLICY}";r=${credits.remaining};t=${seconds(credits.resetMs)}`,
    )
  }
  if (policy.length === 0) return {}
  return { 'ratelimit-policy': policy.join(', '), ratelimit: state.join(', ') }
}

/** `Retry-After` in whole seconds, at least 1: a client retrying sooner would be refused. */
export const retryAfterSeconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000))
