/**
 * The synchronous form of `auth.chargeLimits`, carried by that function itself. Internal: not
 * exported from the package.
 *
 * With a limit store that answers in this process (`MemoryLimitStore`, a held lease: see
 * src/lib/consume-now.ts), a charge needs no I/O; `chargeLimits` must still return a promise
 * (its public contract), and the promise, its `then` and the closure building the guard's result
 * were a measurable part of what one rate limit cost a Fastify request (docs/benchmarks.md,
 * "Limits cost"). The HTTP layer's guard asks for this form and awaits only what is pending.
 *
 * It hangs off the `chargeLimits` function, like `AUTHENTICATE_NOW` off `authenticate`, so that
 * whoever replaces `auth.chargeLimits` (a spy, a wrapper) is always called. `Symbol.for`, so
 * that two copies of this module (the root and `@vydra/auth/http` bundled apart) agree on it.
 * @module
 */
import type { AuthError } from '../errors.js'
import type { RequestMetadata } from '../events.js'
import type { ApiKeyPrincipal } from '../types.js'

/** The property of `auth.chargeLimits` that holds {@link ChargeNow}. */
export const CHARGE_NOW: unique symbol = Symbol.for('@vydra/auth.chargeNow')

/**
 * `chargeLimits` answering synchronously when it can: the headers to send, or the refusal
 * (429, or 503 by the outage policy) returned rather than thrown; a promise of the headers
 * when the limit store must be asked (it rejects with the refusal). `cost` is already checked
 * (1..1000). It may throw for what `chargeLimits` would reject with otherwise (a broken clock).
 */
export type ChargeNow = (
  principal: ApiKeyPrincipal,
  cost: number,
  request: RequestMetadata | undefined,
) => Record<string, string> | AuthError | Promise<Record<string, string>>

/** `chargeLimits`'s synchronous form, when it carries one. */
export function chargeNowOf(chargeLimits: unknown): ChargeNow | undefined {
  if (typeof chargeLimits !== 'function') return undefined
  const now: unknown = (chargeLimits as { [CHARGE_NOW]?: unknown })[CHARGE_NOW]
  return typeof now === 'function' ? (now as ChargeNow) : undefined
}
