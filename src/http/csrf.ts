/**
 * Cross-site request forgery check for cookie-authenticated, state-changing requests.
 * @module
 */
import { AuthError } from '../errors.js'
import { singleHeaderValue } from '../lib/header-value.js'
import type { AuthRequest } from './types.js'

/**
 * Throws 403 `CSRF_REJECTED` when a cookie-authenticated POST/DELETE comes from another site:
 * `Sec-Fetch-Site: cross-site`, or an `Origin` that is not allowed. Allowed are `allowedOrigins`
 * when given, else the request's own origin: `protocol` + the authority the server received
 * (`:authority` over HTTP/2, else `Host`; both present and different is no origin at all). A request without `Origin`
 * and without `Sec-Fetch-Site` (curl, server-to-server) passes: browsers send `Origin` on every
 * cross-origin POST and DELETE. Bearer-authenticated requests need no check: browsers never
 * attach an `Authorization` header by themselves.
 *
 * @example
 * ```ts
 * checkCsrf(request, ['https://app.example'])
 * ```
 */
export function checkCsrf(
  request: Pick<AuthRequest, 'headers' | 'protocol'>,
  allowedOrigins: readonly string[] | undefined,
): void {
  const site = singleHeaderValue(request.headers['sec-fetch-site'])
  if (site !== undefined && site.trim().toLowerCase() === 'cross-site') {
    throw new AuthError('CSRF_REJECTED', { reason: 'cross_site' })
  }
  const origins = request.headers.origin
  if (origins === undefined) return
  const origin = singleHeaderValue(origins)
  const allowed = allowedOrigins ?? ownOrigin(request)
  if (origin === undefined || !allowed.includes(origin.trim())) {
    throw new AuthError('CSRF_REJECTED', { reason: 'foreign_origin' })
  }
}

function ownOrigin(request: Pick<AuthRequest, 'headers' | 'protocol'>): string[] {
  const host = receivedAuthority(request.headers)
  const protocol = request.protocol === 'https' ? 'https' : 'http'
  if (host === undefined || !URL.canParse(`${protocol}://${host}`)) return []
  return [new URL(`${protocol}://${host}`).origin]
}

// HTTP/2 clients send `:authority` and usually no `Host` (RFC 9113 §8.3.1); an HTTP/1.1 parser
// never yields a header named `:authority`. Two that disagree make a malformed request: fail closed.
function receivedAuthority(headers: AuthRequest['headers']): string | undefined {
  const authority = singleHeaderValue(headers[':authority'])
  const host = singleHeaderValue(headers.host)
  if (authority === undefined) return host
  if (host !== undefined && host.toLowerCase() !== authority.toLowerCase()) return undefined
  return authority
}
