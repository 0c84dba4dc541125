/**
 * `auth.notifyExpiring`: expiry warnings that a fleet emits exactly once, without a leader. Every
 * instance may call it on a timer; each (key, threshold) is claimed in the expiry store with one
 * conditional write, and only the winner emits. Internal: not exported from the package.
 * @module
 */
import { AuthError, isAuthError } from '../errors.js'
import type { ExpiringKey, ExpiryStore } from '../expiry-store.js'
import { describeError } from '../lib/describe-error.js'
import { withTimeout } from '../lib/with-timeout.js'
import type { AuthLogger } from '../options/types.js'
import type { ServiceClock } from './clock.js'
import type { EventBus } from './event-bus.js'

/** Options of `auth.notifyExpiring`. */
export interface NotifyExpiringOptions {
  /**
   * Warning thresholds before expiry, as `<n>d`, `<n>h` or `<n>m` (at most 366 days), e.g.
   * `['14d', '1d']`. A key is warned once per threshold, at the tightest one it is within.
   */
  within: readonly string[]
  /** Also emit `key.expired` (once per key) for keys expired within the largest threshold. @defaultValue `true` */
  expired?: boolean
  /** Most keys read per call. @defaultValue `1000` */
  limit?: number
}

/** One warning this call won and emitted. */
export interface ExpiryNotice {
  keyId: string
  userId: string
  keyPrefix: string
  expiresAt: Date
  /** The threshold (`'14d'`), or `'expired'`. */
  notice: string
}

/** What {@link createExpiryNotifier} needs. */
export interface ExpiryNotifierDeps {
  store: ExpiryStore | undefined
  keyHead: string
  clock: ServiceClock
  bus: EventBus
  timeoutMs: number
  logger: AuthLogger
}

const UNIT_MS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000 }
const MAX_THRESHOLD_MS = 366 * 86_400_000

/** Builds `notifyExpiring`. */
export function createExpiryNotifier(
  deps: ExpiryNotifierDeps,
): (options: NotifyExpiringOptions) => Promise<ExpiryNotice[]> {
  const call = <T>(operation: string, fn: () => Promise<T>): Promise<T> =>
    withTimeout(
      fn,
      deps.timeoutMs,
      () => new AuthError('AUTH_UNAVAILABLE', { reason: 'store_timeout' }),
    ).catch((cause: unknown) => {
      if (isAuthError(cause)) throw cause
      deps.logger.error(`expiry store ${operation} failed`, { error: describeError(cause) })
      throw new AuthError('AUTH_UNAVAILABLE', { cause, reason: 'store_error' })
    })
  return async (options) => {
    const { store } = deps
    if (store === undefined) {
      throw new AuthError('CONFIGURATION_ERROR', {
        message: 'auth.notifyExpiring: pass expiryStore to createApiKeyAuth',
      })
    }
    const { thresholds, expired, limit } = checkOptions(options)
    const now = deps.clock()
    const widest = thresholds[thresholds.length - 1] as { name: string; ms: number }
    const from = new Date(expired ? now - widest.ms : now)
    const keys = await call('listExpiring', () =>
      store.listExpiring(from, new Date(now + widest.ms), limit),
    )
    const won: ExpiryNotice[] = []
    for (const key of keys) {
      // Another prefix or environment sharing the table is not ours to warn about.
      if (!key.keyPrefix.startsWith(deps.keyHead)) continue
      const left = key.expiresAt.getTime() - now
      const notice = left <= 0 ? 'expired' : thresholds.find((t) => left <= t.ms)?.name
      if (notice === undefined) continue
      if (!(await call('claimNotice', () => store.claimNotice(key.id, notice, new Date(now))))) {
        continue
      }
      won.push({ ...pick(key), notice })
      emit(deps.bus, key, notice, now)
    }
    return won
  }
}

function pick(key: ExpiringKey): Omit<ExpiryNotice, 'notice'> {
  return {
    keyId: key.id,
    userId: key.userId,
    keyPrefix: key.keyPrefix,
    expiresAt: new Date(key.expiresAt.getTime()),
  }
}

function emit(bus: EventBus, key: ExpiringKey, notice: string, now: number): void {
  const base = {
    at: new Date(now),
    keyId: key.id,
    userId: key.userId,
    keyPrefix: key.keyPrefix,
    actor: Object.freeze({ type: 'system', id: 'notifyExpiring' } as const),
    request: null,
    expiresAt: new Date(key.expiresAt.getTime()),
  }
  if (notice === 'expired') bus.emit('key.expired', base)
  else bus.emit('key.expiring', { ...base, threshold: notice })
}

function checkOptions(options: NotifyExpiringOptions): {
  thresholds: { name: string; ms: number }[]
  expired: boolean
  limit: number
} {
  const { within, expired = true, limit = 1000 } = (options ?? {}) as Partial<NotifyExpiringOptions>
  const issues: { path: (string | number)[]; message: string }[] = []
  const thresholds: { name: string; ms: number }[] = []
  if (!Array.isArray(within) || within.length === 0 || within.length > 10) {
    issues.push({ path: ['within'], message: "must be 1–10 thresholds such as ['14d', '1d']" })
  } else {
    within.forEach((value: unknown, i) => {
      const match = typeof value === 'string' ? /^([1-9][0-9]{0,5})([dhm])$/.exec(value) : null
      const ms = match === null ? Number.NaN : Number(match[1]) * (UNIT_MS[match[2] as string] ?? 0)
      if (!(ms > 0 && ms <= MAX_THRESHOLD_MS)) {
        issues.push({
          path: ['within', i],
          message: "must be like '14d', '12h' or '30m', at most 366 days",
        })
      } else thresholds.push({ name: value as string, ms })
    })
  }
  if (typeof expired !== 'boolean') issues.push({ path: ['expired'], message: 'must be a boolean' })
  if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) {
    issues.push({ path: ['limit'], message: 'must be an integer from 1 to 100000' })
  }
  if (issues.length > 0) throw new AuthError('VALIDATION_ERROR', { issues })
  thresholds.sort((a, b) => a.ms - b.ms)
  return { thresholds, expired, limit }
}
