/**
 * The HTTP form of an {@link AuthError}: status, headers (the RFC 6750 challenge,
 * `Cache-Control`, `Retry-After`, `Allow`) and JSON body. It is part of the error contract
 * (`AuthError.toResponse()`), which every adapter and runtime sends as is, so it lives beside
 * the error rather than in src/http.
 * @module
 */
import type { AuthError, AuthErrorBody, AuthErrorCode, AuthErrorResponse } from './errors.js'

// RFC 6750 §3 scope-token: what may stand inside scope="…" without escaping.
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]{1,100}$/
const isScopeToken = (scope: unknown): boolean =>
  typeof scope === 'string' && SCOPE_TOKEN.test(scope)

/** The response for `error`, with `realm` already checked. @internal */
export function errorToResponse(error: AuthError, realm: string): AuthErrorResponse {
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  }
  const challenge = bearerChallenge(error, realm)
  if (challenge !== undefined) headers['www-authenticate'] = challenge
  if (error.retryAfterSeconds !== undefined) {
    headers['retry-after'] = String(error.retryAfterSeconds)
  }
  if (error.allow !== undefined) headers.allow = error.allow
  if (error.limitHeaders !== undefined) {
    // Only the two RateLimit fields: nothing else can ride along on a 429.
    for (const name of LIMIT_HEADERS) {
      const value = error.limitHeaders[name]
      if (typeof value === 'string') headers[name] = value
    }
  }
  const body: AuthErrorBody = { error: { code: error.code, message: error.message } }
  if (error.requiredScopes !== undefined) body.error.requiredScopes = [...error.requiredScopes]
  if (error.issues !== undefined) body.error.issues = error.issues.map((i) => ({ ...i }))
  return { status: error.status, headers, body }
}

const LIMIT_HEADERS = ['ratelimit-policy', 'ratelimit'] as const

const TOKEN_ERRORS = new Set<AuthErrorCode>([
  'INVALID_FORMAT',
  'KEY_NOT_FOUND',
  'KEY_REVOKED',
  'KEY_EXPIRED',
  'KEY_DISABLED',
])

// INVALID_FORMAT reasons of a Bearer attempt that is not one well-formed credential: the request
// must be fixed, not the key (RFC 6750 §3.1 `invalid_request`; status stays 401 by contract).
const REQUEST_REASONS = new Set<string>([
  'missing_token',
  'malformed_header',
  'duplicate_header',
  'not_a_string',
])

// RFC 6750 §3: a challenge on every 401/403 of the Bearer scheme. §3.1: no `error` when the
// request carries no Bearer credential; `invalid_request` when it is malformed; `invalid_token`
// when a token was presented and rejected.
function bearerChallenge(error: AuthError, realm: string): string | undefined {
  // Only a refused credential gets a challenge: a 404 names a missing resource.
  if (error.status !== 401 && error.status !== 403) return undefined
  // A signed webhook (secret scanning) presents no Bearer credential and can use no challenge.
  if (error.code === 'SIGNATURE_INVALID') return undefined
  const head = `Bearer realm="${realm}"`
  if (error.code === 'INSUFFICIENT_SCOPE') {
    return `${head}, error="insufficient_scope", scope="${(error.requiredScopes ?? []).filter(isScopeToken).join(' ')}"`
  }
  if (TOKEN_ERRORS.has(error.code)) {
    if (error.reason === 'unsupported_scheme') return head
    if (error.code === 'INVALID_FORMAT' && error.reason !== undefined) {
      if (REQUEST_REASONS.has(error.reason)) return `${head}, error="invalid_request"`
    }
    return `${head}, error="invalid_token"`
  }
  return head
}
