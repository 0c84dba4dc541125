/**
 * Revocation propagation delay, for telemetry: when the store says a key changed (a revocation
 * or a disabling made here or on another instance) and this instance was accepting that key
 * from its cache, one background read finds when the change was made, and the delay from then
 * to now is reported. Only with the `telemetry` option; never on a request's path. Internal.
 * @module
 */
import type { AuthTelemetry } from '../telemetry.js'
import type { ServiceClock } from './clock.js'
import type { DigestScheme } from './digest-scheme.js'
import type { GuardedStore } from './guarded-store.js'
import type { VerificationCache } from './verification-cache.js'

/** What {@link createPropagationProbe} needs. */
export interface PropagationProbeDeps {
  scheme: DigestScheme
  cache: VerificationCache
  store: GuardedStore
  clock: ServiceClock
  telemetry: AuthTelemetry
}

/**
 * Builds the probe, called with a stored digest before it is evicted. A key that was not cached
 * here, or already refused, was not being accepted: nothing propagated, nothing is read. A read
 * that fails is dropped (the guarded store has logged it).
 */
export function createPropagationProbe(deps: PropagationProbeDeps): (stored: string) => void {
  const { scheme, cache, store, clock, telemetry } = deps
  return (stored) => {
    const cacheKey = scheme.cacheKeyOf(stored)
    const cached = cacheKey === undefined ? undefined : cache.peek(cacheKey)
    if (cached === undefined || cached.refusal !== null) return
    store.find(stored, cached.principal.userId).then(
      (record) => {
        const at = Math.max(record?.revokedAt?.getTime() ?? -1, record?.disabledAt?.getTime() ?? -1)
        if (at < 0) return
        telemetry.revocationPropagated(Math.max(0, clock() - at))
      },
      () => {},
    )
  }
}
