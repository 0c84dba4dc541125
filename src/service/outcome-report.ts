/**
 * What the verifier reports of each outcome besides its answer: a refusal to `auth.denied`, to
 * the key's usage counts (a known key only) and to telemetry; a success after a store read to
 * the usage counts and telemetry. Not on the path of a successful cache hit, which the verifier
 * reports inline. Internal: not exported from the package.
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

/** The verifier's two reports. */
export interface OutcomeReport {
  report: RefusalReport
  /** A key verified after a store read (a cache miss). */
  loadedOk(keyId: string, now: number, startedAt: number): void
  /** The handler of a failed store read (503): reports it as a refusal and rethrows. */
  loadFailed(options: VerifyOptions | undefined, startedAt: number): (error: unknown) => never
}

/** Builds the reports over the verifier's usage counter, denial reporter and telemetry. */
export function createOutcomeReport(
  deps: Pick<VerifierDeps, 'usage' | 'denied' | 'telemetry'>,
): OutcomeReport {
  const { usage, denied, telemetry } = deps
  const report: RefusalReport = (error, cached, options, now, source, startedAt) => {
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
  return {
    report,
    loadFailed: (options, startedAt) => (error) => {
      report(error, undefined, options, Number.NaN, 'miss', startedAt)
      throw error
    },
    loadedOk: (keyId, now, startedAt) => {
      if (usage !== undefined) usage.count(keyId, now, 'OK')
      if (telemetry !== undefined) {
        telemetry.verified('OK', 'miss', performance.now() - startedAt, startedAt)
      }
    },
  }
}
