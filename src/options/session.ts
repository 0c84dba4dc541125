/**
 * Options of session authentication for the key-management routes: their types, their schema,
 * and where the full options (secret included) are kept out of reach.
 * @module
 */
import { z } from 'zod'
import { HMAC_KEY_BYTES, MIN_SECRET_BYTES, secretSchema, weakness } from '../lib/secret-strength.js'

const isFunction = (value: unknown): boolean => typeof value === 'function'
const isObject = (value: unknown): boolean => typeof value === 'object' && value !== null

/**
 * Level at which each rejected session is logged with its reason, or `false` for never.
 * @see {@link SessionOptions}
 */
export type SessionLogLevel = 'debug' | 'info' | 'warn' | false

/** Verify session JWTs with `jose`: exactly one of `secret`, `publicKey` or `jwksUrl`. */
export interface JwtSessionOptions {
  /** Shared secret for HS256/HS384/HS512. */
  secret?: string | Uint8Array
  /** Public key for RS256/ES256/EdDSA…: a PEM (SPKI) string, a JWK, a `KeyObject` or a `CryptoKey`. */
  publicKey?: string | object
  /** URL of a JSON Web Key Set. */
  jwksUrl?: string | URL
  /** Required `iss`. */
  issuer?: string | string[]
  /** Required `aud`. */
  audience?: string | string[]
  /** Accepted algorithms; never taken from the token. */
  algorithms?: string[]
  /** Tolerance for `exp`/`nbf`, in seconds. @defaultValue `5` */
  clockToleranceSec?: number
  /**
   * Maps the verified token's claims to the user id that owns the keys, for identity providers
   * whose `sub` is not a valid key user id (`auth0|5f7c…`, an e-mail address). It must return a
   * user id matching `[A-Za-z0-9_-]{1,64}` (the id is embedded in every key), or `null` for "no
   * such user"; anything else is 401 `SESSION_REQUIRED`, logged as `invalid_subject` (`null` as
   * `no_user`). It may be async, e.g. to look the user up in your database; if it throws, the
   * answer is 503 `AUTH_UNAVAILABLE` and the error is logged. With it, `sub` is no longer a
   * required claim (`exp` still is). Without it, `sub` itself is the user id.
   *
   * @example
   * ```ts
   * // A stable, key-safe id from any subject: 43 base64url characters of its SHA-256.
   * userId: ({ sub }) => createHash('sha256').update(String(sub)).digest('base64url')
   * ```
   */
  userId?: (claims: SessionClaims) => string | null | Promise<string | null>
}

/** The verified claims of a session token, as `session.jwt.userId` receives them. */
export interface SessionClaims {
  /** Subject. */
  sub?: string
  /** Issuer. */
  iss?: string
  /** Audience. */
  aud?: string | string[]
  /** Expiry, seconds since the epoch. */
  exp?: number
  /** Any other claim, unchecked. */
  [claim: string]: unknown
}

/** A request as the session hook sees it: lower-case header names, parsed cookies. */
export interface SessionRequest {
  headers: Record<string, string | string[] | undefined>
  cookies: Record<string, string>
}

/** Options every kind of session shares. */
export interface SessionCommonOptions {
  /** Name of the session cookie. @defaultValue `'__session'` */
  cookie?: string
  /**
   * Logs each rejected session (401 `SESSION_REQUIRED`) with a secret-free reason code such as
   * `no_cookie`, `bearer_jwt`, `bad_signature`, `expired`, `missing_claim` or `invalid_subject`
   * (see docs/sessions.md), through the logger method of that level (falling back to `info`,
   * then `warn`, when the logger lacks it). The response stays the same generic 401 whatever the
   * reason. Never logged: the cookie, the token, or claim values.
   * @defaultValue `false` when `NODE_ENV` is `'production'`, else `'info'`
   */
  logRejections?: SessionLogLevel
}

/** How key-management routes know the signed-in user. */
export type SessionOptions =
  | (SessionCommonOptions & { jwt: JwtSessionOptions; authenticate?: never })
  | (SessionCommonOptions & {
      /** Your own session check: the signed-in user, or `null` for none (then 401 `SESSION_REQUIRED`). */
      authenticate: (request: SessionRequest) => Promise<{ userId: string } | null>
      jwt?: never
    })

const oneOrMany = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
  error: 'expected a non-empty string or a non-empty array of strings',
})

const jwtSchema = z
  .object({
    secret: secretSchema(MIN_SECRET_BYTES).optional(),
    publicKey: z
      .union([z.string().min(1), z.custom<object>(isObject)], {
        error: 'expected a PEM string, a JWK object, a KeyObject or a CryptoKey',
      })
      .optional(),
    jwksUrl: z
      .union([z.string(), z.instanceof(URL)], { error: 'expected a URL string or a URL' })
      .refine((v) => URL.canParse(String(v)), { message: 'must be a URL' })
      .optional(),
    issuer: oneOrMany.optional(),
    audience: oneOrMany.optional(),
    algorithms: z
      .array(
        z.string().regex(/^(HS|RS|PS|ES)(256|384|512)$|^EdDSA$|^Ed25519$/, 'unsupported algorithm'),
      )
      .min(1)
      .optional(),
    clockToleranceSec: z.number().int().min(0).max(300).optional(),
    userId: z
      .custom<JwtSessionOptions['userId']>(isFunction, {
        message: 'must be a function (claims) => user id',
      })
      .optional(),
  })
  .strict()
  .refine(
    (jwt) => [jwt.secret, jwt.publicKey, jwt.jwksUrl].filter((v) => v !== undefined).length === 1,
    { message: 'give exactly one of secret, publicKey or jwksUrl' },
  )
  .superRefine((jwt, ctx) => {
    // RFC 7518 §3.2: an HMAC key at least as long as the hash output of every algorithm used.
    if (jwt.secret === undefined) return
    const needed = Math.max(
      MIN_SECRET_BYTES,
      ...(jwt.algorithms ?? ['HS256']).map((alg) => HMAC_KEY_BYTES[alg] ?? 0),
    )
    const problem = weakness(jwt.secret, needed)
    if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['secret'], message: problem })
  })

const cookieName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/, 'not a cookie name')

const logLevel = z.union([z.literal(false), z.enum(['debug', 'info', 'warn'])], {
  message: "must be 'debug', 'info', 'warn' or false",
})

/** The schema of {@link SessionOptions}. @internal */
export const sessionSchema = z.union([
  z
    .object({ jwt: jwtSchema, cookie: cookieName.optional(), logRejections: logLevel.optional() })
    .strict(),
  z
    .object({
      authenticate: z.custom<NonNullable<SessionOptions['authenticate']>>(isFunction, {
        message: 'must be a function',
      }),
      cookie: cookieName.optional(),
      logRejections: logLevel.optional(),
    })
    .strict(),
])

// Full session options (JWT secret included) of each `auth.options` view, for
// `createSessionVerifier(auth.options)`. A WeakMap entry is reachable through no property.
const fullSessions = new WeakMap<object, SessionOptions>()

/** Keeps `session` (secret included) behind `view`. @internal */
export function hideSession(view: object, session: SessionOptions): void {
  fullSessions.set(view, session)
}

/**
 * The session options, secret included, behind an `auth.options` view; `undefined` for any other
 * object. @internal
 */
export function sessionOptionsOf(options: object): SessionOptions | undefined {
  return fullSessions.get(options)
}

// A copy: a caller mutating its buffer later must not change (or reveal) the secret in use.
/** A copy whose secret bytes are the library's own. @internal */
export function copySession(session: SessionOptions | undefined): SessionOptions | undefined {
  if (session?.jwt?.secret === undefined) return session
  const { secret } = session.jwt
  const jwt = { ...session.jwt, secret: typeof secret === 'string' ? secret : secret.slice() }
  return { ...session, jwt } as SessionOptions
}

/** The options without the JWT secret, as `auth.options` shows them. @internal */
export function withoutSecret(session: SessionOptions | undefined): SessionOptions | undefined {
  if (session?.jwt?.secret === undefined) return session
  const { secret: _secret, ...jwt } = session.jwt
  return { ...session, jwt } as SessionOptions
}
