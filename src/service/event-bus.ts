/**
 * The event stream behind `auth.on`: subscription is synchronous, delivery never is. Emitting
 * queues the event and returns; listeners run on a later turn of the event loop, each in its own
 * `try`, so a throwing, slow or rejecting listener never touches the request that caused the
 * event. Internal: not exported from the package.
 * @module
 */
import {
  AUTH_EVENT_NAMES,
  type AuthEventListener,
  type AuthEventMap,
  type AuthEventName,
} from '../events.js'
import { AuthError } from '../errors.js'
import { describeError } from '../lib/describe-error.js'
import type { AuthLogger } from '../options/types.js'

/** The service's event stream. */
export interface EventBus {
  /** Adds a listener; returns the function that removes it (calling it twice is harmless). */
  on<N extends AuthEventName>(name: N, listener: AuthEventListener<N>): () => void
  /** Whether anyone listens to `name`: callers check it before they build a payload. */
  has(name: AuthEventName): boolean
  /** Queues an event for delivery; returns at once. */
  emit<N extends AuthEventName>(name: N, payload: AuthEventMap[N]): void
  /** Delivers every queued event now (at close). */
  deliverQueued(): void
}

/** Events queued beyond this are dropped (and counted in a warning): memory stays bounded. */
export const MAX_QUEUED_EVENTS = 10_000

type AnyListener = (event: unknown) => void | Promise<void>
interface Queued {
  name: AuthEventName
  event: unknown
}

// setImmediate runs after pending I/O callbacks, so the response of the request that emitted
// goes out first; runtimes without it get a zero timeout.
const later: (fn: () => void) => void =
  typeof setImmediate === 'function'
    ? (fn) => void setImmediate(fn)
    : (fn) => void setTimeout(fn, 0)

/** Builds an event bus that reports listener failures to `logger`. */
export function createEventBus(logger: AuthLogger): EventBus {
  // One array per name, replaced (never mutated) on change: a delivery iterates a snapshot.
  const listeners = new Map<AuthEventName, readonly AnyListener[]>(
    AUTH_EVENT_NAMES.map((name) => [name, []]),
  )
  let queue: Queued[] = []
  let scheduled = false
  let dropped = 0

  const fail = (name: AuthEventName, error: unknown): void =>
    logger.error('event listener failed', { event: name, error: describeError(error) })

  const deliver = (item: Queued): void => {
    for (const listener of listeners.get(item.name) ?? []) {
      try {
        const result = listener(item.event)
        if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
          ;(result as Promise<void>).then(undefined, (error: unknown) => fail(item.name, error))
        }
      } catch (error) {
        fail(item.name, error)
      }
    }
  }

  const deliverQueued = (): void => {
    scheduled = false
    const items = queue
    queue = []
    if (dropped > 0) {
      logger.warn('events dropped: listeners fell behind', { dropped, max: MAX_QUEUED_EVENTS })
      dropped = 0
    }
    for (const item of items) deliver(item)
  }

  return {
    on: (name, listener) => {
      const current = listeners.get(name)
      if (current === undefined || typeof listener !== 'function') {
        throw new AuthError('CONFIGURATION_ERROR', {
          message: `auth.on: expected one of ${AUTH_EVENT_NAMES.join(', ')} and a function`,
        })
      }
      const added = listener as AnyListener
      listeners.set(name, [...current, added])
      return () => {
        const now = listeners.get(name) ?? []
        const index = now.indexOf(added)
        if (index >= 0) listeners.set(name, [...now.slice(0, index), ...now.slice(index + 1)])
      }
    },
    has: (name) => (listeners.get(name)?.length ?? 0) > 0,
    emit: (name, payload) => {
      if ((listeners.get(name)?.length ?? 0) === 0) return
      if (queue.length >= MAX_QUEUED_EVENTS) {
        dropped++
        return
      }
      queue.push({ name, event: Object.freeze({ type: name, ...payload }) })
      if (!scheduled) {
        scheduled = true
        later(deliverQueued)
      }
    },
    deliverQueued,
  }
}
