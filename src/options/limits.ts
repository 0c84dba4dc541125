/**
 * The `limits` option of `createApiKeyAuth`: where usage is counted, the instance defaults, the
 * headers and the outage policy (docs/limits.md). Its schema and defaults live here, beside it.
 * @module
 */
import { z } from 'zod'
import type { LimitStore } from '../limit-store.js'
import { keyLimitsSchema, freezeLimits, MAX_WINDOW_MS, MIN_WINDOW_MS } from '../limits/schema.js'
import type { KeyLimits } from '../limits/types.js'
import { MemoryLimitStore } from '../memory-limit-store.js'

/** What to do with a request when the limit store fails or times out. */
export type LimitOutagePolicy = 'open' | 'closed'

/**
 * Failed-authentication throttling: at most `limit` answers 401 per client address in any window
 * of `windowMs`, counted in the limit store (exact across a fleet sharing it). Once an address is
 * over the cap, its requests are answered 429 `RATE_LIMITED` with `Retry-After` before any hash or
 * lookup (docs/limits.md, "Failed-authentication throttling").
 */
export interface FailedAuthOptions {
  /** 401 answers admitted per address and window: an integer from 1 to 1 000 000. */
  limit: number
  /** Length of the sliding window in ms: 1 000 (1 s) to 2 678 400 000 (31 days). */
  windowMs: number
  /**
   * How many reverse proxies in front of the service append to `X-Forwarded-For`: the client
   * address is then the `trustProxy`-th address from the right of that header. `0` reads only
   * the socket's peer address and ignores the header (it is the client's to write). An integer
   * from 0 to 10; `true` and lists of proxy addresses are refused (docs/limits.md).
   * @defaultValue `0`
   */
  trustProxy?: number
}

/** Options of usage limits. With none, only keys created with `limits` are limited. */
export interface LimitsOptions {
  /**
   * Where usage is counted. Share one (Redis, PostgreSQL, SQLite) across a fleet: each instance
   * with its own memory store admits the full limit. @defaultValue a `MemoryLimitStore`
   */
  store?: LimitStore
  /** Limits of every key that has none of its own (per field: `rate`, `credits`). */
  defaults?: KeyLimits
  /** Send the `RateLimit-Policy` and `RateLimit` headers. @defaultValue `true` */
  headers?: boolean
  /**
   * Outage policy, per kind of limit: `'open'` admits (with a logged warning), `'closed'`
   * answers 503 `AUTH_UNAVAILABLE`. @defaultValue `{ rate: 'open', credits: 'closed' }`
   */
  onStoreError?: { rate?: LimitOutagePolicy; credits?: LimitOutagePolicy }
  /** Failed-authentication throttling per client address. @defaultValue off */
  failedAuth?: FailedAuthOptions
}

/** {@link LimitsOptions} with every default filled in. */
export interface ResolvedLimitsOptions {
  store: LimitStore
  /** Whether `store` was given (a memory store by default is worth a warning on first use). */
  sharedStore: boolean
  defaults: Readonly<KeyLimits> | undefined
  headers: boolean
  onStoreError: { rate: LimitOutagePolicy; credits: LimitOutagePolicy }
  /** Failed-authentication throttling, with `trustProxy` filled in; `undefined` when off. */
  failedAuth: Readonly<Required<FailedAuthOptions>> | undefined
}

/** Most 401 answers per address and window the option accepts. */
export const MAX_FAILED_AUTH = 1_000_000
/** Most trusted proxies. */
export const MAX_TRUSTED_PROXIES = 10

const failedAuthSchema = z
  .object({
    limit: z.number().int().min(1).max(MAX_FAILED_AUTH),
    windowMs: z
      .number()
      .int()
      .min(MIN_WINDOW_MS, 'must be at least 1000 ms (1 s)')
      .max(MAX_WINDOW_MS, `must be at most ${MAX_WINDOW_MS} ms (31 days)`),
    trustProxy: z
      .number({
        error:
          'must be the number of trusted proxies (an integer from 0 to 10); true and lists ' +
          'of addresses are not supported (docs/limits.md)',
      })
      .int()
      .min(0)
      .max(MAX_TRUSTED_PROXIES)
      .optional(),
  })
  .strict() satisfies z.ZodType<FailedAuthOptions>

const policy = z.enum(['open', 'closed'], { error: "expected 'open' or 'closed'" })

/** The schema of {@link LimitsOptions}. */
export const limitsOptionsSchema = z
  .object({
    store: z
      .custom<LimitStore>(
        (value) =>
          typeof value === 'object' &&
          value !== null &&
          typeof (value as { consume?: unknown }).consume === 'function',
        { message: 'must implement LimitStore (consume)' },
      )
      .optional(),
    defaults: keyLimitsSchema.optional(),
    headers: z.boolean().optional(),
    onStoreError: z
      .object({ rate: policy.optional(), credits: policy.optional() })
      .strict()
      .optional(),
    failedAuth: failedAuthSchema.optional(),
  })
  .strict() satisfies z.ZodType<LimitsOptions>

/** Fills in the defaults of valid limits options. */
export function resolveLimits(options: LimitsOptions | undefined): ResolvedLimitsOptions {
  return {
    store: options?.store ?? new MemoryLimitStore(),
    sharedStore: options?.store !== undefined,
    defaults: options?.defaults === undefined ? undefined : freezeLimits(options.defaults),
    headers: options?.headers ?? true,
    onStoreError: {
      rate: options?.onStoreError?.rate ?? 'open',
      credits: options?.onStoreError?.credits ?? 'closed',
    },
    failedAuth:
      options?.failedAuth === undefined
        ? undefined
        : Object.freeze({
            limit: options.failedAuth.limit,
            windowMs: options.failedAuth.windowMs,
            trustProxy: options.failedAuth.trustProxy ?? 0,
          }),
  }
}
