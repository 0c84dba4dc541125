/**
 * Logging of the built-in stores. Internal: not exported from the package.
 * @module
 */
import type { AuthLogger } from '../../../src/index.js'

/** The `logger` option of a store, resolved: never throws, `false` is silent. */
export function storeLogger(logger: AuthLogger | false | undefined): AuthLogger {
  if (logger === false) return { warn: () => {}, error: () => {} }
  const target = logger ?? {
    warn: (message, context) => console.warn(`[@vydra/auth] ${message}`, context ?? ''),
    error: (message, context) => console.error(`[@vydra/auth] ${message}`, context ?? ''),
  }
  // A logger that throws must not turn a store call into a failure.
  return {
    warn: (message, context) => {
      try {
        target.warn(message, context)
      } catch {
        // Nowhere left to report it.
      }
    },
    error: (message, context) => {
      try {
        target.error(message, context)
      } catch {
        // Nowhere left to report it.
      }
    },
  }
}

const warnedEmitters = new WeakSet<object>()

interface Emitter {
  listenerCount?: (event: string) => number
}

/**
 * Warns once per pool or client (whichever store sees it first) when it has no `error`
 * listener: an `error` event nobody listens to ends the process (pg) or goes to stderr
 * unseen by the application (ioredis).
 */
export function warnIfNoErrorListener(emitter: object, logger: AuthLogger, message: string): void {
  const count = (emitter as Emitter).listenerCount
  if (typeof count !== 'function' || warnedEmitters.has(emitter)) return
  let listeners: number
  try {
    listeners = count.call(emitter, 'error')
  } catch {
    return
  }
  if (listeners > 0) return
  warnedEmitters.add(emitter)
  logger.warn(message)
}
