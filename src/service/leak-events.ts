/**
 * The events of `revokeByKey`: `key.revoked` (the first revocation, actor `system`) and, for
 * reason `'leaked'`, `key.leaked` with the reporter and the URL. Built only when someone
 * listens; never with the key. Internal: not exported.
 * @module
 */
import type { ServiceClock } from './clock.js'
import type { EventBus } from './event-bus.js'
import { keyEventBase, type KeyEvents } from './key-events.js'
import type { LeakReporter } from './revoke-by-key.js'

const MAX_TEXT = 2_048

/** Builds the reporter over the service's event bus. */
export function createLeakReporter(
  bus: EventBus,
  keyEvents: KeyEvents,
  clock: ServiceClock,
): LeakReporter {
  return (info, revoked, reason, options) => {
    const reportedBy =
      typeof options?.reportedBy === 'string' ? options.reportedBy.slice(0, 100) : 'api'
    const actor = { type: 'system' as const, id: reportedBy }
    if (revoked) keyEvents.revoked(info, { actor, reason })
    if (reason !== 'leaked' || !bus.has('key.leaked')) return
    let at: number
    try {
      at = clock()
    } catch {
      at = Date.now()
    }
    bus.emit('key.leaked', {
      ...keyEventBase(info, at, { actor }),
      source: reportedBy,
      url: typeof options?.source === 'string' ? options.source.slice(0, MAX_TEXT) : null,
      revoked,
    })
  }
}
