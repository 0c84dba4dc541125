/**
 * The service's observability parts, wired once: the event bus with its emitters, the usage
 * counter and reader, and what `close` must finish. Internal: not exported from the package.
 * @module
 */
import type { ResolvedAuthOptions } from '../options/types.js'
import type { ApiKeyAuth } from './api-key-auth.js'
import type { ServiceClock } from './clock.js'
import { createEventBus } from './event-bus.js'
import {
  createDenialReporter,
  createKeyEvents,
  createLimitHitReporter,
  createThrottleReporter,
  type DenialReporter,
  type KeyEvents,
  type ThrottleReporter,
} from './key-events.js'
import { createExpiryNotifier } from './expiry-notifier.js'
import type { LimitHitReporter } from './limiter.js'
import { UsageCounter } from './usage-counter.js'
import { createUsageReader } from './usage-report.js'

/** What the rest of the service uses of observability. */
export interface Observability {
  /** `auth.denied` for the verifier. */
  denied: DenialReporter
  /** `key.*` emitters for the management parts. */
  keyEvents: KeyEvents
  /** `limit.hit` for the limiter. */
  limitHit: LimitHitReporter
  /** `auth.throttled` for failed-authentication throttling. */
  throttled: ThrottleReporter
  /** The counter, when usage counting is on. */
  usage: UsageCounter | undefined
  /** The service's own methods. */
  api: Pick<ApiKeyAuth, 'on' | 'usage' | 'flushUsage' | 'notifyExpiring'>
  /** Delivers queued events and writes the usage counts left. */
  close(): Promise<void>
}

/** Builds the observability parts from the resolved options. */
export function createObservability(
  opts: ResolvedAuthOptions,
  clock: ServiceClock,
  keyHead: string,
): Observability {
  const { logger } = opts
  const events = createEventBus(logger)
  const usage =
    opts.usageStore === undefined
      ? undefined
      : new UsageCounter({
          store: opts.usageStore,
          flushMs: opts.usageFlushMs,
          timeoutMs: opts.storeTimeoutMs,
          logger,
        })
  return {
    denied: createDenialReporter(events, clock),
    keyEvents: createKeyEvents(events, clock),
    limitHit: createLimitHitReporter(events, clock),
    throttled: createThrottleReporter(events, clock),
    usage,
    api: {
      on: events.on,
      usage: createUsageReader(opts.usageStore, opts.storeTimeoutMs, logger),
      flushUsage: () => usage?.flush() ?? Promise.resolve(),
      notifyExpiring: createExpiryNotifier({
        store: opts.expiryStore,
        keyHead,
        clock,
        bus: events,
        timeoutMs: opts.storeTimeoutMs,
        logger,
      }),
    },
    close: async () => {
      events.deliverQueued()
      await usage?.close()
    },
  }
}
