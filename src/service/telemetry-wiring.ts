/**
 * Telemetry wiring: the hooks of the `telemetry` option made safe to call from the request path
 * (a hook that throws is logged once and never reaches a caller), and the management methods
 * run inside `telemetry.operation`. Without the option nothing here is built. Internal.
 * @module
 */
import { describeError } from '../lib/describe-error.js'
import type { AuthLogger } from '../options/types.js'
import type { AuthTelemetry } from '../telemetry.js'
import type { ApiKeyAuth } from './api-key-auth.js'
import type { GuardedStore } from './guarded-store.js'
import type { VerificationCache } from './verification-cache.js'

/** The management methods that run inside `telemetry.operation` (one span each). */
export const MANAGEMENT_OPERATIONS = [
  'createKey',
  'listKeys',
  'listKeyPage',
  'revokeKey',
  'revokeByKey',
  'lookupKey',
  'rollKey',
  'disableKey',
  'enableKey',
  'updateKey',
  'usage',
  'flushUsage',
  'notifyExpiring',
  'pepperStatus',
  'listEvents',
] as const satisfies readonly (keyof ApiKeyAuth)[]

type Managed = Pick<ApiKeyAuth, (typeof MANAGEMENT_OPERATIONS)[number]>

/**
 * Wraps each hook in a `try`: telemetry must never turn an answer into an error. The first
 * failure of each hook is logged; later ones are not (a broken exporter would flood the log).
 */
export function guardTelemetry(telemetry: undefined, logger: AuthLogger): undefined
export function guardTelemetry(
  telemetry: AuthTelemetry | undefined,
  logger: AuthLogger,
): AuthTelemetry | undefined
export function guardTelemetry(
  telemetry: AuthTelemetry | undefined,
  logger: AuthLogger,
): AuthTelemetry | undefined {
  if (telemetry === undefined) return undefined
  const failed = new Set<string>()
  const fail = (hook: string, error: unknown): void => {
    if (failed.has(hook)) return
    failed.add(hook)
    logger.warn('telemetry hook failed', { hook, error: describeError(error) })
  }
  return {
    verified: (outcome, source, storeMs, startedAt) => {
      try {
        telemetry.verified(outcome, source, storeMs, startedAt)
      } catch (error) {
        fail('verified', error)
      }
    },
    operation: (name, run) => {
      let started = false
      try {
        return telemetry.operation(name, () => {
          started = true
          return run()
        })
      } catch (error) {
        fail('operation', error)
        // The hook broke before running the operation: run it without a span.
        if (!started) return run()
        throw error
      }
    },
    storeCall: (operation, durationMs, outcome) => {
      try {
        telemetry.storeCall(operation, durationMs, outcome)
      } catch (error) {
        fail('storeCall', error)
      }
    },
    revocationPropagated: (delayMs) => {
      try {
        telemetry.revocationPropagated(delayMs)
      } catch (error) {
        fail('revocationPropagated', error)
      }
    },
    attach: (view) => {
      try {
        telemetry.attach(view)
      } catch (error) {
        fail('attach', error)
      }
    },
  }
}

/**
 * The service with telemetry: `attach` told what gauges may read (cache sizes, the store's
 * listener), and the management methods run inside `telemetry.operation`. Without telemetry,
 * `api` as it is.
 */
export function withTelemetry(
  telemetry: AuthTelemetry | undefined,
  cache: Pick<VerificationCache, 'stats'>,
  store: Pick<GuardedStore, 'listenerConnected'>,
  api: ApiKeyAuth,
): ApiKeyAuth {
  if (telemetry === undefined) return api
  telemetry.attach({
    cacheSizes: () => cache.stats(),
    listenerConnected: () => store.listenerConnected(),
  })
  return instrumentOperations(api, telemetry)
}

// The management methods of `api`, each run inside `telemetry.operation` under its name.
function instrumentOperations<T extends Managed>(api: T, telemetry: AuthTelemetry): T {
  const wrapped: Record<string, unknown> = {}
  for (const name of MANAGEMENT_OPERATIONS) {
    const method = api[name] as (...args: unknown[]) => Promise<unknown>
    wrapped[name] = (...args: unknown[]) => telemetry.operation(name, () => method(...args))
  }
  return { ...api, ...wrapped }
}
