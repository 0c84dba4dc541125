/**
 * Client-address resolution, the one rule every adapter follows (docs/limits.md, "Client
 * address"): the socket's peer address, or, behind `trustProxy` reverse proxies, the
 * `trustProxy`-th address from the right of `X-Forwarded-For`. The frameworks' own rules
 * (Express `trust proxy`, Fastify `trustProxy`, Koa `proxy`) are not read: one setting, one
 * answer, whatever the framework. Web APIs only (Bun, Deno, workerd).
 * @module
 */
import type { ApiKeyAuth } from '../create-api-key-auth.js'
import { AuthError } from '../errors.js'
import type { AuthRequestHeaders } from './types.js'

// An address as written by a proxy or a socket: IPv4, IPv6 (with an optional zone), no port.
const ADDRESS = /^[0-9A-Fa-f:.]{2,45}(%[0-9A-Za-z._-]{1,16})?$/

// `::ffff:192.0.2.1` (an IPv4 peer on a dual-stack socket) is `192.0.2.1`, as proxies write it.
function normalise(address: string): string {
  const text = address.trim()
  const mapped = /^::ffff:(\d{1,3}(\.\d{1,3}){3})$/i.exec(text)
  return mapped === null ? text.toLowerCase() : (mapped[1] as string)
}

/**
 * The client address of a request: `socketAddress` when `trustProxy` is 0 (the header is the
 * client's to write, so it is ignored), else the `trustProxy`-th entry from the right of
 * `X-Forwarded-For` (1: the one the nearest proxy appended), or its leftmost entry when it has
 * fewer. An entry that is not an address falls back to `socketAddress`. `undefined` when
 * nothing is known.
 *
 * @example
 * ```ts
 * forwardedClientAddress('10.0.0.2', '203.0.113.7, 198.51.100.1', 1) // '198.51.100.1'
 * forwardedClientAddress('10.0.0.2', '203.0.113.7', 0) // '10.0.0.2'
 * ```
 */
export function forwardedClientAddress(
  socketAddress: string | undefined,
  forwardedFor: string | readonly string[] | undefined,
  trustProxy: number,
): string | undefined {
  const socket =
    typeof socketAddress === 'string' && ADDRESS.test(socketAddress.trim())
      ? normalise(socketAddress)
      : undefined
  if (trustProxy <= 0 || forwardedFor === undefined) return socket
  const entries = (typeof forwardedFor === 'string' ? forwardedFor : forwardedFor.join(','))
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
  if (entries.length === 0) return socket
  const entry = entries[Math.max(0, entries.length - trustProxy)] as string
  return ADDRESS.test(entry) ? normalise(entry) : socket
}

/** The `trustProxy` of a service (`limits.failedAuth.trustProxy`, else 0). */
export function trustedProxies(auth: ApiKeyAuth): number {
  return auth.failedAuthThrottle?.trustProxy ?? 0
}

/** The client address of a request with `headers` whose socket peer is `socketAddress`. */
export function clientAddressOf(
  socketAddress: string | undefined,
  headers: AuthRequestHeaders,
  trustProxy: number,
): string | undefined {
  return forwardedClientAddress(socketAddress, headers['x-forwarded-for'], trustProxy)
}

/**
 * Set-up check of the adapters without a socket (fetch, Hono, Next): with failed-authentication
 * throttling on and no trusted proxy, they need the application's `clientAddress` resolver (the
 * runtime's peer address), or every client would be unknown and never throttled.
 * @internal
 */
export function requireClientAddressSource(
  auth: ApiKeyAuth,
  resolver: unknown,
  call: string,
): void {
  const throttle = auth.failedAuthThrottle
  if (throttle !== undefined && throttle.trustProxy === 0 && resolver === undefined) {
    throw new AuthError('CONFIGURATION_ERROR', {
      message:
        `${call}: limits.failedAuth needs the client address: pass clientAddress (the ` +
        "runtime's peer address, e.g. Bun's server.requestIP) or set limits.failedAuth.trustProxy",
    })
  }
}
