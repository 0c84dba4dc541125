/**
 * How verification reports a refusal: a count in the key's usage, and `auth.denied`. Internal:
 * not exported from the package. Never on the path of a successful hit.
 * @module
 */
import { AuthError } from '../errors.js'
import type { CachedKey } from './verification-cache.js'
import type { VerifierDeps, VerifyOptions } from './verifier.js'

export type RefusalReport = (
  error: unknown,
  cached: CachedKey | undefined,
  options: VerifyOptions | undefined,
  now: number,
) => void

// A refusal counts in the key's usage (when the key is known) and goes to `auth.denied`.
export function createRefusalReport(deps: VerifierDeps): RefusalReport {
  const { usage, denied } = deps
  return (error, cached, options, now) => {
    if (usage !== undefined && cached !== undefined && error instanceof AuthError) {
      usage.count(cached.principal.keyId, now, error.code)
    }
    denied(error, cached, options?.scopes, options?.request, now)
  }
}
