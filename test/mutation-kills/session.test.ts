/**
 * Session details written against surviving mutants (docs/testing.md, mutation testing): the
 * JWT-shape and Bearer-JWT checks, where a missing token went, the words of a bad user id, the
 * JOSE errors each reason stands for, curve names, runtimes without `process` or `CryptoKey`,
 * and the user-id mapper's failures.
 */
import { generateKeyPairSync, KeyObject } from 'node:crypto'
import { errors as joseErrors, SignJWT } from 'jose'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { AuthError, createSessionVerifier } from '../../src/index.js'
import { resolveJwtKey } from '../../src/http/session/jwt-key.js'
import {
  classifyJwtError,
  createSessionRejectionLog,
  isBearerJwt,
  looksLikeJwt,
  MAX_SESSION_TOKEN_LENGTH,
  missingCookie,
  userIdProblem,
} from '../../src/http/session/rejections.js'
import { createLogSink } from '../support/log-sink.js'
import { registerSecret } from '../support/secret-scan.js'

// A compact-JWS shape (not a token of any key): header, payload, signature.
const SHAPE = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl'
const SECRET = 'mutation-kills-session-secret-0123456789abcdef'

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('looksLikeJwt', () => {
  it('takes strings only, up to 8192 characters', () => {
    expect(looksLikeJwt(SHAPE)).toBe(true)
    // An array of one JWT would pass the pattern once turned into a string (cookie parsers
    // such as cookie-parser make objects and arrays out of `j:` cookies).
    expect(looksLikeJwt([SHAPE])).toBe(false)
    expect(looksLikeJwt({ toString: () => SHAPE })).toBe(false)
    const atLimit = `eyJ.${'a'.repeat(MAX_SESSION_TOKEN_LENGTH - 6)}.b`
    expect(atLimit.length).toBe(MAX_SESSION_TOKEN_LENGTH)
    expect(looksLikeJwt(atLimit)).toBe(true)
    const over = `eyJ.${'a'.repeat(MAX_SESSION_TOKEN_LENGTH - 5)}.b`
    expect(looksLikeJwt(over)).toBe(false)
  })
})

describe('isBearerJwt', () => {
  it('is Bearer, spaces, one JWT-shaped token, optional spaces: nothing else', () => {
    const yes = [
      `Bearer ${SHAPE}`,
      `bearer ${SHAPE}`,
      `  Bearer ${SHAPE}`,
      `Bearer   ${SHAPE}`,
      `Bearer ${SHAPE}   `,
      `\tBEARER\t${SHAPE}`,
    ]
    const no: unknown[] = [
      `NotBearer ${SHAPE}`,
      `xBearer ${SHAPE}`,
      `Bearer ${SHAPE} extra`,
      `Bearer ${SHAPE} ${SHAPE}`,
      `Bearer${SHAPE}`,
      'Bearer abc',
      'Basic dXNlcjpwYXNz',
      '',
      [`Bearer ${SHAPE}`],
      undefined,
      42,
    ]
    for (const header of yes) expect([header, isBearerJwt(header)]).toEqual([header, true])
    for (const header of no) expect([header, isBearerJwt(header)]).toEqual([header, false])
  })
})

describe('missingCookie', () => {
  it('names at most three other cookies holding a JWT, by token-character names only', () => {
    const cookies: Record<string, unknown> = {
      a: SHAPE,
      b: SHAPE,
      theme: 'dark',
      'bad name': SHAPE,
      '<b>': SHAPE,
      c: SHAPE,
      d: SHAPE,
    }
    expect(missingCookie({ headers: {}, cookies } as never, '__session')).toEqual([
      'jwt_in_other_cookie',
      { jwtCookies: ['a', 'b', 'c'] },
    ])
    // Names outside the cookie-name grammar are never repeated, even as the only JWT holders.
    expect(
      missingCookie({ headers: {}, cookies: { 'bad name': SHAPE, '<b>': SHAPE } } as never, 's'),
    ).toEqual(['no_cookie'])
    // The session cookie itself is not "another cookie".
    expect(missingCookie({ headers: {}, cookies: { s: SHAPE } } as never, 's')).toEqual([
      'no_cookie',
    ])
    expect(
      missingCookie({ headers: { authorization: `Bearer ${SHAPE}` }, cookies: {} } as never, 's'),
    ).toEqual(['bearer_jwt'])
  })
})

describe('userIdProblem', () => {
  it('says what is wrong without repeating the value', () => {
    expect(userIdProblem(undefined)).toBe('missing')
    expect(userIdProblem(null)).toBe('not a string (object)')
    expect(userIdProblem(42)).toBe('not a string (number)')
    expect(userIdProblem('')).toBe('empty')
    expect(userIdProblem('x'.repeat(65))).toBe('longer than 64 characters (65)')
    expect(userIdProblem('|'.repeat(64))).toBe('has characters outside [A-Za-z0-9_-]')
    expect(userIdProblem('a@b')).toBe('has characters outside [A-Za-z0-9_-]')
  })
})

describe('classifyJwtError', () => {
  it('maps each JOSE error to its reason; an unexpected one is invalid_token with its code', () => {
    const { logger, lines } = createLogSink()
    expect(classifyJwtError(new joseErrors.JWKSNoMatchingKey(), logger)).toEqual({
      reason: 'no_matching_key',
    })
    expect(classifyJwtError(new joseErrors.JWKSMultipleMatchingKeys(), logger)).toEqual({
      reason: 'no_matching_key',
    })
    expect(classifyJwtError(new joseErrors.JWSInvalid(), logger)).toEqual({
      reason: 'malformed_token',
    })
    expect(classifyJwtError(new joseErrors.JWTInvalid(), logger)).toEqual({
      reason: 'malformed_token',
    })
    expect(classifyJwtError(new joseErrors.JOSENotSupported(), logger)).toEqual({
      reason: 'invalid_token',
      detail: { joseCode: 'ERR_JOSE_NOT_SUPPORTED' },
    })
    expect(classifyJwtError(new joseErrors.JWEDecryptionFailed(), logger)).toEqual({
      reason: 'invalid_token',
      detail: { joseCode: 'ERR_JWE_DECRYPTION_FAILED' },
    })
    expect(lines).toEqual([])
  })
})

describe('session rejection log', () => {
  it('writes "session rejected (<reason>): <hint>"', () => {
    const logs = createLogSink(['info'])
    const log = createSessionRejectionLog({
      session: { jwt: { secret: SECRET } },
      sessionCookie: '__session',
      logger: logs.logger,
    })
    log('no_cookie')
    expect(logs.lines).toEqual([
      {
        level: 'info',
        message: 'session rejected (no_cookie): the request has no session cookie',
        context: { reason: 'no_cookie', cookie: '__session' },
      },
    ])
  })

  it('logs at info by default where there is no process or no environment (workers)', () => {
    // The last stand is Deno without --allow-env, whose environment throws when read.
    const denied = {
      env: new Proxy(
        {},
        {
          get() {
            throw new Error('PermissionDenied: requires env access')
          },
        },
      ),
    }
    const stands: [string, unknown][] = [
      ['no process', undefined],
      ['no env', {}],
      ['env undefined', { env: undefined }],
      ['env denied', denied],
    ]
    for (const [label, stand] of stands) {
      const logs = createLogSink(['info'])
      const saved = globalThis.process
      // Only the construction reads the environment; process is back before anything awaits.
      ;(globalThis as { process?: unknown }).process = stand
      let log: ReturnType<typeof createSessionRejectionLog>
      try {
        log = createSessionRejectionLog({
          session: undefined,
          sessionCookie: '__session',
          logger: logs.logger,
        })
      } finally {
        globalThis.process = saved
      }
      log('no_cookie')
      expect([label, logs.lines.map((l) => l.level)]).toEqual([label, ['info']])
    }
  })
})

describe('resolveJwtKey: curves', () => {
  // A key object as a runtime that reports JOSE curve names (P-256) rather than OpenSSL's
  // (prime256v1) would hand it over; Node reports the OpenSSL names.
  const reporting = (namedCurve: string): KeyObject =>
    Object.create(KeyObject.prototype, {
      type: { value: 'public' },
      asymmetricKeyType: { value: 'ec' },
      asymmetricKeyDetails: { value: { namedCurve } },
    }) as KeyObject

  it('JOSE and OpenSSL curve names give the same algorithm', () => {
    for (const [names, alg] of [
      [['P-256', 'prime256v1'], 'ES256'],
      [['P-384', 'secp384r1'], 'ES384'],
      [['P-521', 'secp521r1'], 'ES512'],
    ] as const) {
      for (const name of names) {
        expect([name, resolveJwtKey({ publicKey: reporting(name) }).algorithms]).toEqual([
          name,
          [alg],
        ])
      }
    }
    for (const name of ['secp256k1', '', 'P-255']) {
      expect(() => resolveJwtKey({ publicKey: reporting(name) })).toThrow(
        expect.objectContaining({ code: 'CONFIGURATION_ERROR' }),
      )
    }
  })

  it('a PEM public key is read where the runtime has no global CryptoKey', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string
    vi.stubGlobal('CryptoKey', undefined)
    expect(resolveJwtKey({ publicKey: pem }).algorithms).toEqual(['ES256'])
  })
})

describe('session.jwt.userId failures', () => {
  registerSecret(SECRET)
  const NOW = Date.UTC(2026, 0, 1)
  const token = (): Promise<string> =>
    new SignJWT({ sub: 'u1', exp: NOW / 1000 + 60 })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(SECRET))

  const verifierWith = (
    userId: (claims: unknown) => unknown,
  ): {
    verify: ReturnType<typeof createSessionVerifier>
    logs: ReturnType<typeof createLogSink>
  } => {
    const logs = createLogSink(['info'])
    const verify = createSessionVerifier({
      session: { jwt: { secret: SECRET, userId: userId as never } },
      sessionCookie: '__session',
      now: () => NOW,
      logger: logs.logger,
    })
    return { verify, logs }
  }

  it('an AuthError from the mapper passes through as it is, unlogged', async () => {
    const own = new AuthError('SESSION_REQUIRED', { reason: 'banned' })
    const { verify, logs } = verifierWith(() => {
      throw own
    })
    await expect(verify({ headers: {}, cookies: { __session: await token() } })).rejects.toBe(own)
    expect(logs.lines).toEqual([])
  })

  it('any other failure is 503 session_user_id_error, its cause kept and described in the log', async () => {
    const failure = new Error('users db down')
    const { verify, logs } = verifierWith(() => Promise.reject(failure))
    const error = await verify({ headers: {}, cookies: { __session: await token() } }).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(AuthError)
    expect(error).toMatchObject({ code: 'AUTH_UNAVAILABLE', reason: 'session_user_id_error' })
    expect((error as Error).cause).toBe(failure)
    expect(logs.lines).toEqual([
      {
        level: 'error',
        message: 'session.jwt.userId failed',
        context: { error: 'Error: users db down' },
      },
    ])
  })

  it('a mapped id that cannot be embedded is logged as mapped, with its problem', async () => {
    const { verify, logs } = verifierWith(() => 'a@b')
    const error = await verify({ headers: {}, cookies: { __session: await token() } }).catch(
      (e: unknown) => e,
    )
    expect(error).toMatchObject({ code: 'SESSION_REQUIRED', reason: 'invalid_subject' })
    expect(logs.lines.map((l) => l.context)).toEqual([
      {
        reason: 'invalid_subject',
        cookie: '__session',
        mapped: true,
        problem: 'has characters outside [A-Za-z0-9_-]',
      },
    ])
  })
})

describe('rejection hints and the JWT shape', () => {
  it('every reason is logged with a hint of its own', () => {
    const sink = createLogSink()
    const log = createSessionRejectionLog({
      session: { logRejections: 'warn' } as never,
      sessionCookie: 'sid',
      logger: sink.logger,
    })
    const reasons = [
      'no_session_config',
      'no_cookie',
      'bearer_jwt',
      'jwt_in_other_cookie',
      'token_too_long',
      'malformed_token',
      'algorithm_not_allowed',
      'bad_signature',
      'no_matching_key',
      'expired',
      'not_yet_valid',
      'missing_claim',
      'claim_mismatch',
      'invalid_token',
      'invalid_subject',
      'no_user',
    ] as const
    for (const reason of reasons) log(reason)
    expect(sink.lines).toHaveLength(reasons.length)
    const hints = sink.lines.map((line, i) => {
      const head = `session rejected (${reasons[i]}): `
      expect(line.message.startsWith(head)).toBe(true)
      return line.message.slice(head.length)
    })
    for (const hint of hints) expect(hint.length).toBeGreaterThan(10)
    expect(new Set(hints).size).toBe(reasons.length)
  })

  it('a JWT shape is the whole value, not a part of it', () => {
    expect(looksLikeJwt(SHAPE)).toBe(true)
    expect(looksLikeJwt(`x${SHAPE}`)).toBe(false)
    expect(looksLikeJwt(`${SHAPE} x`)).toBe(false)
  })
})
