/**
 * A cache miss: the negative cache, then the store read, and what that read ends in: the
 * decision on the loaded key, or a refusal (503 included), each reported like any other outcome,
 * with the read's duration for telemetry. Internal: not exported from the package.
 * @module
 */
import { AuthError } from '../errors.js'
import { rejectLater } from '../lib/reject-later.js'
import type { ApiKeyPrincipal } from '../types.js'
import type { RefusalReport } from './refusal-report.js'
import type { CachedKey } from './verification-cache.js'
import type { Decision, VerifierDeps, VerifyOptions } from './verifier.js'

/**
 * A well-formed key the cache holds no live entry for (`digest`: its cache key, `now`: the
 * clock's reading before the lookup): `KEY_NOT_FOUND` from the negative cache, else the store
 * read. Never throws: a failure is a rejection.
 */
export type Miss = (
  digest: string,
  key: string,
  now: number,
  options: VerifyOptions | undefined,
) => Promise<ApiKeyPrincipal>

// A miss, and what a store read ends in: the decision on the loaded key, or a refusal (503
// included).
export function createLoadHandlers(
  deps: VerifierDeps,
  decide: Decision,
  report: RefusalReport,
): {
  miss: Miss
  afterLoad: (
    options: VerifyOptions | undefined,
    startedAt: number,
  ) => (loaded: CachedKey | null) => ApiKeyPrincipal
  loadFailed: (options: VerifyOptions | undefined, startedAt: number) => (error: unknown) => never
} {
  const { clock, usage, telemetry, cache } = deps
  // `startedAt`: `performance.now()` before the store read, with telemetry only (else NaN).
  const afterLoad =
    (options: VerifyOptions | undefined, startedAt: number) =>
    (loaded: CachedKey | null): ApiKeyPrincipal => {
      const now = clock()
      if (loaded === null) {
        const error = new AuthError('KEY_NOT_FOUND')
        report(error, undefined, options, now, 'miss', startedAt)
        throw error
      }
      const result = decide(loaded, now, options)
      if (result instanceof AuthError) {
        report(result, loaded, options, now, 'miss', startedAt)
        throw result
      }
      if (usage !== undefined) usage.count(result.keyId, now, 'OK')
      if (telemetry !== undefined) {
        telemetry.verified('OK', 'miss', performance.now() - startedAt, startedAt)
      }
      return result
    }

  // A store failure (503) is a refusal too.
  const loadFailed =
    (options: VerifyOptions | undefined, startedAt: number) =>
    (error: unknown): never => {
      report(error, undefined, options, Number.NaN, 'miss', startedAt)
      throw error
    }

  const miss: Miss = (digest, key, now, options) => {
    try {
      if (cache.knownMissing(digest, now)) {
        const error = new AuthError('KEY_NOT_FOUND')
        report(error, undefined, options, now, 'negative', Number.NaN)
        return rejectLater(error)
      }
      const startedAt = telemetry === undefined ? Number.NaN : performance.now()
      return cache
        .load(digest, key, now)
        .then(afterLoad(options, startedAt), loadFailed(options, startedAt))
    } catch (error) {
      report(error, undefined, options, Number.NaN, 'none', Number.NaN)
      return Promise.reject(error)
    }
  }
  return { miss, afterLoad, loadFailed }
}
