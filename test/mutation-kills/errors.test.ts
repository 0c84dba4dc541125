/**
 * Error details written against mutants of `src/errors.ts`, `src/error-response.ts` and
 * `src/service/scope-registry.ts` that survived the narrowed runs (docs/testing.md, mutation
 * testing; test/mutation/equivalent.md lists those no test can kill). Expected challenges are
 * written out from docs/errors.md, not computed by the library.
 */
import { describe, expect, it } from 'vitest'
import { AuthError, isAuthError, type AuthErrorCode } from '../../src/index.js'
import { createScopeRegistry } from '../../src/service/scope-registry.js'

const challengeOf = (error: AuthError): string | undefined =>
  error.toResponse().headers['www-authenticate']

describe('the challenge of each refusal (docs/errors.md)', () => {
  it('KEY_DISABLED is a token that is not usable: invalid_token', () => {
    expect(challengeOf(new AuthError('KEY_DISABLED'))).toBe(
      'Bearer realm="vydra", error="invalid_token"',
    )
  })

  it('SIGNATURE_INVALID (a signed webhook, no Bearer credential) has no challenge at all', () => {
    const response = new AuthError('SIGNATURE_INVALID').toResponse()
    expect(response.status).toBe(401)
    expect(response.headers).not.toHaveProperty('www-authenticate')
  })

  it('a Bearer value that is not a string is a request to fix: invalid_request', () => {
    expect(challengeOf(new AuthError('INVALID_FORMAT', { reason: 'not_a_string' }))).toBe(
      'Bearer realm="vydra", error="invalid_request"',
    )
  })

  it('the request reasons make invalid_request only for INVALID_FORMAT, never for a key error', () => {
    // A key that was found but is unusable is about the key, whatever reason it carries.
    for (const code of ['KEY_NOT_FOUND', 'KEY_REVOKED', 'KEY_EXPIRED', 'KEY_DISABLED'] as const) {
      for (const reason of ['missing_token', 'malformed_header', 'duplicate_header']) {
        expect([code, reason, challengeOf(new AuthError(code, { reason }))]).toEqual([
          code,
          reason,
          'Bearer realm="vydra", error="invalid_token"',
        ])
      }
    }
  })
})

describe('the RateLimit headers of a 429', () => {
  it('carry string values only: anything else is left out, never sent as text', () => {
    const limitHeaders = {
      'ratelimit-policy': 5,
      ratelimit: undefined,
    } as unknown as Record<string, string>
    const response = new AuthError('RATE_LIMITED', { limitHeaders }).toResponse()
    expect(response.headers).not.toHaveProperty('ratelimit-policy')
    expect(response.headers).not.toHaveProperty('ratelimit')
    const valid = new AuthError('RATE_LIMITED', {
      limitHeaders: { 'ratelimit-policy': '"minute";q=60;w=60', ratelimit: 5 as unknown as string },
    }).toResponse()
    expect(valid.headers['ratelimit-policy']).toBe('"minute";q=60;w=60')
    expect(valid.headers).not.toHaveProperty('ratelimit')
  })
})

describe('AuthError: stacks and identity', () => {
  it('a server error builds where Error.captureStackTrace is missing (engines other than V8)', () => {
    const capture = Error.captureStackTrace
    let error: unknown
    try {
      ;(Error as { captureStackTrace?: unknown }).captureStackTrace = undefined
      error = new AuthError('AUTH_UNAVAILABLE')
    } finally {
      Error.captureStackTrace = capture
    }
    expect(error).toMatchObject({ code: 'AUTH_UNAVAILABLE', status: 503 })
  })

  it("a server error's stack starts at the caller, not inside the AuthError constructor", () => {
    function callerOfTheError(): AuthError {
      return new AuthError('AUTH_UNAVAILABLE')
    }
    const frames = (callerOfTheError().stack ?? '').split('\n').filter((l) => /^\s+at /.test(l))
    expect(frames.length).toBeGreaterThan(0)
    expect(frames[0]).toContain('callerOfTheError')
    expect(frames.some((frame) => frame.includes('new AuthError'))).toBe(false)
  })

  it('isAuthError: an instance is one even with a code this version does not know', () => {
    // A JavaScript caller can pass any string; the instance is still an AuthError.
    expect(isAuthError(new AuthError('SOME_FUTURE_CODE' as AuthErrorCode))).toBe(true)
  })
})

describe('scope registry: a registered * vouches for nothing (docs/scopes.md)', () => {
  it('a route may not require a scope only `*` would cover', () => {
    const registry = createScopeRegistry(['*', 'models:read'])
    expect(registry.checkRouteScopes(['models:read'])).toEqual(['models:read'])
    expect(registry.checkRouteScopes(['*'])).toEqual(['*'])
    for (const typo of ['models:raed', 'jobs:run']) {
      expect(() => registry.checkRouteScopes([typo])).toThrow(
        expect.objectContaining({
          code: 'CONFIGURATION_ERROR',
          message: `Unknown or malformed required scope: "${typo}"`,
        }),
      )
      expect(() => registry.checkRouteScopes({ anyOf: [typo] })).toThrow(
        expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
      )
    }
  })
})
