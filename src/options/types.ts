/**
 * The options of {@link createApiKeyAuth} as users write them, and as `auth.options` shows them.
 * To add an option: ARCHITECTURE.md, "Adding an option".
 * @module
 */
import type { AuthTelemetry } from '../telemetry.js'
import type { AuditStore } from '../audit-store.js'
import type { SessionOptions } from './session.js'
import type { KeyStore } from '../key-store.js'
import type { LimitsOptions, ResolvedLimitsOptions } from './limits.js'
import type { PepperRing } from './pepper.js'
import type { KeyOwnerType } from '../types.js'
import type { UsageStore } from '../usage-store.js'
import type { ExpiryStore } from '../expiry-store.js'

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
   *
   * Since 0.2 it may be a {@link PepperRing} instead, for rotation without downtime:
   * `{ current: { id: 'p2', secret }, previous: [{ id: 'p1', secret: old }] }` (docs/operations.md).
   */
  pepper?: string | Uint8Array | PepperRing | null
  /** Registry of known scopes; when set, `createKey` accepts only these (and `*`). */
  scopes?: readonly string[]
  /**
   * Session authentication for the key-management routes.
   * @deprecated Since 0.2: pass `session` to the routes (`apiKeyRoutes(auth, { session })`); this
   * place still works in 0.2, with a one-time warning.
   */
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
  /**
   * Longest grace a roll may give the old key, in ms; `0` makes every roll revoke the old key at
   * once. Setting it with a store without `roll` is a `CONFIGURATION_ERROR`.
   * @defaultValue `604_800_000` (7 days)
   */
  maxRollGraceMs?: number
  /**
   * Kinds of owner keys may have: `'user'` (`vydra_live_user_<id>_…`), `'org'`
   * (`vydra_live_org_<id>_…`), `'svc'` (`vydra_live_svc_<id>_…`). A key of a kind not listed is
   * `INVALID_FORMAT`. @defaultValue `['user']`
   */
  ownerTypes?: readonly KeyOwnerType[]
  /** `realm` of `WWW-Authenticate` challenges. @defaultValue `'vydra'` */
  realm?: string
  /**
   * Origins allowed for cookie-authenticated POST/DELETE; default: the request's own origin.
   * @deprecated Since 0.2: pass `allowedOrigins` to the routes; this place still works in 0.2,
   * with a one-time warning.
   */
  allowedOrigins?: readonly string[]
  /** Keys count as expired from `expiresAt + clockToleranceMs`. @defaultValue `0` (max 300 000) */
  clockToleranceMs?: number
  /** The clock. @defaultValue `Date.now` */
  now?: () => Date | number
  /** Where warnings and errors go, or `false` for nowhere. @defaultValue the console */
  logger?: AuthLogger | false
  /** Usage limits: the limit store, instance defaults, headers, outage policy (docs/limits.md). */
  limits?: LimitsOptions
  /**
   * Where per-key, per-minute usage counts go (`auth.usage`). Without it nothing is counted.
   * Counts are gathered in memory and written in batches, never on the request path.
   */
  usageStore?: UsageStore
  /**
   * Longest time between two writes of usage counts (1 000 – 300 000); `auth.close()` writes
   * what is left. @defaultValue `10_000`
   */
  usageFlushMs?: number
  /**
   * Where expiry warnings are claimed (`auth.notifyExpiring`), so that a fleet emits each one
   * exactly once. Without it `notifyExpiring` is a `CONFIGURATION_ERROR`.
   */
  expiryStore?: ExpiryStore
  /**
   * Where the service reports spans and metrics: `openTelemetry()` from `@vydra/auth/otel`, or
   * your own {@link AuthTelemetry}. Without it nothing is measured (docs/observability.md).
   */
  telemetry?: AuthTelemetry
  /**
   * Where the audit log goes: one record per management change (create, revoke, roll, update,
   * disable, enable), listed by `auth.listEvents`. Pass the key store itself when it is also
   * an `AuditStore` (`PostgresKeyStore`, `SqliteKeyStore`) to write each record in the same
   * transaction as its change. Without it nothing is recorded. See docs/audit-log.md.
   */
  auditStore?: AuditStore
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
  maxRollGraceMs: number
  ownerTypes: readonly KeyOwnerType[]
  realm: string
  allowedOrigins: readonly string[] | undefined
  clockToleranceMs: number
  /** The clock. */
  now: () => Date | number
  logger: AuthLogger
  /** Usage limits, with defaults filled in. */
  limits: ResolvedLimitsOptions
  usageStore: UsageStore | undefined
  usageFlushMs: number
  expiryStore: ExpiryStore | undefined
  telemetry: AuthTelemetry | undefined
  auditStore: AuditStore | undefined
}
