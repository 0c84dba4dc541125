/**
 * The one error vocabulary of `@vydra/auth`: every failure is an {@link AuthError} with a `code`.
 * @module
 */
import { errorToResponse } from './error-response.js'
import { DEFAULTS, REALM_PATTERN } from './options/defaults.js'

/** Every error code the library produces, with the HTTP status it maps to. */
export const AUTH_ERROR_STATUS = Object.freeze({
  MISSING_AUTH: 401,
  INVALID_FORMAT: 401,
  KEY_NOT_FOUND: 401,
  KEY_REVOKED: 401,
  KEY_EXPIRED: 401,
  INSUFFICIENT_SCOPE: 403,
  SESSION_REQUIRED: 401,
  VALIDATION_ERROR: 400,
  CSRF_REJECTED: 403,
  KEY_LIMIT_REACHED: 409,
  AUTH_UNAVAILABLE: 503,
  CONFIGURATION_ERROR: 500,
  INVALID_JSON: 400,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  CREDITS_EXHAUSTED: 429,
  SIGNATURE_INVALID: 401,
  KEY_DISABLED: 401,
  KEY_STATE_CONFLICT: 409,
  NOT_SUPPORTED: 501,
} as const satisfies Record<string, number>)

/** A machine-readable error code; the status table is {@link AUTH_ERROR_STATUS}. */
export type AuthErrorCode = keyof typeof AUTH_ERROR_STATUS

// Fixed messages: never built from request data, so nothing presented can leak through them.
const DEFAULT_MESSAGES: Record<AuthErrorCode, string> = {
  MISSING_AUTH: 'No Authorization header provided',
  INVALID_FORMAT: 'Invalid API key format',
  KEY_NOT_FOUND: "API key doesn't exist",
  KEY_REVOKED: 'API key was revoked',
  KEY_EXPIRED: 'API key has expired',
  INSUFFICIENT_SCOPE: 'Key lacks required permission',
  SESSION_REQUIRED: 'A valid session is required',
  VALIDATION_ERROR: 'Request validation failed',
  CSRF_REJECTED: 'Cross-site request rejected',
  KEY_LIMIT_REACHED: 'Maximum number of active API keys reached',
  AUTH_UNAVAILABLE: 'Authentication is temporarily unavailable',
  CONFIGURATION_ERROR: 'Invalid @vydra/auth configuration',
  INVALID_JSON: 'Request body is not valid JSON',
  METHOD_NOT_ALLOWED: 'Method not allowed',
  PAYLOAD_TOO_LARGE: 'Request body is too large',
  UNSUPPORTED_MEDIA_TYPE: 'Content-Type must be application/json',
  RATE_LIMITED: 'Rate limit exceeded',
  CREDITS_EXHAUSTED: 'No credits left for this API key',
  SIGNATURE_INVALID: 'Request signature is missing or invalid',
  KEY_DISABLED: 'API key is disabled',
  KEY_STATE_CONFLICT: 'The key is not in a state that allows this operation',
  NOT_SUPPORTED: 'The key store does not support this operation',
}

/** One problem found while validating input, as reported in a `VALIDATION_ERROR` body. */
export interface ValidationIssue {
  /** Where the problem is, e.g. `["scopes", 0]`. */
  path: (string | number)[]
  /** What is wrong, in words. */
  message: string
}

/** Extra details an {@link AuthError} may carry. */
export interface AuthErrorOptions {
  /** Overrides the default message. Must never contain request data or secrets. */
  message?: string
  /** The underlying failure (for `AUTH_UNAVAILABLE`); kept for logs, never sent to clients. */
  cause?: unknown
  /** For `INSUFFICIENT_SCOPE`: the scopes the route requires that the key lacks. */
  requiredScopes?: readonly string[]
  /** For `VALIDATION_ERROR`: the problems found. */
  issues?: readonly ValidationIssue[]
  /** For `AUTH_UNAVAILABLE`: seconds a client should wait before retrying. */
  retryAfterSeconds?: number
  /** For `METHOD_NOT_ALLOWED`: the methods the resource allows, sent as the `Allow` header. */
  allow?: string
  /**
   * For `KEY_NOT_FOUND` from a key-management route: the key is the resource the request
   * addresses, not a credential it presents, so the answer is 404 without a challenge.
   */
  resource?: boolean
  /**
   * A finer, fixed reason for logs and, on `INVALID_FORMAT`, for the challenge:
   * `unsupported_scheme` (no Bearer credential: another scheme, or a one-word credential) gets no
   * `error` attribute (RFC 6750 §3.1); `missing_token`, `malformed_header`, `duplicate_header` and
   * `not_a_string` (a Bearer attempt that is not one well-formed credential) get
   * `error="invalid_request"`; any other reason, or none, is a rejected token:
   * `error="invalid_token"`.
   */
  reason?: string
  /**
   * For `RATE_LIMITED` and `CREDITS_EXHAUSTED`: the `RateLimit-Policy` and `RateLimit` headers
   * (lower-case names) to send with the 429.
   */
  limitHeaders?: Readonly<Record<string, string>>
}

/** The framework-neutral HTTP response an error turns into. */
export interface AuthErrorResponse {
  /** HTTP status code. */
  status: number
  /** Response headers, lower-case names. */
  headers: Record<string, string>
  /** JSON body: `{ error: { code, message, ... } }`. */
  body: AuthErrorBody
}

/** JSON body of every error response. */
export interface AuthErrorBody {
  error: {
    code: AuthErrorCode
    message: string
    /**
     * The scopes the route requires that the key lacks, in the route's order (403 only); never
     * the key's own scopes.
     */
    requiredScopes?: string[]
    /** Validation problems (400 only). */
    issues?: ValidationIssue[]
  }
}

/** Options of {@link AuthError.toResponse}. */
export interface ToResponseOptions {
  /** `realm` of the `WWW-Authenticate` challenge. @defaultValue `'vydra'` */
  realm?: string
}

const BRAND = Symbol.for('vydra.auth.error')

/**
 * The error every `@vydra/auth` operation throws. Client errors (4xx) carry no stack frames, only
 * the message line: they are expected outcomes, and capturing a stack dominated their cost.
 *
 * @example
 * ```ts
 * try {
 *   await auth.authenticate(req.headers.authorization)
 * } catch (error) {
 *   if (isAuthError(error)) {
 *     const { status, headers, body } = error.toResponse()
 *   }
 * }
 * ```
 */
export class AuthError extends Error {
  /** The machine-readable code. */
  readonly code: AuthErrorCode
  /** The HTTP status for {@link AuthError.code}. */
  readonly status: number
  /** Scopes the route requires that the key lacks (`INSUFFICIENT_SCOPE`). */
  readonly requiredScopes: readonly string[] | undefined
  /** Validation problems (`VALIDATION_ERROR`). */
  readonly issues: readonly ValidationIssue[] | undefined
  /** Seconds to wait before retrying (`AUTH_UNAVAILABLE`). */
  readonly retryAfterSeconds: number | undefined
  /** A finer, fixed reason for logs. */
  readonly reason: string | undefined
  /** Methods the resource allows (`METHOD_NOT_ALLOWED`), sent as `Allow`. */
  readonly allow: string | undefined
  /** `RateLimit-Policy` and `RateLimit` headers of a 429 (`RATE_LIMITED`, `CREDITS_EXHAUSTED`). */
  readonly limitHeaders: Readonly<Record<string, string>> | undefined

  constructor(code: AuthErrorCode, options: AuthErrorOptions = {}) {
    // A 4xx is the client's doing and its stack only shows our own frames; capturing it was most
    // of the cost of a rejected request, so those errors carry the message line alone.
    const clientError = AUTH_ERROR_STATUS[code] < 500
    const limit = Error.stackTraceLimit
    if (clientError) Error.stackTraceLimit = 0
    super(
      options.message ?? DEFAULT_MESSAGES[code],
      options.cause === undefined ? undefined : { cause: options.cause },
    )
    if (clientError) Error.stackTraceLimit = limit
    this.name = 'AuthError'
    this.code = code
    this.status =
      options.resource === true && code === 'KEY_NOT_FOUND' ? 404 : AUTH_ERROR_STATUS[code]
    this.requiredScopes = options.requiredScopes
    this.issues = options.issues
    this.retryAfterSeconds =
      options.retryAfterSeconds ?? (code === 'AUTH_UNAVAILABLE' ? 5 : undefined)
    this.reason = options.reason
    this.allow = code === 'METHOD_NOT_ALLOWED' ? options.allow : undefined
    this.limitHeaders = AUTH_ERROR_STATUS[code] === 429 ? options.limitHeaders : undefined
    // Server errors keep a stack that starts at the caller.
    if (!clientError) Error.captureStackTrace?.(this, AuthError)
  }

  /** The HTTP response for this error: status, headers (challenge, `Cache-Control`) and JSON body. */
  toResponse(options: ToResponseOptions = {}): AuthErrorResponse {
    // The realm goes into a header: anything that could break out of its quotes is replaced.
    const realm = options?.realm
    return errorToResponse(
      this,
      typeof realm === 'string' && REALM_PATTERN.test(realm) ? realm : DEFAULTS.realm,
    )
  }
}

// On the prototype, not each instance: one property definition instead of one per error.
Object.defineProperty(AuthError.prototype, BRAND, { value: true })

/**
 * True for any {@link AuthError}, including one from another copy of the library (ESM and CJS
 * builds loaded side by side), where `instanceof` would say no.
 *
 * @example
 * ```ts
 * const principal = await auth.verifyKey(key).catch((error: unknown) => {
 *   if (isAuthError(error) && error.code === 'KEY_EXPIRED') return null
 *   throw error
 * })
 * ```
 */
export function isAuthError(value: unknown): value is AuthError {
  if (value instanceof AuthError) return true
  if (typeof value !== 'object' || value === null) return false
  const candidate = value as { [BRAND]?: unknown; code?: unknown }
  // A hostile value (a Proxy whose traps throw) is not an AuthError, and asking must not throw.
  try {
    return (
      candidate[BRAND] === true &&
      typeof candidate.code === 'string' &&
      Object.hasOwn(AUTH_ERROR_STATUS, candidate.code)
    )
  } catch {
    return false
  }
}
