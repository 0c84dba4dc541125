/**
 * How verification reports a refusal: a count in the key's usage, `auth.denied`, and with the
 * `telemetry` option its outcome (with the store read's duration when there was one). Internal:
 * not exported from the package. Never on the path of a successful hit.
 * @module
 */
import { AuthError } from '../errors.js'
import { rejectLater } from '../lib/reject-later.js'
import type { VerificationSource } from '../telemetry.js'
import type { CachedKey } from './verification-cache.js'
import type { VerifierDeps, VerifyOptions } from './verifier.js'

/** Reports a refusal; `startedAt` is `performance.now()` before a store read, else `NaN`. */
export type RefusalReport = (
  error: unknown,
  cached: CachedKey | undefined,
  options: VerifyOptions | undefined,
  now: number,
  source: VerificationSource,
  startedAt: number,
) => void

// A refusal counts in the key's usage (when the key is known), goes to `auth.denied`, and to
// telemetry.
export function createRefusalReport(
  deps: Pick<VerifierDeps, 'usage' | 'denied' | 'telemetry'>,
): RefusalReport {
  const { usage, denied, telemetry } = deps
  return (error, cached, options, now, source, startedAt) => {
    const authError = error instanceof AuthError
    if (usage !== undefined && cached !== undefined && authError) {
      usage.count(cached.principal.keyId, now, error.code)
    }
    denied(error, cached, options?.scopes, options?.request, now)
    if (telemetry !== undefined) {
      const storeMs = Number.isNaN(startedAt) ? Number.NaN : performance.now() - startedAt
      telemetry.verified(authError ? error.code : 'AUTH_UNAVAILABLE', source, storeMs, startedAt)
    }
  }
}

/** A refusal decided without I/O: reported, and rejected one tick later. */
export type Deny = (
  error: unknown,
  cached: CachedKey | undefined,
  options: VerifyOptions | undefined,
  now: number,
  source: VerificationSource,
) => Promise<never>

// A refusal: reported (`auth.denied`, usage by key) and rejected one tick later
// (lib/reject-later.ts). Never on the path of a successful hit.
export function createDenial(report: RefusalReport): {
  deny: Deny
  invalidFormat: (options: VerifyOptions | undefined) => Promise<never>
} {
  const deny: Deny = (error, cached, options, now, source) => {
    report(error, cached, options, now, source, Number.NaN)
    return rejectLater(error)
  }
  const invalidFormat = (options: VerifyOptions | undefined): Promise<never> => {
    try {
      return deny(new AuthError('INVALID_FORMAT'), undefined, options, Number.NaN, 'none')
    } catch (error) {
      // A listener of `auth.denied` that throws still leaves a rejection, never a throw.
      return Promise.reject(error)
    }
  }
  return { deny, invalidFormat }
}
