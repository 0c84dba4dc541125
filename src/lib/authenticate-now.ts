/**
 * The synchronous form of `auth.authenticate`, carried by that function itself. Internal: not
 * exported from the package.
 *
 * A cache hit needs no I/O, so the verifier can answer it in the same turn; `authenticate`
 * must still return a promise (its public contract), and every promise and `await` between the
 * hit and the framework's `next()` costs an allocation and a microtask per request: about 10 %
 * of the HTTP throughput of an adapter next to a hand-written middleware (docs/benchmarks.md).
 * The HTTP layer's guard therefore asks for this form and awaits only what is really pending.
 *
 * It hangs off the `authenticate` function rather than the service object so that whoever wraps
 * or replaces `auth.authenticate` (a spy, an instrumentation) is always called: their function
 * does not carry it, and the guard falls back to calling `authenticate`. `Symbol.for`, so that
 * two copies of this module (the root and `@vydra/auth/http` bundled apart) agree on it.
 */
import type { RequestMetadata } from '../events.js'
import type { RequiredScopes } from '../scope.js'
import type { ApiKeyPrincipal } from '../types.js'

/** The property of `auth.authenticate` that holds {@link AuthenticateNow}. */
export const AUTHENTICATE_NOW: unique symbol = Symbol.for('@vydra/auth.authenticateNow')

/**
 * `authenticate` answering synchronously when it can: the principal itself on a cache hit, the
 * promise `authenticate` would return otherwise (a store read, or a refusal). Never throws.
 */
export type AuthenticateNow = (
  authorization: unknown,
  options?: { scopes?: RequiredScopes; request?: RequestMetadata },
) => ApiKeyPrincipal | Promise<ApiKeyPrincipal>

/** `authenticate`'s synchronous form, when it carries one. */
export function authenticateNowOf(authenticate: unknown): AuthenticateNow | undefined {
  if (typeof authenticate !== 'function') return undefined
  const now: unknown = (authenticate as { [AUTHENTICATE_NOW]?: unknown })[AUTHENTICATE_NOW]
  return typeof now === 'function' ? (now as AuthenticateNow) : undefined
}
