/**
 * `auth.usage`: a key's counts over a time range, read from the usage store and summed.
 * Internal: not exported from the package.
 * @module
 */
import { AuthError, isAuthError } from '../errors.js'
import { describeError } from '../lib/describe-error.js'
import { isUuid } from '../lib/uuid.js'
import { withTimeout } from '../lib/with-timeout.js'
import type { AuthLogger } from '../options/types.js'
import type { UsageRow, UsageStore } from '../usage-store.js'

/** The range `auth.usage` reads: `from <= minute < to`. */
export interface UsageQuery {
  /** UUID of the key. */
  keyId: string
  from: Date
  to: Date
}

/** What `auth.usage` returns. */
export interface UsageReport {
  keyId: string
  from: Date
  to: Date
  /** Every verification counted in the range. */
  total: number
  /** Totals by outcome: `OK` and each refusal's code. */
  byOutcome: Record<string, number>
  /** One row per minute and outcome, oldest first. */
  minutes: UsageRow[]
}

/** Longest range one call reads. */
export const MAX_USAGE_RANGE_MS = 366 * 86_400_000

/** Builds `auth.usage` over `store` (or one that says counting is off). */
export function createUsageReader(
  store: UsageStore | undefined,
  timeoutMs: number,
  logger: AuthLogger,
): (query: UsageQuery) => Promise<UsageReport> {
  return async (query) => {
    if (store === undefined) {
      throw new AuthError('CONFIGURATION_ERROR', {
        message: 'auth.usage: usage counting is off; pass usageStore to createApiKeyAuth',
      })
    }
    const { keyId, from, to } = checkQuery(query)
    let rows: UsageRow[]
    try {
      rows = await withTimeout(
        () => store.readUsage(keyId, from, to),
        timeoutMs,
        () => new AuthError('AUTH_UNAVAILABLE', { reason: 'store_timeout' }),
      )
    } catch (cause) {
      if (isAuthError(cause)) throw cause
      logger.error('usage store readUsage failed', { error: describeError(cause) })
      throw new AuthError('AUTH_UNAVAILABLE', { cause, reason: 'store_error' })
    }
    const minutes = rows
      .filter((row) => row.keyId === keyId && row.minute >= from && row.minute < to)
      .map((row) => ({ ...row, minute: new Date(row.minute.getTime()) }))
      .sort((a, b) => a.minute.getTime() - b.minute.getTime() || compare(a.outcome, b.outcome))
    const byOutcome: Record<string, number> = {}
    let total = 0
    for (const row of minutes) {
      byOutcome[row.outcome] = (byOutcome[row.outcome] ?? 0) + row.count
      total += row.count
    }
    return { keyId, from: new Date(from), to: new Date(to), total, byOutcome, minutes }
  }
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

function checkQuery(query: UsageQuery): UsageQuery {
  const { keyId, from, to } = (query ?? {}) as Partial<UsageQuery>
  const issues: { path: string[]; message: string }[] = []
  if (!isUuid(keyId)) issues.push({ path: ['keyId'], message: 'must be a key id (UUID)' })
  for (const [name, value] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
      issues.push({ path: [name], message: 'must be a valid Date' })
    }
  }
  if (issues.length === 0 && (from as Date) > (to as Date)) {
    issues.push({ path: ['to'], message: 'must not be before from' })
  }
  if (
    issues.length === 0 &&
    (to as Date).getTime() - (from as Date).getTime() > MAX_USAGE_RANGE_MS
  ) {
    issues.push({ path: ['to'], message: 'the range must be at most 366 days' })
  }
  if (issues.length > 0) throw new AuthError('VALIDATION_ERROR', { issues })
  return { keyId: keyId as string, from: from as Date, to: to as Date }
}
