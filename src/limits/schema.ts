/**
 * The zod schemas of limits: one rule for a key's limits (400 `VALIDATION_ERROR` at creation),
 * the instance defaults (`CONFIGURATION_ERROR` at start-up) and a route's cost.
 * @module
 */
import { z } from 'zod'
import { CREDITS_POLICY } from './headers.js'
import type { CreditLimit, KeyLimits, RateLimit } from './types.js'

/** Shortest window or refill interval: 1 s. */
export const MIN_WINDOW_MS = 1_000
/** Longest window or refill interval: 31 days. */
export const MAX_WINDOW_MS = 31 * 86_400_000
/** Most named rate limits per key. */
export const MAX_RATE_LIMITS = 10
/** Highest cost a route may charge. */
export const MAX_COST = 1_000
/** Largest limit, balance or refill amount: exact in every backend's arithmetic. */
export const MAX_UNITS = 1_000_000_000

const units = z.number().int().positive().max(MAX_UNITS)
const duration = z
  .number()
  .int()
  .min(MIN_WINDOW_MS, 'must be at least 1000 ms (1 s)')
  .max(MAX_WINDOW_MS, `must be at most ${MAX_WINDOW_MS} ms (31 days)`)

const rateLimitSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,32}$/, 'must match [A-Za-z0-9_-]{1,32}')
      .refine((name) => name !== CREDITS_POLICY, `"${CREDITS_POLICY}" names the credits`),
    limit: units,
    windowMs: duration,
  })
  .strict() satisfies z.ZodType<RateLimit>

const creditsSchema = z
  .object({
    remaining: z.number().int().min(0).max(MAX_UNITS),
    refill: z.object({ amount: units, intervalMs: duration }).strict().optional(),
  })
  .strict() satisfies z.ZodType<CreditLimit>

/** A key's limits, or an instance's defaults. */
export const keyLimitsSchema = z
  .object({
    rate: z
      .array(rateLimitSchema)
      .max(MAX_RATE_LIMITS, `at most ${MAX_RATE_LIMITS} named rate limits`)
      .superRefine((limits, ctx) => {
        const names = limits.map((limit) => limit.name)
        const repeated = names.find((name, i) => names.indexOf(name) !== i)
        if (repeated !== undefined) {
          ctx.addIssue({
            code: 'custom',
            message: `duplicate rate limit name ${JSON.stringify(repeated)}`,
          })
        }
      })
      .optional(),
    credits: creditsSchema.optional(),
  })
  .strict() satisfies z.ZodType<KeyLimits>

/** A route's cost: an integer from 1 to {@link MAX_COST}. */
export const costSchema = z.number().int().min(1).max(MAX_COST)

/** A frozen deep copy of valid limits: the caller's object can change later, ours cannot. */
export function freezeLimits(limits: KeyLimits): Readonly<KeyLimits> {
  const copy: KeyLimits = {}
  if (limits.rate !== undefined) copy.rate = limits.rate.map((limit) => Object.freeze({ ...limit }))
  if (limits.credits !== undefined) {
    const { remaining, refill } = limits.credits
    copy.credits =
      refill === undefined
        ? { remaining }
        : {
            remaining,
            refill: Object.freeze({ amount: refill.amount, intervalMs: refill.intervalMs }),
          }
    Object.freeze(copy.credits)
  }
  if (copy.rate !== undefined) Object.freeze(copy.rate)
  return Object.freeze(copy)
}
