/**
 * Whether new usage limits of a key only narrow what it may do: the rule of the session route
 * (`PATCH /api/v1/api-keys/:id`), where a key's owner must not raise their own plan. Internal.
 * @module
 */
import type { ValidationIssue } from '../errors.js'
import { creditFingerprint } from '../limits/sliding-window.js'
import type { CreditLimit, KeyLimits, RateLimit } from '../limits/types.js'

/** The limits that apply to a key: its own per field, else the instance defaults. */
interface Effective {
  rate: readonly RateLimit[]
  credits: CreditLimit | undefined
}

/** The limits that apply with `own` (`null`/`undefined`: none of its own) over `defaults`. */
export function effectiveLimits(
  own: Readonly<KeyLimits> | null | undefined,
  defaults: Readonly<KeyLimits> | undefined,
): Effective {
  return {
    rate: own?.rate ?? defaults?.rate ?? [],
    credits: own?.credits ?? defaults?.credits,
  }
}

/**
 * What in `next` would let the key do more than `current` allows, each a validation issue:
 * every current rate limit must stay, same name and window, with a limit no higher (more rate
 * limits are fine); current credits must stay exactly as they are (a new setting begins a new
 * balance, which would refill a spent one), and credits may be added to a key without any.
 */
export function limitWideningIssues(current: Effective, next: Effective): ValidationIssue[] {
  const issues: ValidationIssue[] = []
  for (const old of current.rate) {
    const kept = next.rate.find(
      (limit) =>
        limit.name === old.name && limit.windowMs === old.windowMs && limit.limit <= old.limit,
    )
    if (kept === undefined) {
      issues.push({
        path: ['limits', 'rate'],
        message:
          `would widen the key: keep "${old.name}" (windowMs ${old.windowMs}) with a limit of at ` +
          `most ${old.limit}`,
      })
    }
  }
  if (
    current.credits !== undefined &&
    (next.credits === undefined ||
      creditFingerprint(next.credits) !== creditFingerprint(current.credits))
  ) {
    issues.push({
      path: ['limits', 'credits'],
      message: 'cannot be changed here: new credits would begin a new balance',
    })
  }
  return issues
}
