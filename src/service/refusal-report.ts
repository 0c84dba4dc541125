/**
 * How verification reports a refusal: a count in the key's usage, `auth.denied`, and with the
 * `telemetry` option its outcome (with the store read's duration when there was one). Internal:
 * not exported from the package. Never on the path of a successful hit.
 * @module
 */
import { AuthError } from '../errors.js'
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
