/**
 * The `limits` option of `createApiKeyAuth`: where usage is counted, the instance defaults, the
 * headers and the outage policy (docs/limits.md). Its schema and defaults live here, beside it.
 * @module
 */
import { z } from 'zod'
import type { LimitStore } from '../limit-store.js'
import { keyLimitsSchema, freezeLimits } from '../limits/schema.js'
import type { KeyLimits } from '../limits/types.js'
import { MemoryLimitStore } from '../memory-limit-store.js'

/** What to do with a request when the limit store fails or times out. */
export type LimitOutagePolicy = 'open' | 'closed'

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
}

/** {@link LimitsOptions} with every default filled in. */
export interface ResolvedLimitsOptions {
  store: LimitStore
  /** Whether `store` was given (a memory store by default is worth a warning on first use). */
  sharedStore: boolean
  defaults: Readonly<KeyLimits> | undefined
  headers: boolean
  onStoreError: { rate: LimitOutagePolicy; credits: LimitOutagePolicy }
}

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
  }
}
