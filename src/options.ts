/**
 * Options of {@link createApiKeyAuth}, validated once at construction.
 * @module
 */
import { z } from 'zod'
import { isValidEnvironment, isValidKeyPrefix } from './api-key.js'
import { AuthError } from './errors.js'
import type { KeyStore } from './key-store.js'
import { validateScope } from './scope.js'

/** Receives the library's warnings and errors. Context never holds a key or a secret. */
export interface AuthLogger {
  /** Something went wrong but the request was served, e.g. a failed `lastUsedAt` write. */
  warn(message: string, context?: Record<string, unknown>): void
  /** The store or the session check failed; the request got 503 or was refused. */
  error(message: string, context?: Record<string, unknown>): void
  /**
   * Optional. Diagnostics such as why a session was rejected, when `session.logRejections` is
   * `'info'` (the default outside production). Without it those lines go to `warn`.
   */
  info?(message: string, context?: Record<string, unknown>): void
  /**
   * Optional. Diagnostics such as why a session was rejected, when `session.logRejections` is
   * `'debug'`. Without it those lines go to `info`, else `warn`.
   */
  debug?(message: string, context?: Record<string, unknown>): void
}

/**
 * Level at which each rejected session is logged with its reason, or `false` for never.
 * @see {@link SessionOptions}
 */
export type SessionLogLevel = 'debug' | 'info' | 'warn' | false

/** The in-process verification cache. */
export interface CacheOptions {
  /** How long a verified key is served from memory. Bounds revocation delay across instances whose store has no `onRevoke`. @defaultValue `30_000` (the maximum) */
  ttlMs?: number
  /** Most keys held. @defaultValue `10_000` */
  maxEntries?: number
  /** How long "no such key" is remembered. @defaultValue `5_000` */
  negativeTtlMs?: number
  /** Most "no such key" results held, so a flood of random keys cannot grow memory. @defaultValue `maxEntries` */
  negativeMaxEntries?: number
}

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

/** Options of `createApiKeyAuth`. */
export interface ApiKeyAuthOptions {
  /** Where keys are stored. */
  store: KeyStore
  /** First part of every key. @defaultValue `'vydra'` */
  prefix?: string
  /** Environment of the keys this instance issues and accepts. @defaultValue `'live'` */
  environment?: string
  /**
   * Secret for HMAC-SHA256 of keys instead of plain SHA-256: at least 32 bytes (a string counts
   * in UTF-8) with at least 10 distinct bytes. `null` says "no pepper" explicitly; a present but
   * `undefined` value (an unset environment variable) is refused, never read as "no pepper".
   * The value is copied at construction and never exposed by the service.
   */
  pepper?: string | Uint8Array | null
  /** Registry of known scopes; when set, `createKey` accepts only these (and `*`). */
  scopes?: readonly string[]
  /** Session authentication for the key-management routes. */
  session?: SessionOptions
  /** Verification cache, or `false` to ask the store on every request. */
  cache?: CacheOptions | false
  /** Store calls slower than this fail with 503 `AUTH_UNAVAILABLE`. @defaultValue `2000` */
  storeTimeoutMs?: number
  /** At most one `lastUsedAt` write per key per interval. @defaultValue `60_000` */
  touchIntervalMs?: number
  /** Active keys a user may hold. @defaultValue `100` */
  maxKeysPerUser?: number
  /** Longest `expiresInDays` accepted at creation. @defaultValue `3650` */
  maxExpiresInDays?: number
  /** `realm` of `WWW-Authenticate` challenges. @defaultValue `'vydra'` */
  realm?: string
  /** Origins allowed for cookie-authenticated POST/DELETE; default: the request's own origin. */
  allowedOrigins?: readonly string[]
  /** Keys count as expired from `expiresAt + clockToleranceMs`. @defaultValue `0` (max 300 000) */
  clockToleranceMs?: number
  /** The clock. @defaultValue `Date.now` */
  now?: () => Date | number
  /** Where warnings and errors go, or `false` for nowhere. @defaultValue the console */
  logger?: AuthLogger | false
}

const isFunction = (value: unknown): boolean => typeof value === 'function'
const isObject = (value: unknown): boolean => typeof value === 'object' && value !== null

const storeSchema = z.custom<KeyStore>(
  (value) =>
    isObject(value) &&
    ['insert', 'findByHash', 'listByUser', 'revoke'].every((m) =>
      isFunction((value as Record<string, unknown>)[m]),
    ) &&
    ['touch', 'onRevoke'].every((m) => {
      const method = (value as Record<string, unknown>)[m]
      return method === undefined || isFunction(method)
    }),
  { message: 'must implement KeyStore (insert, findByHash, listByUser, revoke)' },
)

/** Shortest secret accepted: RFC 7518 §3.2 asks HS256 keys (and so HMAC-SHA256 peppers) for 256 bits. */
export const MIN_SECRET_BYTES = 32
const MIN_DISTINCT_SECRET_BYTES = 10
const HMAC_KEY_BYTES: Readonly<Record<string, number>> = { HS256: 32, HS384: 48, HS512: 64 }

const secretBytes = (value: string | Uint8Array): Uint8Array =>
  typeof value === 'string' ? new TextEncoder().encode(value) : value

// Strength a program can check: length, and not a short pattern repeated ('aaaa…', 'changeme…').
const weakness = (value: string | Uint8Array, minBytes: number): string | undefined => {
  const bytes = secretBytes(value)
  if (bytes.length < minBytes) return `must be at least ${minBytes} bytes (got ${bytes.length})`
  if (new Set(bytes).size < MIN_DISTINCT_SECRET_BYTES) {
    return `must hold at least ${MIN_DISTINCT_SECRET_BYTES} distinct bytes: use random bytes, e.g. \`openssl rand -base64 32\``
  }
  return undefined
}

const secretSchema = (minBytes: number): z.ZodType<string | Uint8Array<ArrayBuffer>> =>
  z
    .union([z.string(), z.instanceof(Uint8Array)], {
      error: `expected a string or bytes (Uint8Array) of at least ${minBytes} bytes`,
    })
    .superRefine((value, ctx) => {
      const problem = weakness(value, minBytes)
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem })
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

const sessionSchema = z.union([
  z
    .object({ jwt: jwtSchema, cookie: cookieName.optional(), logRejections: logLevel.optional() })
    .strict(),
  z
    .object({
      authenticate: z.custom<SessionOptions['authenticate']>(isFunction, {
        message: 'must be a function',
      }),
      cookie: cookieName.optional(),
      logRejections: logLevel.optional(),
    })
    .strict(),
])

const loggerSchema = z.union(
  [
    z.literal(false),
    z.custom<AuthLogger>(
      (v) =>
        isObject(v) &&
        isFunction((v as Record<string, unknown>).warn) &&
        isFunction((v as Record<string, unknown>).error) &&
        ['info', 'debug'].every((m) => {
          const method = (v as Record<string, unknown>)[m]
          return method === undefined || isFunction(method)
        }),
      { message: 'must have warn() and error(), and info()/debug() only as functions' },
    ),
  ],
  { error: 'expected false or an object with warn() and error() (info()/debug() optional)' },
)

const optionsSchema = z
  .object({
    store: storeSchema,
    prefix: z.string().refine(isValidKeyPrefix, 'must match [a-z][a-z0-9]{0,31}').optional(),
    environment: z.string().refine(isValidEnvironment, 'must match [a-z][a-z0-9]{0,31}').optional(),
    pepper: secretSchema(MIN_SECRET_BYTES).nullable().optional(),
    scopes: z
      .array(z.string().refine(validateScope, 'not a valid scope'))
      .min(1)
      .max(1000)
      .optional(),
    session: sessionSchema.optional(),
    cache: z
      .union(
        [
          z.literal(false),
          z
            .object({
              ttlMs: z.number().int().min(0).max(30_000).optional(),
              maxEntries: z.number().int().min(0).max(10_000_000).optional(),
              negativeTtlMs: z.number().int().min(0).max(60_000).optional(),
              negativeMaxEntries: z.number().int().min(0).max(10_000_000).optional(),
            })
            .strict(),
        ],
        { error: 'expected false or { ttlMs?, maxEntries?, negativeTtlMs?, negativeMaxEntries? }' },
      )
      .optional(),
    storeTimeoutMs: z.number().int().min(1).max(60_000).optional(),
    touchIntervalMs: z.number().int().min(0).max(86_400_000).optional(),
    maxKeysPerUser: z.number().int().min(1).max(1_000_000).optional(),
    maxExpiresInDays: z.number().int().min(1).max(36_500).optional(),
    realm: z
      .string()
      .regex(
        /^[\x20\x21\x23-\x5b\x5d-\x7e]{1,100}$/,
        'printable ASCII without quotes or backslashes',
      )
      .optional(),
    allowedOrigins: z
      .array(z.string().refine(isOrigin, 'must be an origin like https://app.example'))
      .optional(),
    clockToleranceMs: z.number().int().min(0).max(300_000).optional(),
    now: z.custom<() => Date | number>(isFunction, { message: 'must be a function' }).optional(),
    logger: loggerSchema.optional(),
  })
  .strict()

function isOrigin(value: string): boolean {
  if (!URL.canParse(value)) return false
  const url = new URL(value)
  return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value
}

/**
 * Options with every default filled in, as `auth.options` shows them: secrets are not in it
 * (no `pepper`; a JWT session's `secret` is left out of `session.jwt`).
 */
export interface ResolvedAuthOptions {
  store: KeyStore
  prefix: string
  environment: string
  scopes: readonly string[] | undefined
  /** The session options, without a JWT `secret`. */
  session: SessionOptions | undefined
  /** Name of the session cookie. */
  sessionCookie: string
  cache: Required<CacheOptions> | false
  storeTimeoutMs: number
  touchIntervalMs: number
  maxKeysPerUser: number
  maxExpiresInDays: number
  realm: string
  allowedOrigins: readonly string[] | undefined
  clockToleranceMs: number
  /** The clock. */
  now: () => Date | number
  logger: AuthLogger
}

const consoleLogger: AuthLogger = {
  warn: (message, context) => console.warn(`[@vydra/auth] ${message}`, context ?? ''),
  error: (message, context) => console.error(`[@vydra/auth] ${message}`, context ?? ''),
  info: (message, context) => console.info(`[@vydra/auth] ${message}`, context ?? ''),
  debug: (message, context) => console.debug(`[@vydra/auth] ${message}`, context ?? ''),
}

const silentLogger: AuthLogger = { warn: () => {}, error: () => {} }

type LogMethod = (message: string, context?: Record<string, unknown>) => void

// A logger that throws must not turn a decision (or a 503) into a foreign exception.
function guardLogger(logger: AuthLogger): AuthLogger {
  const guard =
    (level: keyof AuthLogger): LogMethod =>
    (message, context) => {
      try {
        logger[level]?.(message, context)
      } catch {
        // Nowhere left to report it.
      }
    }
  const guarded: AuthLogger = { warn: guard('warn'), error: guard('error') }
  // Optional levels stay absent when the logger lacks them, so callers can fall back.
  if (typeof logger.info === 'function') guarded.info = guard('info')
  if (typeof logger.debug === 'function') guarded.debug = guard('debug')
  return guarded
}

interface OptionIssue {
  path: (string | number)[]
  message: string
}

// A union that matched no branch says only "Invalid input". When the value picked a branch (one
// branch has fewer issues than the others: `{ jwt }` is the JWT branch), report that branch's
// issues, which name the expected type; otherwise the union's own message.
function explain(issue: z.core.$ZodIssue, parent: (string | number)[]): OptionIssue[] {
  const path = [...parent, ...issue.path.filter((p): p is string | number => typeof p !== 'symbol')]
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const sizes = issue.errors.map((branch) => branch.length)
    const fewest = Math.min(...sizes)
    const best = issue.errors[sizes.indexOf(fewest)]
    if (best !== undefined && fewest > 0 && sizes.filter((n) => n === fewest).length === 1) {
      return best.flatMap((inner) => explain(inner, path))
    }
  }
  return [{ path, message: issue.message }]
}

/** The secret parts of the options: never on an object a user can reach. @internal */
export interface AuthSecrets {
  /** A copy of the pepper, or `undefined` for none. */
  pepper: Uint8Array | undefined
}

// Full session options (JWT secret included) of each `auth.options` view, for
// `createSessionVerifier(auth.options)`. A WeakMap entry is reachable through no property.
const fullSessions = new WeakMap<object, SessionOptions>()

/**
 * The session options, secret included, behind an `auth.options` view; `undefined` for any other
 * object. @internal
 */
export function sessionOptionsOf(options: object): SessionOptions | undefined {
  return fullSessions.get(options)
}

// A copy: a caller mutating its buffer later must not change (or reveal) the secret in use.
function copySession(session: SessionOptions | undefined): SessionOptions | undefined {
  if (session?.jwt?.secret === undefined) return session
  const { secret } = session.jwt
  const jwt = { ...session.jwt, secret: typeof secret === 'string' ? secret : secret.slice() }
  return { ...session, jwt } as SessionOptions
}

function withoutSecret(session: SessionOptions | undefined): SessionOptions | undefined {
  if (session?.jwt?.secret === undefined) return session
  const { secret: _secret, ...jwt } = session.jwt
  return { ...session, jwt } as SessionOptions
}

/**
 * Validates options and fills in defaults.
 * @throws {@link AuthError} `CONFIGURATION_ERROR` naming every bad option.
 * @internal
 */
export function resolveOptions(input: unknown): {
  options: ResolvedAuthOptions
  secrets: AuthSecrets
} {
  // `pepper: process.env.X` with X unset must not quietly mean "no pepper".
  if (isObject(input) && Object.hasOwn(input as object, 'pepper')) {
    if ((input as { pepper?: unknown }).pepper === undefined) {
      throw new AuthError('CONFIGURATION_ERROR', {
        message:
          'Invalid @vydra/auth options: pepper: is undefined (an unset environment variable?); ' +
          'omit the option or pass null for no pepper',
        issues: [{ path: ['pepper'], message: 'is undefined' }],
      })
    }
  }
  const parsed = optionsSchema.safeParse(input)
  if (!parsed.success) {
    const issues = parsed.error.issues.flatMap((issue) => explain(issue, []))
    const details = issues
      .map(
        (issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'options'}: ${issue.message}`,
      )
      .join('; ')
    throw new AuthError('CONFIGURATION_ERROR', {
      message: `Invalid @vydra/auth options: ${details}`,
      issues,
    })
  }
  const o = parsed.data
  const maxEntries = o.cache === false ? 0 : (o.cache?.maxEntries ?? 10_000)
  const session = copySession(o.session as SessionOptions | undefined)
  const resolved: ResolvedAuthOptions = {
    store: o.store,
    prefix: o.prefix ?? 'vydra',
    environment: o.environment ?? 'live',
    scopes: o.scopes === undefined ? undefined : Object.freeze([...new Set(o.scopes)]),
    session: withoutSecret(session),
    sessionCookie: o.session?.cookie ?? '__session',
    cache:
      o.cache === false
        ? false
        : {
            ttlMs: o.cache?.ttlMs ?? 30_000,
            maxEntries,
            negativeTtlMs: o.cache?.negativeTtlMs ?? 5_000,
            negativeMaxEntries: o.cache?.negativeMaxEntries ?? maxEntries,
          },
    storeTimeoutMs: o.storeTimeoutMs ?? 2_000,
    touchIntervalMs: o.touchIntervalMs ?? 60_000,
    maxKeysPerUser: o.maxKeysPerUser ?? 100,
    maxExpiresInDays: o.maxExpiresInDays ?? 3650,
    realm: o.realm ?? 'vydra',
    allowedOrigins:
      o.allowedOrigins === undefined ? undefined : Object.freeze([...o.allowedOrigins]),
    clockToleranceMs: o.clockToleranceMs ?? 0,
    now: o.now ?? Date.now,
    logger: o.logger === false ? silentLogger : guardLogger(o.logger ?? consoleLogger),
  }
  if (session !== undefined) fullSessions.set(resolved, session)
  const pepper =
    o.pepper === undefined || o.pepper === null ? undefined : secretBytes(o.pepper).slice()
  return { options: resolved, secrets: { pepper } }
}
